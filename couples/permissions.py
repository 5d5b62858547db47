from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from couples.roles import Role, roles_for_user


def role_required(role: Role):
    """Signed-in users without the role get 403: the page exists, it is not theirs."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if role not in roles_for_user(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


partner_required = role_required(Role.PARTNER)
clinician_required = role_required(Role.CLINICIAN)


def role_check(user, role: Role) -> None:
    """The same rule for views that must first answer outsiders with an audited 404."""
    if role not in roles_for_user(user):
        raise PermissionDenied

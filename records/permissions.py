"""Who works records requests in the admin: the Records staff group, and superusers.

Anyone else (insurance staff, a staff member without these permissions) meets a 404 on the
requests' admin pages and their files, as if they did not exist, and the refusal is audited
(records.admin)."""

from django.contrib.auth.models import Group, Permission

from couples.models import User

RECORDS_STAFF = "Records staff"
# The requests themselves; a copy's files are reached only through its request.
RECORDS_STAFF_PERMISSIONS = {
    "recordsrequest": ["view", "add", "change"],
}


def records_staff_group() -> Group:
    """The Records staff group with its permissions, created if missing (migration 0003
    creates it; a database flushed by tests or restored without it gets it back here)."""
    group, _ = Group.objects.get_or_create(name=RECORDS_STAFF)
    codenames = [
        f"{action}_{model}"
        for model, actions in RECORDS_STAFF_PERMISSIONS.items()
        for action in actions
    ]
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="records", codename__in=codenames)
    )
    return group


def may_see_requests(user: User) -> bool:
    """The work queue, a request's page and its files."""
    return bool(user.is_active and user.is_staff and user.has_perm("records.view_recordsrequest"))


def may_work_requests(user: User) -> bool:
    """Log, produce, deliver, withdraw."""
    return bool(
        user.is_active
        and user.is_staff
        and user.has_perm("records.add_recordsrequest")
        and user.has_perm("records.change_recordsrequest")
    )

"""Signing people in for tests as the app sees a finished sign-in.

Clinic pages, the admin, video rooms, feeds and notifications open for clinicians and staff only
when *this session* passed a second factor (couples.middleware.MFARequiredMiddleware reads
allauth's record of how the session signed in). `client.force_login` alone leaves no such
record: use it for a password-only session, and `sign_in_with_mfa` for a finished sign-in.
"""

from types import SimpleNamespace

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret


def totp_ensure(user) -> Authenticator:
    """The user's TOTP authenticator, set up now if they have none."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    return existing or TOTP.activate(user, generate_totp_secret()).instance


def sign_in_with_mfa(client, user) -> None:
    """Sign `user` in on `client` as after a password and an authenticator code."""
    authenticator = totp_ensure(user)
    client.force_login(user)
    mfa_record(client, user, authenticator=authenticator)


def mfa_record(client, user, *, authenticator: Authenticator | None = None) -> None:
    """Record on the client's session that it passed a password and a second factor."""
    session = client.session
    request = SimpleNamespace(session=session)
    if not get_authentication_records(request, user):
        record_authentication(request, user, "password", email=user.email)
    authenticator = authenticator or totp_ensure(user)
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
    session.save()

"""Every write in the couples app, audited in the same transaction.

Split by subject: accounts (invitations, deactivation), care_teams, intake (admission and
discharge), consent (sharing and the record of who saw what), preferences (notifications)
and outbox (staff sending a message again). Every public name is re-exported here, so
`services.care_team_assign(...)` keeps working; patch a name in the submodule that looks it up.
"""

from couples.services.accounts import (
    InvitationTokenGenerator,
    clinician_invite,
    invitation_accept,
    invitation_email_check,
    invitation_email_for,
    invitation_email_send,
    invitation_send,
    invitation_tokens,
    invitation_url,
    partner_welcome_end,
    sessions_clear_expired,
    user_deactivate,
    user_invite,
    user_sessions_end,
)
from couples.services.care_teams import care_assignment_end, care_team_assign
from couples.services.consent import (
    consent_grant,
    consent_revoke,
    couple_record_read,
    disclosure_record,
)
from couples.services.intake import couple_admit, couple_discharge
from couples.services.outbox import SEND_AGAIN_STATUSES, notifications_send_again
from couples.services.preferences import (
    CLINICIAN_PREFERENCE_FIELDS,
    PARTNER_PREFERENCE_FIELDS,
    PREFERENCE_FIELDS,
    notification_preference_update,
    preference_fields_for,
    session_reminders_default,
    time_zone_names,
)
from couples.services.second_factor import second_factor_changed, second_factor_reset

__all__ = [
    "second_factor_changed",
    "second_factor_reset",
    "InvitationTokenGenerator",
    "invitation_tokens",
    "invitation_url",
    "invitation_send",
    "invitation_email_send",
    "user_invite",
    "invitation_accept",
    "invitation_email_check",
    "invitation_email_for",
    "partner_welcome_end",
    "user_sessions_end",
    "user_deactivate",
    "sessions_clear_expired",
    "clinician_invite",
    "care_team_assign",
    "care_assignment_end",
    "couple_admit",
    "couple_discharge",
    "consent_grant",
    "consent_revoke",
    "disclosure_record",
    "couple_record_read",
    "PREFERENCE_FIELDS",
    "PARTNER_PREFERENCE_FIELDS",
    "CLINICIAN_PREFERENCE_FIELDS",
    "preference_fields_for",
    "time_zone_names",
    "session_reminders_default",
    "notification_preference_update",
    "SEND_AGAIN_STATUSES",
    "notifications_send_again",
]

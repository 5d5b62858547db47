"""The one notification mechanism every app uses: an outbox of `Notification` rows.

A message exists as a row with a unique key (kind, recipient, object, slot) before anything is
sent. Every minute the beat tick asks each kind what has fallen due (`Kind.plan`), inserts the
rows it does not have yet, and hands due rows to workers by id. The send task claims its row with
a conditional update, re-checks that the message is still true (`Kind.check`), sends it and marks
it sent. So a second beat, a repeated tick, a redelivered task or a killed worker neither loses
nor doubles a message: the row, not the broker, is the record of what was sent.

Each app owns its kinds in `<app>/notifications.py` and registers them with `kind_register`;
`CouplesConfig.ready` imports those modules.

The one window no outbox closes: a worker killed after the mail server accepted a message and
before the row is marked sent. The row is then sent again after `SEND_LEASE`; every email
carries a Message-ID derived from the row, so the duplicate is recognisable.

The parts: `registry` (kinds and message types; `registry.KINDS` is the one registry, which
the other parts look up at call time), `recipients` (preferences, zones, quiet hours), `rows`
(writing rows), `dispatch` (the tick: plan, rescue, dispatch) and `sending` (one row, its
email and its retries). Other code imports the names below from this package.
"""

from couples.notifications.dispatch import (
    DISPATCH_BATCH,
    DISPATCH_LEASE,
    DISPATCH_LEASE_IDLE,
    SEND_CHUNK,
    SEND_LEASE,
    SEND_SOFT_TIME_LIMIT,
    SEND_TIME_LIMIT,
    notifications_dispatch,
    notifications_plan,
    notifications_rescue,
)
from couples.notifications.recipients import (
    Recipient,
    is_quiet_at,
    local_moment,
    next_midnight,
    preference_for,
    quiet_until,
    recipient_for,
    zone_for,
)
from couples.notifications.registry import (
    KINDS,
    Draft,
    Kind,
    Message,
    kind_register,
    object_pk,
    object_ref,
    object_ref_of,
)
from couples.notifications.rows import (
    notification_mark_read,
    notifications_create,
    notifications_revive,
    notifications_withdraw,
)

# The couples app's own kinds (sign-in notices) register when the package loads.
from couples.notifications.security import KINDS_BY_CHANGE, sign_in_change_notify
from couples.notifications.sending import (
    MAIL_DOWN_KEY,
    PROBE_DELAYS,
    RETRY_DELAYS,
    MailState,
    TemporaryError,
    is_server_down,
    is_temporary,
    mail_down_since,
    notification_email,
    notification_send,
    notifications_send,
    retry_delay,
)

__all__ = [
    "DISPATCH_BATCH",
    "DISPATCH_LEASE",
    "DISPATCH_LEASE_IDLE",
    "KINDS",
    "KINDS_BY_CHANGE",
    "MAIL_DOWN_KEY",
    "PROBE_DELAYS",
    "RETRY_DELAYS",
    "SEND_CHUNK",
    "SEND_LEASE",
    "SEND_SOFT_TIME_LIMIT",
    "SEND_TIME_LIMIT",
    "Draft",
    "Kind",
    "MailState",
    "Message",
    "Recipient",
    "TemporaryError",
    "is_quiet_at",
    "is_server_down",
    "is_temporary",
    "kind_register",
    "local_moment",
    "mail_down_since",
    "next_midnight",
    "notification_email",
    "notification_mark_read",
    "notification_send",
    "notifications_create",
    "notifications_dispatch",
    "notifications_plan",
    "notifications_rescue",
    "notifications_revive",
    "notifications_send",
    "notifications_withdraw",
    "object_pk",
    "object_ref",
    "object_ref_of",
    "preference_for",
    "quiet_until",
    "recipient_for",
    "retry_delay",
    "sign_in_change_notify",
    "zone_for",
]

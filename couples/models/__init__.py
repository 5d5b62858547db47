"""The couples app's tables, one module per subject; every model and the care-team words
(CareRole, ROLE_CAPABILITY, PARTNER_ROLES, from couples.rules) are importable from here."""

from couples.models.care import CareAssignment
from couples.models.consent import SharingConsent
from couples.models.notifications import Notification, NotificationPreference
from couples.models.people import Clinician, Couple, Partner, User, UserManager
from couples.rules import PARTNER_ROLES, ROLE_CAPABILITY, CareRole

__all__ = [
    "PARTNER_ROLES",
    "ROLE_CAPABILITY",
    "CareAssignment",
    "CareRole",
    "Clinician",
    "Couple",
    "Notification",
    "NotificationPreference",
    "Partner",
    "SharingConsent",
    "User",
    "UserManager",
]

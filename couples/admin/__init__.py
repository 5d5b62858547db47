"""The couples admin, one module per part; Django's autodiscovery imports this package."""

# Importing each submodule registers its ModelAdmins with the admin site.
from couples.admin import care, clinicians, couples, notifications, users

# Other apps' admins (insurance) build on these.
from couples.admin.shared import (
    PatientListAuditMixin,
    PatientRecordAuditMixin,
    QuickActionCheckboxMixin,
    ServiceFormMixin,
)

__all__ = [
    "PatientListAuditMixin",
    "PatientRecordAuditMixin",
    "QuickActionCheckboxMixin",
    "ServiceFormMixin",
    "care",
    "clinicians",
    "couples",
    "notifications",
    "users",
]

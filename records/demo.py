"""Demo records requests (seed_demo calls seed()): the admin's work queue with one request
under a consent, one from a patient past its 30 days, and one withdrawn. Logged through the
service, so each is audited as the clinic's would be."""

import datetime

from django.utils import timezone

from couples.management.commands.seed_demo import DEMO_DOMAIN
from couples.models import Partner, User
from records import services_requests
from records.models import Purpose, RecordsRequest

# partner handle, days since it arrived, source, recipient, purpose, purpose in words
REQUESTS = [
    ("casey", 10, "consent", "Dr. Ana Rivera, Oak Street Residential", Purpose.CONTINUITY, ""),
    ("riley", 33, "patient", "", "", ""),
    ("taylor", 4, "consent", "Lee & Park LLP", Purpose.OTHER, "Review for the patient's attorney"),
]


def seed() -> None:
    partners = {
        p.user.email.split("@")[0]: p
        for p in Partner.objects.filter(user__email__endswith=f"@{DEMO_DOMAIN}").select_related(
            "user"
        )
    }
    if not partners or RecordsRequest.objects.filter(partner__in=partners.values()).exists():
        return  # no demo clinic, or seeded already
    staff = User.objects.get(email=f"admin@{DEMO_DOMAIN}")
    today = timezone.localdate()
    for handle, days_ago, source, recipient, purpose, purpose_other in REQUESTS:
        if handle not in partners:
            continue
        logged = services_requests.records_request_log(
            partner=partners[handle],
            source=source,
            recipient=recipient,
            consent_reference="Consents binder, tab R" if source == "consent" else "",
            purpose=purpose,
            purpose_other=purpose_other,
            received_on=today - datetime.timedelta(days=days_ago),
            form=RecordsRequest.Form.BOTH,
            by=staff,
        )
        if handle == "taylor":
            services_requests.records_request_withdraw(records_request=logged, by=staff)

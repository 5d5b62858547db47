"""Who reaches the release pages: the rows for tests/test_access_matrix.py, checked here
with the same visitors in the same order."""

import pytest

from audit.models import AuditEvent
from insurance.permissions import insurance_staff_group
from records.models import Disclosure
from tests.auth import sign_in_with_mfa
from tests.factories import ClinicianFactory, UserFactory
from tests.records.conftest import plan_with

VISITORS = [
    "anonymous",
    "partner_of_this_couple",
    "partner_of_another_couple",
    "clinician_on_the_care_team",
    "other_partners_therapist",
    "clinician_not_on_it",
    "insurance_staff",
]

# A couples note is its couples therapist's; Alex's individual note his individual therapist's
# only; the couple plan (a draft here: the page says why it cannot be released) the whole
# care team's. Posted empty, the form comes back with its errors.
MATRIX = {
    "/clinic/notes/{couples_note}/release/": (302, 404, 404, 200, 404, 404, 404),
    "POST /clinic/notes/{couples_note}/release/": (302, 404, 404, 200, 404, 404, 404),
    "/clinic/notes/{alexs_note}/release/": (302, 404, 404, 404, 200, 404, 404),
    "POST /clinic/notes/{alexs_note}/release/": (302, 404, 404, 404, 200, 404, 404),
    "/clinic/plans/{couple_plan}/versions/1/release/": (302, 404, 404, 200, 200, 404, 404),
    "POST /clinic/plans/{couple_plan}/versions/1/release/": (302, 404, 404, 200, 200, 404, 404),
}


@pytest.fixture
def visitors(partner_a, outsider, couples_therapist, alexs_therapist):
    insurance = UserFactory(is_staff=True)
    insurance.groups.add(insurance_staff_group())
    return {
        "anonymous": None,
        "partner_of_this_couple": partner_a.user,
        "partner_of_another_couple": outsider.user,
        "clinician_on_the_care_team": couples_therapist.user,
        "other_partners_therapist": alexs_therapist.user,
        "clinician_not_on_it": ClinicianFactory().user,
        "insurance_staff": insurance,
    }


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("url", MATRIX)
def test_release_pages_access(
    client, visitors, couple, couples_note, alexs_note, couples_therapist, url, visitor
):
    user = visitors[visitor]
    if user is not None:
        sign_in_with_mfa(client, user)
    couple_plan = plan_with(None, couples_therapist, couple=couple, sign=False)
    method, _, template = url.rpartition(" ")
    path = template.format(
        couples_note=couples_note.pk, alexs_note=alexs_note.pk, couple_plan=couple_plan.plan_id
    )

    response = client.post(path) if method == "POST" else client.get(path)

    assert response.status_code == MATRIX[url][VISITORS.index(visitor)], path
    if response.status_code == 404:
        assert AuditEvent.objects.filter(actor=user, allowed=False).exists()
    assert not Disclosure.objects.exists()

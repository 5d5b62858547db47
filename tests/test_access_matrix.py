"""Who may open which page with patient data: one table, every page, every kind of visitor.

Every page that shows patient data joins this table. A row lists the status each
visitor gets for couple A's data; 404 means "does not exist for you" (and is audited).
"""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group

from couples import services
from couples.models import AuditEvent, CareRole
from tests.factories import ClinicianFactory, GoalFactory, PartnerFactory, UserFactory

VISITORS = [
    "anonymous",
    "partner_of_this_couple",
    "partner_of_another_couple",
    "clinician_on_the_care_team",
    "clinician_not_on_it",
    "insurance_staff",
]

# url template (GET, or "POST <url>") -> status per visitor, in VISITORS order.
MATRIX = {
    "/portal/": (302, 200, 200, 403, 403, 403),
    "/portal/sharing/": (302, 200, 200, 403, 403, 403),
    "/portal/record-access/": (302, 200, 200, 403, 403, 403),
    "/portal/checkin/": (302, 200, 200, 403, 403, 403),
    "/portal/goals/new/": (302, 200, 200, 403, 403, 403),
    "/portal/goals/{goal}/": (302, 200, 404, 403, 403, 403),
    "/portal/goals/{private_goal}/": (302, 200, 404, 403, 403, 403),
    "/portal/goals/{goal}/request-change/": (302, 200, 404, 403, 403, 403),
    # Actions, posted empty: the partner gets the form back (200) or a message (302).
    "POST /portal/goals/{goal}/log/": (302, 200, 404, 403, 403, 403),
    "POST /portal/goals/{private_goal}/log/": (302, 200, 404, 403, 403, 403),
    "POST /portal/goals/{goal}/accept/": (302, 302, 404, 403, 403, 403),
    "POST /portal/goals/{goal}/request-change/": (302, 200, 404, 403, 403, 403),
    "/clinic/": (302, 403, 403, 200, 200, 403),
    "/clinic/couples/{couple}/": (302, 403, 404, 200, 404, 404),
    "/clinic/couples/{couple}/goals/new/": (302, 403, 404, 200, 404, 404),
    "/clinic/couples/{couple}/goals/new/?partner={partner}": (302, 403, 404, 200, 404, 404),
    "/clinic/goals/{goal}/": (302, 403, 404, 200, 404, 404),
    "/clinic/goals/{private_goal}/": (302, 403, 404, 200, 404, 404),
    "/clinic/goals/{goal}/edit/": (302, 403, 404, 200, 404, 404),
    # Clinic actions, posted empty: the clinician gets the form back (200) or a message (302).
    "POST /clinic/couples/{couple}/goals/new/": (302, 403, 404, 200, 404, 404),
    "POST /clinic/goals/{goal}/edit/": (302, 403, 404, 200, 404, 404),
    "POST /clinic/goals/{goal}/status/": (302, 403, 404, 302, 404, 404),
    "/admin/couples/couple/{couple}/change/": (302, 302, 302, 302, 302, 403),
    "/admin/couples/partner/{partner}/change/": (302, 302, 302, 302, 302, 403),
}


@pytest.fixture
def clinic(db):
    """Couple A with its care team, and couple B next door."""
    partner = PartnerFactory(user__first_name="Jordan")
    PartnerFactory(couple=partner.couple, user__first_name="Alex")
    on_team = ClinicianFactory()
    services.care_team_assign(
        couple=partner.couple, role=CareRole.COUPLES_THERAPIST, clinician=on_team, by=None
    )
    other = PartnerFactory()
    services.care_team_assign(
        couple=other.couple, role=CareRole.COUPLES_THERAPIST, clinician=ClinicianFactory(), by=None
    )
    insurance = UserFactory(is_staff=True)
    insurance.groups.add(Group.objects.get_or_create(name="Insurance staff")[0])
    return {
        "couple": partner.couple,
        "partner": partner,
        "goal": GoalFactory(couple=partner.couple),
        "private_goal": GoalFactory(couple=partner.couple, partner=partner),
        "anonymous": None,
        "partner_of_this_couple": partner.user,
        "partner_of_another_couple": other.user,
        "clinician_on_the_care_team": on_team.user,
        "clinician_not_on_it": ClinicianFactory().user,
        "insurance_staff": insurance,
    }


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("url", MATRIX)
def test_access_matrix(client, clinic, url, visitor):
    user = clinic[visitor]
    if user is not None:
        TOTP.activate(user, generate_totp_secret())  # so MFA is never the reason for a status
        client.force_login(user)
    method, _, template = url.rpartition(" ")
    path = template.format(
        couple=clinic["couple"].pk,
        partner=clinic["partner"].pk,
        goal=clinic["goal"].pk,
        private_goal=clinic["private_goal"].pk,
    )

    response = client.post(path) if method == "POST" else client.get(path)

    assert response.status_code == MATRIX[url][VISITORS.index(visitor)], path
    if response.status_code == 404:
        assert AuditEvent.objects.filter(actor=user, allowed=False).exists()

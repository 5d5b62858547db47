"""People the goals tests share: Jordan (partner A) signed in, and Jordan's counselor."""

import pytest

from couples import services as couple_services
from couples.models import CareRole
from tests.factories import ClinicianFactory


@pytest.fixture
def jordan(client, partner_a, partner_b):
    """Jordan (partner A) signed in, with Alex (partner B) as partner."""
    client.force_login(partner_a.user)
    return client


@pytest.fixture
def jordans_counselor(couple, partner_a):
    """Kim, Jordan's (partner A's) counselor: her role covers Jordan only."""
    kim = ClinicianFactory(
        can_be_couples_therapist=False, can_be_counselor=True, user__first_name="Kim"
    )
    couple_services.care_team_assign(
        couple=couple, role=CareRole.COUNSELOR, clinician=kim, partner=partner_a, by=None
    )
    return kim

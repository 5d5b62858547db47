import datetime

import pytest

from couples import services
from couples.models import CareRole
from tests.factories import ClinicianFactory

# A fixed moment (15:00 UTC: the same day in every US zone), so no test depends on the day.
NOW = datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def jordans_therapist(couple, partner_a):
    """Priya, Jordan's (partner A's) individual therapist."""
    priya = ClinicianFactory(
        can_be_couples_therapist=False,
        can_be_individual_therapist=True,
        user__first_name="Priya",
    )
    services.care_team_assign(
        couple=couple,
        role=CareRole.INDIVIDUAL_THERAPIST,
        clinician=priya,
        partner=partner_a,
        by=None,
    )
    return priya


RATINGS = {1: 0, 2: 1, 3: 2, 4: 2, 5: 3, 6: 1}

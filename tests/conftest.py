import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

import config.settings as production
from audit.services import chain_heads_ensure
from couples import services
from couples.models import CareRole
from tests.factories import (
    ClinicianFactory,
    CoupleFactory,
    PartnerFactory,
    StaffUserFactory,
    UserFactory,
)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database with production's cache table, which migrate made for the test
    settings' in-memory cache: none. Processes the tests start with production settings
    (tests/delivery's workers, tests/bench's gunicorn) keep their cache in it."""
    with django_db_blocker.unblock(), override_settings(CACHES=production.CACHES):
        call_command("createcachetable", verbosity=0)


@pytest.fixture(scope="module")
def demo_seeded_once(django_db_setup, django_db_blocker):
    """The demo, seeded once for the module that asks (seeding takes seconds) in a
    transaction rolled back after its last test; each test runs in a savepoint inside it
    (ask for `db` too), so none sees another's changes."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", allow_production=True, stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_serialized_rollback"}


@pytest.fixture(autouse=True)
def _audit_chain_heads_back(request, django_db_blocker):
    """Some tests end by emptying every table (a transactional test's flush, a benchmark's
    server), the audit chain heads a data migration made among them. The app makes them again
    on its next write, three queries more, so a query pin in whichever test comes next on this
    worker would count them: put them back after any test that used the database."""
    yield
    marker = request.node.get_closest_marker("django_db")
    if marker is not None or DATABASE_FIXTURES & set(request.fixturenames):
        with django_db_blocker.unblock():
            chain_heads_ensure()


@pytest.fixture(autouse=True)
def _clear_cache():
    # allauth keeps rate-limit counters and used TOTP codes in the cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def couple(db):
    return CoupleFactory()


@pytest.fixture
def partner_a(couple):
    return PartnerFactory(couple=couple, user__first_name="Jordan")


@pytest.fixture
def partner_b(couple):
    return PartnerFactory(couple=couple, user__first_name="Alex")


@pytest.fixture
def clinician(db):
    return ClinicianFactory(user__first_name="Maya")


@pytest.fixture
def couples_therapist(couple):
    """Maya, the couple's couples therapist: her role covers both partners."""
    maya = ClinicianFactory(user__first_name="Maya")
    services.care_team_assign(
        couple=couple, role=CareRole.COUPLES_THERAPIST, clinician=maya, by=None
    )
    return maya


@pytest.fixture
def alexs_therapist(couple, partner_b):
    """Daniel, Alex's (partner B's) individual therapist on the same care team: his role
    covers Alex only (minimum necessary)."""
    daniel = ClinicianFactory(
        can_be_couples_therapist=False,
        can_be_individual_therapist=True,
        user__first_name="Daniel",
    )
    services.care_team_assign(
        couple=couple,
        role=CareRole.INDIVIDUAL_THERAPIST,
        clinician=daniel,
        partner=partner_b,
        by=None,
    )
    return daniel


@pytest.fixture
def staff(db):
    return StaffUserFactory()


@pytest.fixture
def outsider(db):
    """A partner in another couple: may never see anything of partner_a's couple."""
    return PartnerFactory()


@pytest.fixture
def plain_user(db):
    return UserFactory()


@pytest.fixture
def team(db):
    """Clinicians for a rule-abiding care team, each allowed only their role."""
    return {
        "couples": ClinicianFactory(can_be_couples_therapist=True, user__last_name="Couples"),
        "therapist": ClinicianFactory(
            can_be_couples_therapist=False,
            can_be_individual_therapist=True,
            user__last_name="Therapist",
        ),
        "counselor": ClinicianFactory(
            can_be_couples_therapist=False, can_be_counselor=True, user__last_name="Counselor"
        ),
        "versatile": ClinicianFactory(
            can_be_couples_therapist=True,
            can_be_individual_therapist=True,
            can_be_counselor=True,
            user__first_name="Val",
            user__last_name="Versatile",
        ),
    }

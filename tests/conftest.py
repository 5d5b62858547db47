import pytest
from django.core.cache import cache

from tests.factories import (
    ClinicianFactory,
    CoupleFactory,
    PartnerFactory,
    StaffUserFactory,
    UserFactory,
)


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
def staff(db):
    return StaffUserFactory()


@pytest.fixture
def outsider(db):
    """A partner in another couple: may never see anything of partner_a's couple."""
    return PartnerFactory()


@pytest.fixture
def plain_user(db):
    return UserFactory()

import datetime

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from couples.models import Clinician, Couple, Partner, User

PASSWORD = "a-long-test-passphrase-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(user, create, extracted, **kwargs):
        # allauth requires a verified address before anyone signs in.
        if create and extracted is not False:
            EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)


class StaffUserFactory(UserFactory):
    is_staff = True
    is_superuser = True


class ClinicianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinician

    user = factory.SubFactory(UserFactory)
    credentials = "LMFT"
    can_be_couples_therapist = True


class CoupleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Couple

    status = Couple.Status.ACTIVE
    admitted_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=20))


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    user = factory.SubFactory(UserFactory)
    couple = factory.SubFactory(CoupleFactory)
    sobriety_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))


class GoalFactory(factory.django.DjangoModelFactory):
    """An active shared goal by default; pass partner= for an individual one."""

    class Meta:
        model = "goals.Goal"

    couple = factory.SubFactory(CoupleFactory)
    partner = None
    category = "communication"
    title = factory.Sequence(lambda n: f"Goal {n}")
    measure = "yes_no"
    target = 5
    start_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    status = "active"
    created_by = factory.SubFactory(UserFactory)

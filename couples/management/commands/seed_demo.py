import datetime
from importlib import import_module

from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from couples import services
from couples.models import CareRole, Clinician, Couple, Partner, SharingConsent, User

DEMO_PASSWORD = "recovery-together-2026"
DEMO_DOMAIN = "demo.couplesrehab.test"

CLINICIANS = [
    # email, first, last, credentials, roles
    ("maya.chen", "Maya", "Chen", "LMFT", {"can_be_couples_therapist"}),
    ("daniel.okafor", "Daniel", "Okafor", "LCSW", {"can_be_individual_therapist"}),
    (
        "priya.raman",
        "Priya",
        "Raman",
        "LPC",
        {"can_be_individual_therapist", "can_be_couples_therapist"},
    ),
    ("sam.rivera", "Sam", "Rivera", "CADC", {"can_be_counselor"}),
    ("ellen.brooks", "Ellen", "Brooks", "MD", {"can_be_medical_provider"}),
]

COUPLES = [
    # (partner, partner), status, days in program, time zone
    (
        (("jordan", "Jordan", "Miller"), ("alex", "Alex", "Miller")),
        Couple.Status.ACTIVE,
        64,
        "America/New_York",
    ),
    (
        (("casey", "Casey", "Nguyen"), ("riley", "Riley", "Park")),
        Couple.Status.ACTIVE,
        75,
        "America/Chicago",
    ),
    (
        (("morgan", "Morgan", "Diaz"), ("taylor", "Taylor", "Diaz")),
        Couple.Status.ACTIVE,
        61,
        "America/Los_Angeles",
    ),
]

# Care teams that satisfy the rule: (couples therapist, [(therapist, counselor) per partner]).
CARE_TEAMS = [
    ("maya.chen", [("daniel.okafor", "sam.rivera"), ("priya.raman", "sam.rivera")]),
    ("priya.raman", [("daniel.okafor", "sam.rivera"), ("daniel.okafor", "sam.rivera")]),
    ("maya.chen", [("priya.raman", "sam.rivera"), ("daniel.okafor", "sam.rivera")]),
]
# How long the demo's clinicians and staff may set up an authenticator after a seeding.
DEMO_SECOND_FACTOR_WINDOW = datetime.timedelta(days=7)
# Jordan shares goals and check-ins with Alex; Alex shares nothing.
CONSENTING_PARTNERS = {"jordan"}


class Command(BaseCommand):
    help = "Create (or refresh) a small demo clinic and print its logins. Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even though DEBUG is off (never on a clinic's real database).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError("seed_demo only runs with DEBUG on (or --allow-production).")
        with transaction.atomic():
            logins = self._seed()
            _seed_other_apps()
        self.stdout.write(self.style.SUCCESS("Demo clinic ready. Every password: " + DEMO_PASSWORD))
        for role, email in logins:
            self.stdout.write(f"  {role:<52} {email}")
        self.stdout.write(
            "Clinicians and staff set up two-factor sign-in the first time they sign in "
            f"(within {DEMO_SECOND_FACTOR_WINDOW.days} days; in a clinic, from their invitation)."
        )

    def _seed(self) -> list[tuple[str, str]]:
        logins = []
        admin = _user("admin", "Avery", "Stone", is_staff=True, is_superuser=True)
        logins.append(("Clinic admin (staff)", admin.email))
        for handle, first, last, credentials, roles in CLINICIANS:
            user = _user(handle, first, last)
            flags = {
                field: field in roles
                for field in [
                    "can_be_individual_therapist",
                    "can_be_couples_therapist",
                    "can_be_counselor",
                    "can_be_medical_provider",
                ]
            }
            clinician, _ = Clinician.objects.update_or_create(
                user=user, defaults={"credentials": credentials, **flags}
            )
            logins.append((f"Clinician ({', '.join(clinician.role_labels).lower()})", user.email))
        today = timezone.localdate()
        clinicians = {
            c.user.email.split("@")[0]: c for c in Clinician.objects.select_related("user")
        }
        for (people, status, days, time_zone), team in zip(COUPLES, CARE_TEAMS, strict=True):
            first_email = _email(people[0][0])
            existing = (
                Partner.objects.filter(user__email=first_email).select_related("couple").first()
            )
            couple = existing.couple if existing else Couple()
            couple.status = status
            couple.admitted_on = today - datetime.timedelta(days=days)
            couple.time_zone = time_zone
            couple.save()
            for handle, first, last in people:
                user = _user(handle, first, last)
                Partner.objects.update_or_create(
                    user=user,
                    defaults={
                        "couple": couple,
                        "sobriety_date": today - datetime.timedelta(days=days + 10),
                        "date_of_birth": _born(handle),
                    },
                )
                logins.append((f"Partner ({couple})", user.email))
            _care_team(couple, team, clinicians, by=admin)
            _consents(couple)
        return logins


def _born(handle: str) -> datetime.date:
    """A date of birth that stays the same from run to run: an age of 28 to 51 by the
    handle, on a day of the year from it too."""
    number = sum(handle.encode())
    return datetime.date(1975 + number % 24, 1 + number % 12, 1 + number % 28)


def demo_couples():
    """The demo clinic's couples, oldest first: what each app's demo.py seeds for."""
    return (
        Couple.objects.filter(partners__user__email__endswith=f"@{DEMO_DOMAIN}")
        .distinct()
        .order_by("pk")
    )


def _seed_other_apps() -> None:
    """Each app may add its own demo data in `<app>/demo.py` (a `seed()` function), so
    this core command needs to know none of them."""
    for app_config in apps.get_app_configs():
        if app_config.name == "couples" or not module_has_submodule(app_config.module, "demo"):
            continue
        import_module(f"{app_config.name}.demo").seed()


def _care_team(couple: Couple, team, clinicians: dict, *, by: User) -> None:
    """Assign through the service, so the demo obeys the same rule as the clinic."""
    couples_therapist, per_partner = team
    services.care_team_assign(
        couple=couple,
        role=CareRole.COUPLES_THERAPIST,
        clinician=clinicians[couples_therapist],
        by=by,
    )
    for partner, (therapist, counselor) in zip(
        couple.partners.order_by("pk"), per_partner, strict=True
    ):
        for role, handle in [
            (CareRole.INDIVIDUAL_THERAPIST, therapist),
            (CareRole.COUNSELOR, counselor),
            (CareRole.MEDICAL_PROVIDER, "ellen.brooks"),
        ]:
            services.care_team_assign(
                couple=couple, partner=partner, role=role, clinician=clinicians[handle], by=by
            )


def _consents(couple: Couple) -> None:
    for partner in couple.partners.select_related("user"):
        handle = partner.user.email.split("@")[0]
        is_open = SharingConsent.objects.filter(partner=partner, revoked_at__isnull=True).exists()
        if handle in CONSENTING_PARTNERS and not is_open:
            services.consent_grant(
                partner=partner, shares_goals=True, shares_checkins=True, by=partner.user
            )


def _email(handle: str) -> str:
    return f"{handle}@{DEMO_DOMAIN}"


def _user(handle: str, first: str, last: str, **flags) -> User:
    email = _email(handle)
    user, _ = User.objects.update_or_create(
        email=email, defaults={"first_name": first, "last_name": last, "is_active": True, **flags}
    )
    user.set_password(DEMO_PASSWORD)
    # In a clinic only an invitation lets someone set up a first authenticator app; the
    # demo's people sign in with a known password, so it opens that window for them.
    user.second_factor_setup_until = timezone.now() + DEMO_SECOND_FACTOR_WINDOW
    user.save(update_fields=["password", "second_factor_setup_until"])
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user

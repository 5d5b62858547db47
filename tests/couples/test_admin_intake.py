"""Intake and invitations in the admin: one step, through the services, the rule enforced."""

import datetime
import html

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from couples.models import CareAssignment, CareRole, Clinician, Couple, Partner, User
from tests.auth import sign_in_with_mfa
from tests.factories import UserFactory

pytestmark = pytest.mark.timeshift

ADMIT_URL = "/admin/couples/couple/admit/"
INVITE_URL = "/admin/couples/clinician/invite/"


@pytest.fixture
def manager(client, staff):
    """The staff fixture signed in to the admin (staff need a second factor to get past /admin/)."""
    sign_in_with_mfa(client, staff)
    return client


def _intake(team, **changes):
    """The intake form as a manager fills it in; `changes` overrides single fields."""
    data = {
        "partner1-first_name": "Jo",
        "partner1-last_name": "March",
        "partner1-preferred_name": "",
        "partner1-email": "jo@example.test",
        "partner1-individual_therapist": team["therapist"].pk,
        "partner1-counselor": team["counselor"].pk,
        "partner2-first_name": "Sam",
        "partner2-last_name": "March",
        "partner2-preferred_name": "Sammy",
        "partner2-email": "sam@example.test",
        "partner2-individual_therapist": team["therapist"].pk,
        "partner2-counselor": team["counselor"].pk,
        "time_zone": "America/Chicago",
        "admitted_on": (timezone.localdate() - datetime.timedelta(days=14)).isoformat(),
        "couples_therapist": team["couples"].pk,
    }
    data.update(changes)
    return data


def _shown(response) -> str:
    """The page as a person reads it (apostrophes and ampersands unescaped)."""
    return html.unescape(response.text)


def _nothing_saved(users_before: int) -> bool:
    return (
        not Couple.objects.exists()
        and not Partner.objects.exists()
        and not CareAssignment.objects.exists()
        and User.objects.count() == users_before
    )


# --- Intake ------------------------------------------------------------------------------


def test_the_couples_list_offers_to_admit_a_couple_instead_of_adding_one(manager):
    response = manager.get(reverse("admin:couples_couple_changelist"))

    assert f'href="{ADMIT_URL}"' in response.text
    assert "Add couple" not in response.text
    assert manager.get(reverse("admin:couples_couple_add")).url == ADMIT_URL


def test_the_intake_form_offers_each_role_only_clinicians_allowed_to_hold_it(manager, team):
    response = manager.get(ADMIT_URL)

    assert response.status_code == 200
    form = response.context["adminforms"][2].form
    assert set(form.fields["couples_therapist"].queryset) == {team["couples"], team["versatile"]}
    partner_form = response.context["adminforms"][0].form
    assert set(partner_form.fields["counselor"].queryset) == {team["counselor"], team["versatile"]}
    assert form["time_zone"].value() == "America/New_York"


def test_admitting_a_couple_in_admin_creates_the_couple_its_team_and_two_invitations(
    manager, staff, team, django_capture_on_commit_callbacks
):
    typed = _intake(team)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(ADMIT_URL, typed)

    couple = Couple.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:couples_couple_change", args=[couple.pk])
    assert couple.time_zone == "America/Chicago"
    assert couple.admitted_on.isoformat() == typed["admitted_on"]
    assert sorted(couple.partners.values_list("user__email", flat=True)) == [
        "jo@example.test",
        "sam@example.test",
    ]
    assert couple.partners.get(user__first_name="Sam").preferred_name == "Sammy"
    current = CareAssignment.objects.filter(couple=couple, ended_at__isnull=True)
    assert current.count() == 5
    assert set(current.values_list("assigned_by", flat=True)) == {staff.pk}
    assert sorted(message.to[0] for message in mail.outbox) == [
        "jo@example.test",
        "sam@example.test",
    ]


@pytest.mark.parametrize(
    ("changes", "conflict"),
    [
        pytest.param(
            {"couples_therapist": "versatile", "partner1-individual_therapist": "versatile"},
            "Val Versatile, LMFT is the couples therapist, so cannot also be Jo's "
            "individual therapist.",
            id="couples-therapist-is-also-a-partners-therapist",
        ),
        pytest.param(
            {"couples_therapist": "versatile", "partner2-counselor": "versatile"},
            "Val Versatile, LMFT is the couples therapist, so cannot also be Sammy's "
            "drug & alcohol counselor.",
            id="couples-therapist-is-also-a-partners-counselor",
        ),
        pytest.param(
            {"partner1-individual_therapist": "versatile", "partner1-counselor": "versatile"},
            "Jo's individual therapist and drug & alcohol counselor must be different "
            "clinicians (Val Versatile, LMFT holds both).",
            id="same-clinician-is-a-partners-therapist-and-counselor",
        ),
        pytest.param(
            {"couples_therapist": "therapist"},
            "Choose a clinician whose profile allows the couples therapist role.",
            id="clinician-without-the-capability",
        ),
    ],
)
def test_intake_that_breaks_the_care_team_rule_names_the_conflict_and_saves_nothing(
    manager, team, changes, conflict, django_capture_on_commit_callbacks
):
    users_before = User.objects.count()
    data = _intake(team, **{field: team[key].pk for field, key in changes.items()})

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(ADMIT_URL, data)

    assert response.status_code == 200
    assert conflict in _shown(response)
    assert _nothing_saved(users_before)
    assert mail.outbox == []
    # Everything typed is still there to correct.
    assert 'value="jo@example.test"' in response.text
    assert 'value="Sammy"' in response.text


def test_intake_with_an_email_already_in_use_names_it_and_saves_nothing(
    manager, team, django_capture_on_commit_callbacks
):
    UserFactory(email="sam@example.test")
    users_before = User.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(ADMIT_URL, _intake(team))

    assert response.status_code == 200
    assert "Someone already has an account with sam@example.test." in _shown(response)
    assert _nothing_saved(users_before)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.INVITE).exists()
    assert mail.outbox == []


def test_intake_refuses_the_same_email_for_both_partners(manager, team):
    users_before = User.objects.count()

    response = manager.post(ADMIT_URL, _intake(team, **{"partner2-email": "JO@example.test"}))

    assert "The two partners need different email addresses." in _shown(response)
    assert _nothing_saved(users_before)


def test_intake_with_missing_fields_marks_each_of_them(manager, team):
    response = manager.post(ADMIT_URL, _intake(team, **{"partner2-email": "", "admitted_on": ""}))

    assert response.status_code == 200
    assert response.context["adminforms"][1].form.errors == {"email": ["This field is required."]}
    assert "admitted_on" in response.context["adminforms"][2].form.errors
    assert not Couple.objects.exists()


def test_staff_without_the_add_couple_permission_cannot_admit(client, team):
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_couple"))
    sign_in_with_mfa(client, clerk)

    assert client.get(ADMIT_URL).status_code == 403
    assert client.post(ADMIT_URL, _intake(team)).status_code == 403
    assert not Couple.objects.exists()


@pytest.mark.parametrize("url", [ADMIT_URL, INVITE_URL])
def test_people_who_are_not_staff_are_sent_to_the_admin_login(client, plain_user, url):
    client.force_login(plain_user)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# --- Inviting clinicians -----------------------------------------------------------------


def _invitation(**changes):
    data = {
        "first_name": "Lee",
        "last_name": "Wu",
        "email": "lee.wu@example.test",
        "credentials": "LCSW",
        "roles": [CareRole.INDIVIDUAL_THERAPIST, CareRole.COUNSELOR],
    }
    data.update(changes)
    return data


def test_the_clinicians_list_offers_to_invite_a_clinician(manager):
    response = manager.get(reverse("admin:couples_clinician_changelist"))

    assert f'href="{INVITE_URL}"' in response.text
    assert manager.get(reverse("admin:couples_clinician_add")).url == INVITE_URL


def test_inviting_a_clinician_in_admin_creates_their_profile_and_emails_them(
    manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(INVITE_URL, _invitation())

    clinician = Clinician.objects.get(user__email="lee.wu@example.test")
    assert response.status_code == 302
    assert response.url == reverse("admin:couples_clinician_change", args=[clinician.pk])
    assert clinician.credentials == "LCSW"
    assert clinician.role_labels == ["Individual therapist", "Drug & alcohol counselor"]
    assert not clinician.user.has_usable_password()
    assert [message.to for message in mail.outbox] == [["lee.wu@example.test"]]


def test_inviting_a_clinician_with_an_email_in_use_shows_it_on_the_email_field(manager):
    UserFactory(email="lee.wu@example.test")

    response = manager.post(INVITE_URL, _invitation(email="Lee.Wu@example.test"))

    assert response.status_code == 200
    assert response.context["adminforms"][0].form.errors == {
        "email": ["Someone already has an account with Lee.Wu@example.test."]
    }
    assert not Clinician.objects.exists()


def test_inviting_a_clinician_needs_at_least_one_role(manager):
    response = manager.post(INVITE_URL, _invitation(roles=[]))

    assert "Choose at least one role." in _shown(response)
    assert not User.objects.filter(email="lee.wu@example.test").exists()

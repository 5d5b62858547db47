import csv
import datetime
import html
import io

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from audit import services as audit_services
from audit.models import AuditEvent
from couples import services
from couples.models import CareAssignment, CareRole, Clinician, Couple, Partner, User
from tests.auth import sign_in_with_mfa
from tests.factories import ClinicianFactory, UserFactory


def _admin_client(client, staff):
    sign_in_with_mfa(client, staff)
    return client


def test_adding_a_user_in_admin_sends_an_invitation(
    client, staff, django_capture_on_commit_callbacks
):
    _admin_client(client, staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:couples_user_add"),
            {"email": "newclinician@example.test", "first_name": "Lee", "last_name": "Wu"},
        )

    assert response.status_code == 302
    user = User.objects.get(email="newclinician@example.test")
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["newclinician@example.test"]


def test_adding_a_duplicate_email_in_admin_shows_an_error_and_saves_nothing(client, staff):
    _admin_client(client, staff)
    UserFactory(email="dup@example.test")

    response = client.post(
        reverse("admin:couples_user_add"),
        {"email": "DUP@example.test", "first_name": "X", "last_name": "Y"},
    )

    assert response.status_code == 200
    assert User.objects.filter(email__iexact="dup@example.test").count() == 1


def test_unticking_active_in_admin_deactivates_through_the_service(client, staff):
    _admin_client(client, staff)
    user = UserFactory()
    url = reverse("admin:couples_user_change", args=[user.pk])
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_staff": "",
        "is_superuser": "",
    }

    response = client.post(url, data)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active is False
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DEACTIVATE, actor=staff).exists()


def test_the_audit_log_is_read_only_in_admin(client, staff):
    _admin_client(client, staff)
    from audit.services import audit_record

    event = audit_record(actor=staff, action=AuditEvent.Action.READ)

    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:audit_auditevent_delete", args=[event.pk])).status_code == 403
    response = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert response.status_code == 200
    assert "Save" not in response.text


def test_staff_opening_a_couple_in_admin_is_audited_per_patient(
    client, staff, partner_a, partner_b
):
    _admin_client(client, staff)

    response = client.get(reverse("admin:couples_couple_change", args=[partner_a.couple_id]))

    assert response.status_code == 200
    reads = AuditEvent.objects.filter(action=AuditEvent.Action.READ, actor=staff)
    assert {event.patient_id for event in reads} == {partner_a.pk, partner_b.pk}
    assert all(event.detail == {"via": "admin"} for event in reads)


def test_a_patient_record_is_not_served_when_its_audit_cannot_be_written(
    client, staff, partner_a, monkeypatch
):
    _admin_client(client, staff)
    client.raise_request_exception = False

    def broken_audit(**kwargs):
        raise RuntimeError("audit storage unavailable")

    monkeypatch.setattr("couples.admin.shared.audit_services.audit_record", broken_audit)

    response = client.get(reverse("admin:couples_couple_change", args=[partner_a.couple_id]))

    assert response.status_code == 500
    assert partner_a.user.email not in response.text


# --- Care teams --------------------------------------------------------------------------


@pytest.fixture
def care_team(couple, partner_a, partner_b, staff):
    """A rule-abiding team for the couple fixture, assigned through the service."""
    team = {
        "couples": ClinicianFactory(user__first_name="Cora", user__last_name="Couples"),
        "therapist": ClinicianFactory(
            can_be_couples_therapist=False,
            can_be_individual_therapist=True,
            user__first_name="Theo",
            user__last_name="Therapist",
        ),
        "counselor": ClinicianFactory(
            can_be_couples_therapist=False,
            can_be_counselor=True,
            user__first_name="Cal",
            user__last_name="Counselor",
        ),
    }
    services.care_team_assign(
        couple=couple, role=CareRole.COUPLES_THERAPIST, clinician=team["couples"], by=staff
    )
    for partner in (partner_a, partner_b):
        services.care_team_assign(
            couple=couple,
            partner=partner,
            role=CareRole.INDIVIDUAL_THERAPIST,
            clinician=team["therapist"],
            by=staff,
        )
        services.care_team_assign(
            couple=couple,
            partner=partner,
            role=CareRole.COUNSELOR,
            clinician=team["counselor"],
            by=staff,
        )
    return team


def _assign_url(couple) -> str:
    return f"{reverse('admin:couples_careassignment_add')}?couple={couple.pk}"


def test_assigning_a_clinician_in_admin_starts_with_choosing_the_couple(
    client, staff, couple, partner_a
):
    _admin_client(client, staff)

    response = client.get(reverse("admin:couples_careassignment_add"))

    assert response.status_code == 200
    assert f"{couple}: {partner_a.user.get_full_name()}" in response.text


def test_reassigning_a_role_in_admin_ends_the_previous_row_and_keeps_it_in_history(
    client, staff, couple, partner_a, care_team
):
    _admin_client(client, staff)
    new_therapist = ClinicianFactory(
        can_be_individual_therapist=True, user__first_name="Nia", user__last_name="New"
    )

    response = client.post(
        _assign_url(couple),
        {"slot": f"individual_therapist:{partner_a.pk}", "clinician": new_therapist.pk},
    )

    assert response.status_code == 302
    assert response.url == reverse("admin:couples_couple_change", args=[couple.pk])
    rows = CareAssignment.objects.filter(partner=partner_a, role=CareRole.INDIVIDUAL_THERAPIST)
    assert rows.count() == 2
    previous = rows.get(clinician=care_team["therapist"])
    assert previous.ended_at is not None
    assert rows.get(ended_at__isnull=True).clinician == new_therapist
    history = client.get(response.url)
    assert "Theo Therapist" in history.text and "Nia New" in history.text


@pytest.mark.parametrize(
    ("slot", "clinician_key", "conflict"),
    [
        pytest.param(
            "counselor:{partner}",
            "couples",
            "Cora Couples, LMFT is the couples therapist, so cannot also be Jordan's "
            "drug & alcohol counselor.",
            id="couples-therapist-as-a-partners-counselor",
        ),
        pytest.param(
            "individual_therapist:{partner}",
            "versatile",
            "Jordan's individual therapist and drug & alcohol counselor must be different "
            "clinicians (Val Versatile, LMFT holds both).",
            id="same-clinician-as-therapist-and-counselor",
        ),
        pytest.param(
            "counselor:{partner}",
            "therapist",
            "Theo Therapist, LMFT cannot be a drug & alcohol counselor: their clinician "
            "profile does not include that role.",
            id="clinician-without-the-capability",
        ),
    ],
)
def test_an_assignment_in_admin_that_breaks_the_rule_names_the_conflict_and_saves_nothing(
    client, staff, couple, partner_a, care_team, slot, clinician_key, conflict
):
    _admin_client(client, staff)
    versatile = ClinicianFactory(
        can_be_individual_therapist=True,
        can_be_counselor=True,
        user__first_name="Val",
        user__last_name="Versatile",
    )
    if clinician_key == "versatile":
        services.care_team_assign(
            couple=couple, partner=partner_a, role=CareRole.COUNSELOR, clinician=versatile, by=staff
        )
    clinician = versatile if clinician_key == "versatile" else care_team[clinician_key]
    rows_before = list(CareAssignment.objects.values_list("pk", "ended_at"))

    response = client.post(
        _assign_url(couple),
        {"slot": slot.format(partner=partner_a.pk), "clinician": clinician.pk},
    )

    assert response.status_code == 200
    assert conflict in html.unescape(response.text)
    assert list(CareAssignment.objects.values_list("pk", "ended_at")) == rows_before


def test_an_assignment_cannot_name_a_partner_of_another_couple(
    client, staff, couple, care_team, outsider
):
    _admin_client(client, staff)

    response = client.post(
        _assign_url(couple),
        {"slot": f"counselor:{outsider.pk}", "clinician": care_team["counselor"].pk},
    )

    assert response.status_code == 200
    assert "slot" in response.context["adminforms"][0].form.errors
    assert not CareAssignment.objects.filter(partner=outsider).exists()


def test_care_records_cannot_be_deleted_or_edited_in_admin(
    client, staff, couple, partner_a, care_team
):
    _admin_client(client, staff)
    assignment = CareAssignment.objects.filter(partner=partner_a).first()

    for url in [
        reverse("admin:couples_careassignment_delete", args=[assignment.pk]),
        reverse("admin:couples_couple_delete", args=[couple.pk]),
        reverse("admin:couples_partner_delete", args=[partner_a.pk]),
        reverse("admin:couples_clinician_delete", args=[care_team["counselor"].pk]),
    ]:
        assert client.post(url, {"post": "yes"}).status_code == 403, url
    change_url = reverse("admin:couples_careassignment_change", args=[assignment.pk])
    assert client.post(change_url, {"ended_at_0": "2026-01-01"}).status_code == 403
    assert CareAssignment.objects.filter(pk=assignment.pk, ended_at__isnull=True).exists()
    for model in (CareAssignment, Couple, Partner, Clinician):
        model_admin = django_admin.site.get_model_admin(model)
        assert "delete_selected" not in model_admin.get_actions(_request(staff))


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_the_couple_page_shows_the_care_team_history_read_only(
    client, staff, couple, partner_a, care_team
):
    _admin_client(client, staff)

    response = client.get(reverse("admin:couples_couple_change", args=[couple.pk]))

    history = response.context["inline_admin_formsets"][1]
    assert history.formset.queryset.count() == 5
    assert not history.has_add_permission and not history.has_change_permission
    assert not history.has_delete_permission
    assert f"{reverse('admin:couples_careassignment_add')}?couple={couple.pk}" in response.text


def test_discharging_in_admin_goes_through_the_service_and_deletes_nothing(
    client, staff, couple, partner_a, partner_b, care_team
):
    _admin_client(client, staff)

    response = client.post(
        reverse("admin:couples_couple_changelist"),
        {"action": "discharge", "_selected_action": [couple.pk]},
    )

    assert response.status_code == 302
    couple.refresh_from_db()
    assert couple.status == Couple.Status.DISCHARGED
    assert couple.discharged_on == timezone.localdate()
    assert couple.partners.count() == 2
    assert couple.care_assignments.count() == 5
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE, target_id=str(couple.pk), actor=staff
    ).exists()


def test_editing_a_partner_in_admin_is_audited_for_that_patient(client, staff, partner_a):
    _admin_client(client, staff)

    response = client.post(
        reverse("admin:couples_partner_change", args=[partner_a.pk]),
        {
            "preferred_name": "Jo",
            # Earlier than the factory's (30 days back), so the date changes.
            "sobriety_date": (timezone.localdate() - datetime.timedelta(days=90)).isoformat(),
            # The read-only care-team history inline still posts its (empty) management form.
            "care_assignments-TOTAL_FORMS": "0",
            "care_assignments-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    partner_a.refresh_from_db()
    assert partner_a.preferred_name == "Jo"
    update = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, actor=staff)
    assert update.patient == partner_a
    assert update.detail == {"via": "admin", "changed": ["preferred_name", "sobriety_date"]}


# --- Audit log: filters and export ---------------------------------------------------------


def _csv_rows(response) -> list[dict]:
    content = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(content)))


def test_the_audit_log_filters_by_user_and_patient_without_listing_everyone(
    client, staff, partner_a, partner_b
):
    _admin_client(client, staff)
    audit_services.audit_record(
        actor=partner_a.user, action=AuditEvent.Action.READ, patient=partner_a
    )
    audit_services.audit_record(
        actor=partner_b.user, action=AuditEvent.Action.READ, patient=partner_b
    )
    url = reverse("admin:audit_auditevent_changelist")

    by_user = client.get(url, {"actor_email": partner_a.user.email})
    by_patient = client.get(url, {"patient_is": str(partner_b.pk)})

    assert [event.actor for event in by_user.context["cl"].result_list] == [partner_a.user]
    assert [event.patient for event in by_patient.context["cl"].result_list] == [partner_b]
    assert partner_b.user.email not in by_user.text.split('id="changelist-filter"')[1]


def test_exporting_the_filtered_audit_log_contains_only_those_rows_and_is_itself_audited(
    client, staff, partner_a, partner_b
):
    _admin_client(client, staff)
    audit_services.audit_record(
        actor=staff, action=AuditEvent.Action.READ, patient=partner_a, detail={"via": "admin"}
    )
    audit_services.audit_record(actor=staff, action=AuditEvent.Action.READ, patient=partner_b)
    audit_services.audit_record(actor=partner_a.user, action=AuditEvent.Action.LOGIN)
    changelist = client.get(
        reverse("admin:audit_auditevent_changelist"), {"patient_is": partner_a.pk}
    )
    export_url = f"{reverse('admin:audit_auditevent_export')}?patient_is={partner_a.pk}"
    assert export_url in changelist.text

    response = client.get(export_url)

    rows = _csv_rows(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert [row["patient_id"] for row in rows] == [str(partner_a.pk)]
    assert rows[0]["actor_email"] == staff.email
    assert rows[0]["patient_name"] == partner_a.user.get_full_name()
    assert rows[0]["detail"] == '{"via": "admin"}'
    assert rows[0]["at_utc"].endswith("+00:00")
    export = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert export.actor == staff
    assert export.patient == partner_a  # so it shows in that patient's accounting
    assert export.detail["rows"] == 1
    assert export.detail["scope"] == "filtered"
    assert export.detail["filters"] == {"patient_is": str(partner_a.pk)}


def test_exporting_selected_audit_rows_exports_just_those(client, staff, partner_a):
    _admin_client(client, staff)
    chosen = audit_services.audit_record(
        actor=staff, action=AuditEvent.Action.READ, patient=partner_a
    )
    audit_services.audit_record(actor=staff, action=AuditEvent.Action.LOGIN)

    response = client.post(
        reverse("admin:audit_auditevent_changelist"),
        {"action": "export_selected_csv", "_selected_action": [chosen.pk]},
    )

    assert [row["seq"] for row in _csv_rows(response)] == [str(chosen.seq)]
    export = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert export.detail["rows"] == 1 and export.detail["scope"] == "selected"


def test_an_exported_cell_cannot_run_as_a_spreadsheet_formula(client, staff, partner_a):
    _admin_client(client, staff)
    partner_a.user.first_name = "=HYPERLINK(1)"
    partner_a.user.save(update_fields=["first_name"])
    audit_services.audit_record(actor=staff, action=AuditEvent.Action.READ, patient=partner_a)

    rows = _csv_rows(client.get(reverse("admin:audit_auditevent_export")))

    assert rows[0]["patient_name"].startswith("'=HYPERLINK(1)")


def test_exporting_the_audit_log_needs_permission_to_view_it(client, plain_user):
    clerk = UserFactory(is_staff=True)
    sign_in_with_mfa(client, clerk)
    url = reverse("admin:audit_auditevent_export")

    assert client.get(url).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    assert client.get(url).status_code == 200

    client.force_login(plain_user)
    assert client.get(url).status_code == 302
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 1


def test_ending_an_assignment_in_admin_keeps_the_row(client, staff, partner_a, clinician):
    from couples import services as couple_services
    from couples.models import CareAssignment, CareRole

    assignment = couple_services.care_team_assign(
        couple=partner_a.couple, role=CareRole.COUPLES_THERAPIST, clinician=clinician, by=staff
    )
    _admin_client(client, staff)

    response = client.post(
        reverse("admin:couples_careassignment_changelist"),
        {"action": "end_assignments", "_selected_action": [assignment.pk]},
    )

    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.ended_at is not None
    assert CareAssignment.objects.count() == 1


def test_unticking_a_held_capability_in_admin_is_refused(client, staff, partner_a, clinician):
    from couples import services as couple_services
    from couples.models import CareRole

    couple_services.care_team_assign(
        couple=partner_a.couple, role=CareRole.COUPLES_THERAPIST, clinician=clinician, by=staff
    )
    _admin_client(client, staff)

    response = client.post(
        reverse("admin:couples_clinician_change", args=[clinician.pk]),
        {"user": clinician.user.pk, "credentials": "LMFT"},
    )

    assert response.status_code == 200
    assert "is still couples therapist" in response.text
    clinician.refresh_from_db()
    assert clinician.can_be_couples_therapist is True

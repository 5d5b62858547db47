"""records.services.disclosure_record and the rules the database keeps for it."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from records.models import Disclosure
from records.services import disclosure_record


def _record(note, partners, by, **changes):
    values = {
        "partners": partners,
        "record": note,
        "recipient": "Aetna utilization review",
        "purpose": "payer",
        "description": "Couples therapy note, session of March 3, 2026",
        "by": by,
        **changes,
    }
    return disclosure_record(**values)


@pytest.mark.parametrize("how_many", [1, 2])
def test_one_row_and_one_audit_event_per_partner_in_four_queries(
    couples_note, partner_a, partner_b, couples_therapist, how_many, django_assert_num_queries
):
    partners = [partner_a, partner_b][:how_many]

    # The rows (1); the audit events: lock a chain head, insert, move the head (3); inside
    # the service's transaction (a savepoint here, 2).
    with django_assert_num_queries(6):
        disclosures = _record(couples_note, partners, couples_therapist.user)

    assert [d.partner_id for d in disclosures] == [p.pk for p in partners]
    events = AuditEvent.objects.filter(action=AuditEvent.Action.DISCLOSE)
    assert sorted(events.values_list("patient_id", flat=True)) == [p.pk for p in partners]
    assert {event.detail["what"] for event in events} == {
        "Couples therapy note, session of March 3, 2026, released to Aetna utilization "
        "review (Payer's records request)"
    }


def test_an_other_purpose_is_said_in_the_accounting(couples_note, partner_a, couples_therapist):
    (disclosure,) = _record(
        couples_note,
        [partner_a],
        couples_therapist.user,
        purpose="other",
        purpose_other="  Court-ordered evaluation  ",
    )

    assert disclosure.purpose_other == "Court-ordered evaluation"
    event = AuditEvent.objects.get(action=AuditEvent.Action.DISCLOSE)
    assert event.detail["what"].endswith("(Court-ordered evaluation)")


def test_a_listed_purpose_keeps_no_free_text(couples_note, partner_a, couples_therapist):
    (disclosure,) = _record(
        couples_note, [partner_a], couples_therapist.user, purpose_other="ignored"
    )

    assert disclosure.purpose_other == ""


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"recipient": "   "}, "recipient"),
        ({"recipient": "x" * 201}, "recipient"),
        ({"purpose": "other"}, "purpose_other"),
        ({"purpose": "lawsuit"}, "purpose"),
    ],
)
def test_what_no_release_may_lack_is_refused_and_nothing_written(
    couples_note, partner_a, couples_therapist, changes, field
):
    with pytest.raises(ValidationError) as refused:
        _record(couples_note, [partner_a], couples_therapist.user, **changes)

    assert field in refused.value.message_dict
    assert not Disclosure.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DISCLOSE).exists()


def test_a_release_names_at_least_one_patient(couples_note, couples_therapist):
    with pytest.raises(ValidationError):
        _record(couples_note, [], couples_therapist.user)


@pytest.mark.parametrize(
    "values",
    [
        {"recipient": " "},
        {"purpose": "payer", "purpose_other": "text"},
        {"purpose": "other", "purpose_other": ""},
        {"purpose": "lawsuit"},
        {"kind": "plan"},
    ],
    ids=["blank recipient", "text on a listed purpose", "other unsaid", "unknown", "kind"],
)
def test_the_database_refuses_a_row_the_service_would_not_write(
    couples_note, partner_a, couples_therapist, values
):
    row = {
        "partner": partner_a,
        "kind": "note",
        "note": couples_note,
        "recipient": "Aetna",
        "purpose": "payer",
        "description": "Note",
        "disclosed_at": timezone.now(),
        "disclosed_by": couples_therapist.user,
        **values,
    }

    with pytest.raises(IntegrityError), transaction.atomic():
        Disclosure.objects.create(**row)

"""The partner's own session notes on the portal (open notes).

A partner reads the signed notes about them, newest first: an individual note about them, a
couples note (the shared narrative and their own part, never the other partner's), a group
note (the shared description and their own entry, never another participant's). Never a
draft or a note awaiting its co-signature (not finished yet), and never a note the clinician
marked as psychotherapy notes (kept apart, never shown to the partner). Anything else is the
audited 404, as if the note did not exist.

The risk level and its note are not shown. They are the clinician's working rating for the
clinic's own safety follow-up, and in a couples or group note one rating covers the whole
session, so it may be about the other partner or another participant; the clinician talks
about safety with the partner in person.

Every note opened is audited, the partner's own read included (their list of who saw their
records leaves out their own reads). The list shows only dates, kinds and clinicians.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.models import AuditEvent
from audit.services import audit_record
from couples.permissions import partner_required
from couples.queries import couple_time_zone, partner_get_for_user
from notes import queries
from sessions.models import SessionKind

# Notes with one part per partner: the partner reads the shared text and their own part.
SHARED_KINDS = (SessionKind.COUPLES_THERAPY, SessionKind.GROUP)


@partner_required
@require_GET
def note_list(request: HttpRequest) -> HttpResponse:
    partner = partner_get_for_user(user=request.user, with_couple_partners=False)
    context = {
        "entries": queries.notes_own_for_partner(user=request.user),
        "time_zone": couple_time_zone(couple=partner.couple),
    }
    return render(request, "notes/portal_list.html", context)


@partner_required
@require_GET
def note_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = queries.note_get_for_partner(user=request.user, pk=pk, request=request)
    (entry,) = page.entries
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.READ,
        target=page.note,
        patient=entry.partner,
        request=request,
    )
    context = {
        "note": page.note,
        "entry": entry,
        "addenda": page.addenda,
        "objectives": page.objectives,
        "is_shared": page.note.kind in SHARED_KINDS,
        "time_zone": couple_time_zone(couple=entry.partner.couple),
    }
    return render(request, "notes/portal_detail.html", context)

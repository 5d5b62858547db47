"""Who may open which page with patient data: one table, every page, every kind of visitor.

Every page that shows patient data joins this table. A row lists the status each
visitor gets for couple A's data; 404 means "does not exist for you" (and is audited).
"""

import copy
import datetime

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from couples import services
from couples.models import CareRole
from insurance import services as insurance_services
from insurance.models import Coverage, Payer
from insurance.permissions import insurance_staff_group
from measures import services as measure_services
from plans import services as plans_services
from plans.models import PlanVersion, Problem, TreatmentPlan
from records.models import Purpose, RecordExport, RecordsRequest
from records.services_requests import records_request_log
from sessions import services as session_services
from sessions.models import SessionKind
from tests.auth import sign_in_with_mfa
from tests.factories import (
    ClinicianFactory,
    GoalFactory,
    NotificationFactory,
    PartnerFactory,
    UserFactory,
)
from tests.insurance.test_cards import TINY_PNG
from tests.notes.conftest import attended_session, written
from tests.plans.conftest import plan_with, signed
from triage import services as triage_services

VISITORS = [
    "anonymous",
    "partner_of_this_couple",
    "partner_of_another_couple",
    "clinician_on_the_care_team",
    # On the same care team, but as Alex's individual therapist: Jordan's own items (his
    # individual goals, check-ins) are not for them (minimum necessary), the couple's are.
    "other_partners_therapist",
    "clinician_not_on_it",
    "insurance_staff",
]

# url template (GET, or "POST <url>") -> status per visitor, in VISITORS order.
MATRIX = {
    # Session notes (notes/queries.py): the couples note is the couples therapist's (and its
    # author's); Alex's individual-therapy note is his individual therapist's only, so the
    # couples therapist meets a 404 there. Posted empty, an addendum answers with the form.
    # Partners never read a note on a clinic page: they read their own signed notes on the
    # portal (the couples note holds Jordan's part; Alex's note is not his), which clinicians
    # do not reach (403). The couple page's Notes tab lists the notes each clinician may read.
    "/clinic/notes/{couples_note}/": (302, 404, 404, 200, 404, 404, 404),
    "/clinic/notes/{alexs_note}/": (302, 404, 404, 404, 200, 404, 404),
    "POST /clinic/notes/{alexs_note}/addenda/": (302, 404, 404, 404, 200, 404, 404),
    "POST /clinic/notes/{couples_note}/cosign/": (302, 404, 404, 302, 404, 404, 404),
    "/portal/notes/": (302, 200, 200, 403, 403, 403, 403),
    "/portal/notes/{couples_note}/": (302, 200, 404, 403, 403, 403, 403),
    "/portal/notes/{alexs_note}/": (302, 404, 404, 403, 403, 403, 403),
    "/clinic/couples/{couple}/notes/": (302, 403, 404, 200, 200, 404, 404),
    "/portal/": (302, 200, 200, 403, 403, 403, 403),
    # No pk: each partner's own goals page (their couple's goals they may see) and More page.
    "/portal/goals/": (302, 200, 200, 403, 403, 403, 403),
    "/portal/more/": (302, 200, 200, 403, 403, 403, 403),
    # No pk: the partner's own welcome (while it is open); anyone else is sent to their home.
    "/portal/welcome/": (302, 200, 200, 302, 302, 302, 302),
    "POST /portal/welcome/skip/": (302, 302, 302, 302, 302, 302, 302),
    "/portal/sharing/": (302, 200, 200, 403, 403, 403, 403),
    "/portal/record-access/": (302, 200, 200, 403, 403, 403, 403),
    # No pk: every partner sees only their own coverage.
    "/portal/coverage/": (302, 200, 200, 403, 403, 403, 403),
    "/portal/checkin/": (302, 200, 200, 403, 403, 403, 403),
    # No pk: the partner's own check-in of a day and who reads their check-ins.
    "/portal/checkin/saved/": (302, 200, 200, 403, 403, 403, 403),
    # Measures on the portal: each partner's own (no pk: the list and the form); the page
    # after finishing is the owner's alone: another partner gets the audited 404, and the
    # clinicians, who read measures on the clinic pages, the portal's 403. Posted empty, the
    # form is saved as started (302) and the safety screen comes back with its errors (200).
    "/portal/measures/": (302, 200, 200, 403, 403, 403, 403),
    "/portal/measures/phq9/": (302, 200, 200, 403, 403, 403, 403),
    "POST /portal/measures/phq9/": (302, 302, 302, 403, 403, 403, 403),
    "/portal/measures/done/{measure_response}/": (302, 200, 404, 403, 403, 403, 403),
    "POST /portal/measures/done/{measure_response}/safety/": (302, 200, 404, 403, 403, 403, 403),
    # No pk: a partner asks their own care team to contact them.
    "POST /portal/contact-me/": (302, 302, 302, 403, 403, 403, 403),
    "/portal/goals/new/": (302, 200, 200, 403, 403, 403, 403),
    "/portal/goals/{goal}/": (302, 200, 404, 403, 403, 403, 403),
    "/portal/goals/{private_goal}/": (302, 200, 404, 403, 403, 403, 403),
    "/portal/goals/{goal}/request-change/": (302, 200, 404, 403, 403, 403, 403),
    # Actions, posted empty: the partner gets the form back (200) or a message (302).
    "POST /portal/goals/{goal}/log/": (302, 200, 404, 403, 403, 403, 403),
    "POST /portal/goals/{private_goal}/log/": (302, 200, 404, 403, 403, 403, 403),
    "POST /portal/goals/{goal}/accept/": (302, 302, 404, 403, 403, 403, 403),
    "POST /portal/goals/{goal}/withdraw/": (302, 302, 404, 403, 403, 403, 403),
    "POST /portal/goals/{goal}/request-change/": (302, 200, 404, 403, 403, 403, 403),
    "/portal/sessions/": (302, 200, 200, 403, 403, 403, 403),
    # A reminder's answer page: only the session's own partners find it, a clinician of the
    # couple included gets the audited 404. Posted empty, the partner gets the form back.
    "/portal/sessions/{session}/respond/?answer=confirmed": (302, 200, 404, 404, 404, 404, 404),
    "POST /portal/sessions/{session}/respond/": (302, 200, 404, 404, 404, 404, 404),
    # The session starts in 5 minutes, so Join is open: its participants and its clinician
    # are sent on to the video room (302); everyone else is an outsider (audited 404).
    "/sessions/{session}/join/": (302, 302, 404, 302, 403, 404, 404),
    # Partners and clinicians each have their own calendar address; posted empty: a message.
    "/calendar/": (302, 200, 200, 200, 200, 200, 403),
    "POST /calendar/": (302, 302, 302, 302, 302, 302, 403),
    # No sign-in: the feed's unguessable token is the credential, whoever holds it.
    "/calendar/{feed}.ics": (200, 200, 200, 200, 200, 200, 200),
    # Everyone's own notifications; opening someone else's is an audited 404. Preferences
    # have no pk (each person reaches their own); posted empty, both channels are off: refused.
    "/notifications/": (302, 200, 200, 200, 200, 200, 200),
    "POST /notifications/{notification}/open/": (302, 302, 404, 404, 404, 404, 404),
    "POST /notifications/read/": (302, 302, 302, 302, 302, 302, 302),
    "/notifications/preferences/": (302, 200, 200, 200, 200, 200, 200),
    "POST /notifications/preferences/": (302, 200, 200, 200, 200, 200, 200),
    "/clinic/": (302, 403, 403, 200, 200, 200, 403),
    "/clinic/couples/{couple}/": (302, 403, 404, 200, 200, 404, 404),
    "/clinic/couples/{couple}/goals/": (302, 403, 404, 200, 200, 404, 404),
    "/clinic/couples/{couple}/checkins/": (302, 403, 404, 200, 200, 404, 404),
    "/clinic/couples/{couple}/sessions/": (302, 403, 404, 200, 200, 404, 404),
    "/clinic/couples/{couple}/insurance/": (302, 403, 404, 200, 200, 404, 404),
    # Measures: the tab is the care team's (each clinician sees the partners their role
    # covers); Jordan's schedule, a measure given to Jordan in session and a response of
    # Jordan's (his PHQ-9) are for the clinicians whose role covers Jordan, not Alex's
    # therapist. Posted empty, the schedule answers with a message (302) and the entry form
    # comes back (200).
    "/clinic/couples/{couple}/measures/": (302, 403, 404, 200, 200, 404, 404),
    "/clinic/couples/{couple}/measures/partner/{partner}/phq9/enter/": (
        302,
        403,
        404,
        200,
        404,
        404,
        404,
    ),
    "POST /clinic/couples/{couple}/measures/partner/{partner}/phq9/enter/": (
        302,
        403,
        404,
        200,
        404,
        404,
        404,
    ),
    "POST /clinic/couples/{couple}/measures/partner/{partner}/schedule/": (
        302,
        403,
        404,
        302,
        404,
        404,
        404,
    ),
    "/clinic/measures/{measure_response}/": (302, 403, 404, 200, 404, 404, 404),
    # Assessments and treatment plans: the tab is the care team's (each clinician sees the
    # partners their role covers); Jordan's assessment and plan are for the clinicians whose
    # role covers Jordan (the couples therapist too), not Alex's therapist; the couple plan is
    # the whole team's. Posted empty: the assessment form comes back (200); signing with no
    # draft, or the couples therapist starting Jordan's plan (not one of his own clinicians),
    # answers with a message (302).
    "/clinic/couples/{couple}/plan/": (302, 403, 404, 200, 200, 404, 404),
    "/clinic/couples/{couple}/partners/{partner}/assessment/": (302, 403, 404, 200, 404, 404, 404),
    "POST /clinic/couples/{couple}/partners/{partner}/assessment/": (
        302,
        403,
        404,
        200,
        404,
        404,
        404,
    ),
    "POST /clinic/couples/{couple}/partners/{partner}/assessment/sign/": (
        302,
        403,
        404,
        302,
        404,
        404,
        404,
    ),
    "/clinic/couples/{couple}/plans/partner/{partner}/": (302, 403, 404, 200, 404, 404, 404),
    "POST /clinic/couples/{couple}/plans/partner/{partner}/start/": (
        302,
        403,
        404,
        302,
        404,
        404,
        404,
    ),
    "POST /clinic/couples/{couple}/plans/partner/{partner}/sign/": (
        302,
        403,
        404,
        302,
        404,
        404,
        404,
    ),
    "/clinic/couples/{couple}/plans/couple/": (302, 403, 404, 200, 200, 404, 404),
    "POST /clinic/couples/{couple}/plans/couple/start/": (302, 403, 404, 302, 302, 404, 404),
    "POST /clinic/couples/{couple}/plans/couple/add/problem/": (
        302,
        403,
        404,
        302,
        302,
        404,
        404,
    ),
    "/clinic/couples/{couple}/goals/new/": (302, 403, 404, 200, 200, 404, 404),
    "/clinic/couples/{couple}/goals/new/?partner={partner}": (302, 403, 404, 200, 404, 404, 404),
    "/clinic/goals/{goal}/": (302, 403, 404, 200, 200, 404, 404),
    "/clinic/goals/{private_goal}/": (302, 403, 404, 200, 404, 404, 404),
    "/clinic/goals/{goal}/edit/": (302, 403, 404, 200, 200, 404, 404),
    # Clinic actions, posted empty: the clinician gets the form back (200) or a message (302).
    "POST /clinic/couples/{couple}/goals/new/": (302, 403, 404, 200, 200, 404, 404),
    "POST /clinic/goals/{goal}/edit/": (302, 403, 404, 200, 200, 404, 404),
    "POST /clinic/goals/{goal}/status/": (302, 403, 404, 302, 302, 404, 404),
    # Jordan's triage item: for the clinicians whose role covers Jordan; posted empty, the
    # clinician is sent back to the queue with a message (302).
    "POST /clinic/triage/{triage_item}/acknowledge/": (302, 403, 403, 302, 404, 404, 403),
    # Clinic session pages: a clinician's own calendar, and couple A's session (run by the
    # clinician on the care team). Posted empty, its clinician gets the form back (200).
    "/clinic/sessions/week/": (302, 403, 403, 200, 200, 200, 403),
    "/clinic/sessions/day/": (302, 403, 403, 200, 200, 200, 403),
    "/clinic/sessions/new/": (302, 403, 403, 200, 200, 200, 403),
    "/clinic/sessions/new/?couple={couple}": (302, 403, 404, 200, 200, 404, 404),
    "/clinic/sessions/series/new/": (302, 403, 403, 200, 200, 200, 403),
    "/clinic/sessions/series/new/?couple={couple}": (302, 403, 404, 200, 200, 404, 404),
    "/clinic/sessions/{session}/": (302, 403, 404, 200, 200, 404, 404),
    "/clinic/sessions/{session}/cancel/": (302, 403, 404, 200, 403, 404, 404),
    "/clinic/sessions/{session}/reschedule/": (302, 403, 404, 200, 403, 404, 404),
    "POST /clinic/sessions/new/?couple={couple}": (302, 403, 404, 200, 200, 404, 404),
    "POST /clinic/sessions/series/new/?couple={couple}": (302, 403, 404, 200, 200, 404, 404),
    "POST /clinic/sessions/{session}/attendance/": (302, 403, 404, 200, 403, 404, 404),
    "POST /clinic/sessions/{session}/cancel/": (302, 403, 404, 200, 403, 404, 404),
    # Printing for a records request (records/): the same readers as the note or plan; the
    # form answers 200, and posted empty, the form with its messages.
    "/clinic/notes/{couples_note}/release/": (302, 404, 404, 200, 404, 404, 404),
    "POST /clinic/notes/{couples_note}/release/": (302, 404, 404, 200, 404, 404, 404),
    "/clinic/notes/{alexs_note}/release/": (302, 404, 404, 404, 200, 404, 404),
    "POST /clinic/notes/{alexs_note}/release/": (302, 404, 404, 404, 200, 404, 404),
    "/clinic/plans/{couple_plan}/versions/1/release/": (302, 404, 404, 200, 200, 404, 404),
    "POST /clinic/plans/{couple_plan}/versions/1/release/": (302, 404, 404, 200, 200, 404, 404),
    # Treatment plans on the portal: Jordan reads the couple plan, never Alex's plan (audited
    # 404); clinicians get the portal's 403. Posted empty (no version): a message (302).
    "/portal/plans/": (302, 200, 200, 403, 403, 403, 403),
    "/portal/plans/{couple_plan}/": (302, 200, 404, 403, 403, 403, 403),
    "/portal/plans/{alexs_plan}/": (302, 404, 404, 403, 403, 403, 403),
    "POST /portal/plans/{couple_plan}/acknowledge/": (302, 302, 404, 403, 403, 403, 403),
    "POST /portal/plans/{alexs_plan}/acknowledge/": (302, 404, 404, 403, 403, 403, 403),
    # A partner's copy of their record (records/views_export.py): the page is the portal's
    # (clinicians and staff 403); a copy's files are its owner's alone, so Alex's copy is an
    # audited 404 to Jordan, as to every clinician (even Alex's own therapist) and to staff.
    "/portal/record/": (302, 200, 200, 403, 403, 403, 403),
    "POST /portal/record/prepare/": (302, 302, 302, 403, 403, 403, 403),
    "/portal/record/{jordans_copy}/json/": (302, 200, 404, 404, 404, 404, 404),
    "/portal/record/{jordans_copy}/summary/": (302, 200, 404, 404, 404, 404, 404),
    "/portal/record/{alexs_copy}/json/": (302, 404, 404, 404, 404, 404, 404),
    "/portal/record/{alexs_copy}/summary/": (302, 404, 404, 404, 404, 404, 404),
    # Editing and removing a draft plan's items: the plan's readers; an item through another
    # plan's address is the audited 404.
    "/clinic/couples/{couple}/plans/partner/{partner}/edit/problem/{jordans_problem}/": (
        302,
        403,
        404,
        200,
        404,
        404,
        404,
    ),
    "POST /clinic/couples/{couple}/plans/partner/{partner}/edit/problem/{jordans_problem}/": (
        302,
        403,
        404,
        200,
        404,
        404,
        404,
    ),
    "/clinic/couples/{couple}/plans/partner/{partner}/remove/problem/{jordans_problem}/": (
        302,
        403,
        404,
        200,
        404,
        404,
        404,
    ),
    "POST /clinic/couples/{couple}/plans/partner/{partner}/remove/problem/{jordans_problem}/": (
        302,
        403,
        404,
        302,
        404,
        404,
        404,
    ),
    "/clinic/couples/{couple}/plans/couple/edit/problem/{couple_problem}/": (
        302,
        403,
        404,
        200,
        200,
        404,
        404,
    ),
    "POST /clinic/couples/{couple}/plans/couple/remove/problem/{couple_problem}/": (
        302,
        403,
        404,
        302,
        302,
        404,
        404,
    ),
    "/clinic/couples/{couple}/plans/couple/edit/problem/{jordans_problem}/": (
        302,
        403,
        404,
        404,
        404,
        404,
        404,
    ),
    "POST /clinic/sessions/{session}/reschedule/": (302, 403, 404, 200, 403, 404, 404),
    "/admin/couples/couple/{couple}/change/": (302, 302, 302, 302, 302, 302, 403),
    "/admin/couples/partner/{partner}/change/": (302, 302, 302, 302, 302, 302, 403),
    "/admin/insurance/coverage/{coverage}/change/": (302, 302, 302, 302, 302, 302, 200),
    "/admin/insurance/coverage/{coverage}/card/front/": (404, 404, 404, 404, 404, 404, 200),
    # Records requests (records/admin.py) are the records staff's: insurance staff meet the
    # audited 404 (not the admin's 403), and the files are a 404 to everyone else, signed in
    # to the admin or not.
    "/admin/records/recordsrequest/": (302, 302, 302, 302, 302, 302, 404),
    "/admin/records/recordsrequest/log/": (302, 302, 302, 302, 302, 302, 404),
    "/admin/records/recordsrequest/{records_request}/change/": (302, 302, 302, 302, 302, 302, 404),
    "POST /admin/records/recordsrequest/{records_request}/produce/": (
        302,
        302,
        302,
        302,
        302,
        302,
        404,
    ),
    "POST /admin/records/recordsrequest/{records_request}/deliver/": (
        302,
        302,
        302,
        302,
        302,
        302,
        404,
    ),
    "POST /admin/records/recordsrequest/{records_request}/withdraw/": (
        302,
        302,
        302,
        302,
        302,
        302,
        404,
    ),
    "/admin/records/recordsrequest/{records_request}/copy/json/": (
        404,
        404,
        404,
        404,
        404,
        404,
        404,
    ),
    "/admin/records/recordsrequest/{records_request}/copy/summary/": (
        404,
        404,
        404,
        404,
        404,
        404,
        404,
    ),
}


@pytest.fixture
def clinic(db):
    """Couple A with its care team, and couple B next door."""
    partner = PartnerFactory(user__first_name="Jordan")
    alex = PartnerFactory(couple=partner.couple, user__first_name="Alex")
    on_team = ClinicianFactory()
    services.care_team_assign(
        couple=partner.couple, role=CareRole.COUPLES_THERAPIST, clinician=on_team, by=None
    )
    other = PartnerFactory()
    services.care_team_assign(
        couple=other.couple, role=CareRole.COUPLES_THERAPIST, clinician=ClinicianFactory(), by=None
    )
    alexs_therapist = ClinicianFactory(
        can_be_couples_therapist=False, can_be_individual_therapist=True
    )
    services.care_team_assign(
        couple=partner.couple,
        role=CareRole.INDIVIDUAL_THERAPIST,
        clinician=alexs_therapist,
        partner=alex,
        by=None,
    )
    insurance = UserFactory(is_staff=True)
    insurance.groups.add(insurance_staff_group())
    session = session_services.session_schedule(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=on_team,
        couple=partner.couple,
        starts_at=timezone.now() + datetime.timedelta(minutes=5),
        duration_minutes=60,
        by=on_team.user,
    )
    coverage = Coverage.objects.create(
        partner=partner,
        payer=Payer.objects.create(name="Aetna PPO"),
        member_id="W100",
        subscriber_name="Jordan",
        effective_on=timezone.localdate() - datetime.timedelta(days=60),
    )
    insurance_services.coverage_card_upload(
        coverage=coverage, side="front", file=SimpleUploadedFile("f.png", TINY_PNG), by=insurance
    )
    couple_plan = signed(plan_with(couple=partner.couple, partner=None, responsible=on_team))
    return {
        "couple": partner.couple,
        "coverage": coverage,
        "session": session,
        "feed": session_services.calendar_feed_create(user=partner.user),
        "notification": NotificationFactory(
            recipient=partner.user,
            link=f"/portal/sessions/{session.pk}/respond/?answer=confirmed",
        ),
        "partner": partner,
        "goal": GoalFactory(couple=partner.couple),
        "private_goal": GoalFactory(couple=partner.couple, partner=partner),
        "triage_item": triage_services.contact_request_raise(
            partner=partner, day=timezone.localdate()
        )[0],
        "couples_note": written(
            attended_session(
                kind=SessionKind.COUPLES_THERAPY,
                clinician=on_team,
                couple=partner.couple,
                partners=[partner, alex],
            )
        ),
        "alexs_note": written(
            attended_session(
                kind=SessionKind.INDIVIDUAL_THERAPY,
                clinician=alexs_therapist,
                couple=partner.couple,
                partners=[alex],
            )
        ),
        # The couple plan signed, and under review (a draft version 2 copied from it).
        "couple_plan": couple_plan,
        "couple_problem": plans_services.plan_review_start(
            plan=couple_plan, by=on_team.user
        ).problems.get(),
        "alexs_plan": signed(
            plan_with(couple=partner.couple, partner=alex, responsible=alexs_therapist)
        ),
        "jordans_problem": _draft_problem(partner.couple, partner, on_team),
        "jordans_copy": _ready_copy(partner),
        "alexs_copy": _ready_copy(alex),
        "records_request": _produced_request(partner),
        # Jordan's PHQ-9 with its safety question above 0: the page after asks the screen.
        "measure_response": _phq9_with_safety_answer(partner),
        "anonymous": None,
        "partner_of_this_couple": partner.user,
        "partner_of_another_couple": other.user,
        "clinician_on_the_care_team": on_team.user,
        "other_partners_therapist": alexs_therapist.user,
        "clinician_not_on_it": ClinicianFactory().user,
        "insurance_staff": insurance,
    }


def _draft_problem(couple, partner, responsible):
    """A partner's plan in draft with one problem, made directly: Jordan has no clinician of
    his own here, and the service would ask for one as the plan's responsible clinician."""
    now = timezone.now()
    plan = TreatmentPlan.objects.create(
        couple=couple, partner=partner, responsible=responsible, created_at=now
    )
    version = PlanVersion.objects.create(
        plan=plan, number=1, created_at=now, created_by=responsible.user
    )
    return Problem.objects.create(
        version=version, dimension=5, description="Cravings after conflict"
    )


def _produced_request(partner) -> RecordsRequest:
    """Jordan's records request for a residential program, its copy made and not delivered."""
    records_staff = UserFactory(is_staff=True, is_superuser=True)
    logged = records_request_log(
        partner=partner,
        source=RecordsRequest.Source.CONSENT,
        recipient="Oak Street Residential",
        consent_reference="Consents binder, p. 3",
        purpose=Purpose.CONTINUITY,
        received_on=timezone.localdate(),
        form=RecordsRequest.Form.BOTH,
        by=records_staff,
    )
    copy = _ready_copy(partner, by=records_staff)
    RecordsRequest.objects.filter(pk=logged.pk).update(
        status=RecordsRequest.Status.PRODUCED, export=copy
    )
    return logged


def _ready_copy(partner, *, by=None) -> RecordExport:
    """A copy of a partner's record, ready to download (what the build would leave)."""
    now = timezone.now()
    return RecordExport.objects.create(
        partner=partner,
        requested_by=by or partner.user,
        status=RecordExport.Status.READY,
        progress=100,
        requested_at=now,
        started_at=now,
        ready_at=now,
        expires_at=now + datetime.timedelta(days=1),
        bundle='{"resourceType": "Bundle", "type": "collection"}',
        summary=b"<html></html>",
        summary_format=RecordExport.SummaryFormat.HTML,
    )


def _phq9_with_safety_answer(partner):
    response = measure_services.response_start(
        partner=partner, instrument="phq9", due_on=None, by=partner.user
    )
    answers = {f"q{number}": 1 for number in range(1, 10)}
    return measure_services.response_complete(response=response, answers=answers, by=partner.user)


def matrix_path(template: str, clinic: dict) -> str:
    """A row's path with couple A's records in it."""
    return template.format(
        couple=clinic["couple"].pk,
        partner=clinic["partner"].pk,
        goal=clinic["goal"].pk,
        private_goal=clinic["private_goal"].pk,
        session=clinic["session"].pk,
        coverage=clinic["coverage"].pk,
        feed=clinic["feed"].token,
        notification=clinic["notification"].pk,
        triage_item=clinic["triage_item"].pk,
        measure_response=clinic["measure_response"].pk,
        couples_note=clinic["couples_note"].pk,
        alexs_note=clinic["alexs_note"].pk,
        couple_plan=clinic["couple_plan"].pk,
        alexs_plan=clinic["alexs_plan"].pk,
        couple_problem=clinic["couple_problem"].pk,
        jordans_problem=clinic["jordans_problem"].pk,
        jordans_copy=clinic["jordans_copy"].pk,
        alexs_copy=clinic["alexs_copy"].pk,
        records_request=clinic["records_request"].pk,
    )


@pytest.mark.parametrize("visitor", VISITORS)
def test_access_matrix(client, clinic, visitor):
    """Every row for one visitor, on one clinic: each request is rolled back afterwards (and
    the client's cookies restored, the cache emptied), so a row finds the clinic as the fixture
    left it whatever the rows before it did. Every wrong row is named."""
    user = clinic[visitor]
    if user is not None:
        sign_in_with_mfa(client, user)  # so MFA is never the reason for a status
    wrong = []
    for url, statuses in MATRIX.items():
        expected = statuses[VISITORS.index(visitor)]
        path, got, denial_audited = _visit(client, url, clinic, visitor)
        if got != expected:
            wrong.append(f"{url}  ({path}): expected {expected}, got {got}")
        elif got == 404 and not denial_audited:
            wrong.append(f"{url}  ({path}): 404 without an audited denial")
    assert not wrong, f"{visitor}, {len(wrong)} of {len(MATRIX)} rows:\n" + "\n".join(wrong)


def _visit(client, url: str, clinic: dict, visitor: str) -> tuple[str, int, bool]:
    """One row's request, undone afterwards: its path, the status, and whether this request
    recorded a denial for the visitor."""
    method, _, template = url.rpartition(" ")
    path = matrix_path(template, clinic)
    cookies = copy.deepcopy(client.cookies)
    cache.clear()
    denials = AuditEvent.objects.filter(actor=clinic[visitor], allowed=False)
    try:
        with transaction.atomic():
            denied_before = denials.count()
            response = client.post(path) if method == "POST" else client.get(path)
            denial_audited = denials.count() > denied_before
            transaction.set_rollback(True)
    except Exception as error:
        error.add_note(f"while {visitor} requested {url} ({path})")
        raise
    finally:
        client.cookies = cookies
    return path, response.status_code, denial_audited

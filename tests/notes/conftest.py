import datetime

import pytest
from django.utils import timezone

from couples import services as couple_services
from couples.models import CareRole
from notes import services
from plans import services as plans_services
from sessions.models import Attendance, SessionKind, TherapySession
from tests.factories import ClinicianFactory


def attended_session(*, kind, clinician, couple=None, partners, hours_ago=2, minutes=50):
    """A session that ended `hours_ago` hours ago, everyone in `partners` present."""
    ends = timezone.now() - datetime.timedelta(hours=hours_ago)
    session = TherapySession.objects.create(
        kind=kind,
        clinician=clinician,
        couple=None if kind == SessionKind.GROUP else couple,
        starts_at=ends - datetime.timedelta(minutes=minutes),
        ends_at=ends,
        time_zone="America/New_York",
        status=TherapySession.Status.COMPLETED,
        created_by=clinician.user,
    )
    for partner in partners:
        Attendance.objects.create(
            session=session, partner=partner, status="present", minutes_attended=minutes
        )
    return session


def written(session, *, sign=True, text="Talked about the week."):
    """The session's note, its sections filled, signed unless sign=False."""
    author = session.clinician
    note = services.note_start(session=session, author=author, by=author.user)
    names = {"DAP": ("data", "assessment", "plan")}[note.format]
    note = services.note_save(
        note=note,
        sections={name: text for name in names},
        entries={entry.partner_id: f"Part of {entry.partner_id}" for entry in note.entries.all()},
        risk_level="none",
        risk_note="",
        is_psychotherapy_note=False,
        place_of_service="10",
        by=author.user,
    )
    return services.note_sign(note=note, by=author.user) if sign else note


def _assign(couple, role, partner=None, **flags):
    clinician = ClinicianFactory(can_be_couples_therapist=False, **flags)
    couple_services.care_team_assign(
        couple=couple, role=role, clinician=clinician, partner=partner, by=None
    )
    return clinician


@pytest.fixture
def jordans_team(couple, partner_a):
    """Jordan's individual therapist, counselor and medical provider."""
    return {
        "therapist": _assign(
            couple, CareRole.INDIVIDUAL_THERAPIST, partner_a, can_be_individual_therapist=True
        ),
        "counselor": _assign(couple, CareRole.COUNSELOR, partner_a, can_be_counselor=True),
        "medical": _assign(
            couple, CareRole.MEDICAL_PROVIDER, partner_a, can_be_medical_provider=True
        ),
    }


def signed_plan(partner, responsible, *, objectives, couple=None, sign=True):
    """A plan (a partner's, or partner None: the couple's) whose first version has one
    problem and goal with these objectives (descriptions), signed unless sign=False. Returns
    the objectives."""
    by = responsible.user
    plan = plans_services.plan_create(
        couple=couple or partner.couple, partner=partner, responsible=responsible, by=by
    )
    version = plan.versions.get()
    problem = plans_services.problem_add(
        version=version, dimension=5, description="Relapse potential", by=by
    )
    goal = plans_services.goal_add(problem=problem, description="Stay sober", by=by)
    target = timezone.localdate() + datetime.timedelta(days=30)
    made = [
        plans_services.objective_add(goal=goal, description=text, target_on=target, by=by)
        for text in objectives
    ]
    if sign:
        plans_services.plan_version_sign(version=version, by=by)
    return made

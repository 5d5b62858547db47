"""The clinical records the page benchmark reads on its couple: session notes for the Notes
tab and a partner's treatment plan for the plan page, at a realistic size.

seed_scale writes no notes or plans (and seed_demo's plans hold one item of each kind), so
bench/pages_django.py's `prepare` makes them here, through the services (audited, every rule
kept), once: a later run finds them and adds nothing. On the benchmark's couple, as the
clinician under load reads it:

- up to NOTES signed notes, for the most recent attended sessions of the couple's partners
  that have none, each written by the clinician who ran the session;
- for a partner that clinician's role covers (on that couple, or the next in their caseload
  where a partner has a clinician of their own), a signed plan of PROBLEMS problems, each with
  EACH goals, each goal EACH objectives, each objective EACH interventions (6 × 2 × 2 × 2:
  48 interventions), by one of that partner's own clinicians. A partner who has a plan
  already (seed_demo's) keeps it: the demo's small plan beside the scale's large one shows
  whether the page's queries grow with the plan.
"""

import datetime

NOTES = 40
PROBLEMS, EACH = 6, 2


def records_ensure(*, logins: dict) -> dict:
    """Make the records if missing; return where the plan page reads (the couple and the
    partner: `plan_couple`, `plan_partner`) and how much there is."""
    from couples.models import User

    clinician = User.objects.get(email=logins["clinician"]["email"])
    couple_pk = logins["partner"]["couple"]
    notes = _notes_ensure(viewer=clinician, couple_pk=couple_pk)
    partner, interventions = _plan_ensure(viewer=clinician, couple_pk=couple_pk)
    return {
        "notes": notes,
        "plan_couple": partner.couple_id,
        "plan_partner": partner.pk,
        "plan_interventions": interventions,
    }


def _notes_ensure(*, viewer, couple_pk: int) -> int:
    """The viewer's own sessions first, so that the tab lists most of them (the couple's
    other notes are each partner's clinicians' to read)."""
    from django.db.models import Case, When
    from django.utils import timezone

    from notes import services
    from notes.demo import WORDS
    from notes.models import NOTE_KINDS, SECTIONS, Note
    from notes.queries import sessions_without_signed_note

    written = Note.objects.filter(entries__partner__couple_id=couple_pk).distinct().count()
    sessions = (
        sessions_without_signed_note()
        .filter(
            kind__in=sorted(NOTE_KINDS),
            note__isnull=True,
            ends_at__lte=timezone.now(),
            attendances__partner__couple_id=couple_pk,
        )
        .annotate(others=Case(When(clinician__user=viewer, then=0), default=1))
        .distinct()
        .select_related("clinician__user")
        .prefetch_related("attendances__partner__user")
        .order_by("others", "-ends_at", "-pk")[: max(NOTES - written, 0)]
    )
    for session in sessions:
        by = session.clinician.user
        note = services.note_start(session=session, author=session.clinician, by=by)
        note = services.note_save(
            note=note,
            sections={name: WORDS[name] for name in SECTIONS[note.format]},
            entries={
                e.partner_id: "Took part and shared from their week." for e in note.entries.all()
            },
            risk_level="none",
            risk_note="",
            is_psychotherapy_note=False,
            place_of_service="10",
            by=by,
        )
        services.note_sign(note=note, by=by)
        written += 1
    return written


def _plan_ensure(*, viewer, couple_pk: int):
    """A partner the viewer's role covers, and how many interventions the latest version
    of their plan holds: on the benchmark's couple if one of its partners has (or can be
    given) a plan, else on the next couple of the viewer's caseload that has one. A partner's
    plan is by one of their own clinicians, and not every couple has those."""
    from couples.models import CareAssignment
    from couples.queries import care_coverage_for, caseload_for_clinician
    from plans.models import Intervention, TreatmentPlan

    caseload = caseload_for_clinician(user=viewer)
    couples = [*caseload.filter(pk=couple_pk), *caseload.exclude(pk=couple_pk).order_by("pk")[:50]]
    for couple in couples:
        coverage = care_coverage_for(user=viewer, couple_id=couple.pk)
        for partner in couple.partners.order_by("pk"):
            if not coverage.covers(partner.pk):
                continue
            plan = TreatmentPlan.objects.filter(partner=partner).first()
            if plan is None:
                own = (
                    CareAssignment.objects.filter(partner=partner, ended_at__isnull=True)
                    .select_related("clinician__user")
                    .order_by("role", "pk")
                    .first()
                )
                if own is None:
                    continue
                plan = _plan_write(couple=couple, partner=partner, responsible=own.clinician)
            latest = plan.versions.order_by("-number").first()
            count = Intervention.objects.filter(objective__goal__problem__version=latest).count()
            return partner, count
    raise RuntimeError("No partner in the benchmark clinician's caseload can have a plan.")


def _plan_write(*, couple, partner, responsible):
    from couples.queries import couple_today
    from plans import services
    from plans.models import Dimension, Intervention

    by = responsible.user
    plan = services.plan_create(couple=couple, partner=partner, responsible=responsible, by=by)
    version = plan.versions.get()
    today = couple_today(couple=couple)
    for p, dimension in enumerate(list(Dimension)[:PROBLEMS]):
        problem = services.problem_add(
            version=version,
            dimension=dimension,
            description=f"Problem {p + 1}: cravings and use follow conflict at home",
            by=by,
        )
        for g in range(EACH):
            goal = services.goal_add(
                problem=problem, description=f"Goal {g + 1}: get through conflict sober", by=by
            )
            for o in range(EACH):
                objective = services.objective_add(
                    goal=goal,
                    description=f"Objective {o + 1}: use a time-out 3 times a week, by check-ins",
                    target_on=today + datetime.timedelta(days=30 * (o + 1)),
                    by=by,
                )
                for i in range(EACH):
                    services.intervention_add(
                        objective=objective,
                        description=f"Intervention {i + 1}: relapse prevention (CBT)",
                        frequency=Intervention.Frequency.WEEKLY,
                        responsible=responsible,
                        by=by,
                    )
    services.plan_version_sign(version=version, by=by)
    return plan

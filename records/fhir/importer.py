"""Receiving a couple from another program running this software: one partner's FHIR Bundle
(records.fhir.bundle) read back into our tables.

`import_bundle` (one file) and `import_bundles` (both partners' files, in one transaction)
parse every file first, with `fhir.resources`' R4B Bundle: malformed JSON or an invalid
resource is a ValidationError and nothing is written. Then, in ONE transaction, each bundle
gives:

- the couple: the one an earlier import made from the same Group, or a new one;
- its owner (the Patient that the RelatedPerson names, else the only Patient): a User with an
  unusable password (staff send the invitation when they are ready) and a Partner. A partner
  whose identifier was imported before, or whose email already has an account, is refused;
- the couple's shared goals, once: a second partner's bundle finds the goals the first one
  made by their identifier; the owner's own goals; both partners' progress on shared goals
  (a partner's progress once both are here);
- the owner's check-ins and completed measures (scored again with the measures app's
  instruments when the answers are there, so totals and bands are ours).

The other partner's own goals and check-ins, which a consent may have put in the copy, are
skipped (their own bundle carries them whole), as are sessions, coverage, consents, notes
and the care team, which the receiving clinic sets up itself; the result counts them.

Which row came from which identifier is written in the audit log (`detail.imported_from`
on each "create" event): that is how a later import finds the couple and the shared goals,
and refuses a partner imported before. Conventions: records.fhir.mapping's docstring.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError as PydanticError

from audit.models import AuditEvent
from audit.services import audit_record
from couples.models import Couple, Partner, User
from records.fhir.importer_records import Imported, ImportState, records_import
from records.fhir.mapping import EXT_SOBRIETY_DATE, EXT_TIME_ZONE

EMAIL_SYSTEM = "email"
NOT_IMPORTED = {
    "Practitioner": "clinicians",
    "CareTeam": "care teams",
    "Appointment": "sessions",
    "Encounter": "attendance records",
    "Coverage": "coverages",
    "Organization": "organizations",
    "Consent": "consents",
    "DocumentReference": "signed notes",
}


@dataclass(frozen=True)
class BundleSource:
    """One file to import and what it may lack: the partner's email and sobriety date."""

    data: str | bytes
    email: str = ""
    sobriety_date: datetime.date | None = None
    name: str = "The bundle"


@dataclass
class ImportResult:
    couple: Couple
    partners: list[Partner]
    # What was created ("couples", "partners", "shared goals", …) and what was skipped.
    created: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        """ "1 couple, 2 partners, 4 shared goals, 183 check-ins, 6 measures"."""
        return ", ".join(_count(self.created[kind], kind) for kind in Imported.ORDER)

    def skipped_summary(self) -> str:
        return ", ".join(_count(n, kind) for kind, n in sorted(self.skipped.items()))


# The kinds' names for one of them (a summary says "1 couple", "2 check-ins").
SINGULAR = {
    "couples": "couple",
    "partners": "partner",
    "shared goals": "shared goal",
    "individual goals": "individual goal",
    "progress entries": "progress entry",
    "check-ins": "check-in",
    "measures": "measure",
    "goals of the other partner": "goal of the other partner",
    "check-ins of the other partner": "check-in of the other partner",
    "measures of the other partner": "measure of the other partner",
    "progress entries of the other partner": "progress entry of the other partner",
    "progress entries on goals not imported": "progress entry on a goal not imported",
    "clinicians": "clinician",
    "care teams": "care team",
    "sessions": "session",
    "attendance records": "attendance record",
    "coverages": "coverage",
    "organizations": "organization",
    "consents": "consent",
    "signed notes": "signed note",
}


def _count(n: int, kind: str) -> str:
    return f"1 {SINGULAR.get(kind, kind)}" if n == 1 else f"{n} {kind}"


def import_bundle(
    *,
    data: str | bytes,
    by: User,
    email: str = "",
    sobriety_date: datetime.date | None = None,
    time_zone: str = "",
) -> ImportResult:
    """Import one partner's bundle (see the module's docstring)."""
    return import_bundles(
        sources=[BundleSource(data=data, email=email, sobriety_date=sobriety_date)],
        by=by,
        time_zone=time_zone,
    )


def import_bundles(*, sources: list[BundleSource], by: User, time_zone: str = "") -> ImportResult:
    """Import one or both partners' bundles in one transaction: all of it, or nothing."""
    if not sources:
        raise ValidationError("Give at least one bundle to import.")
    parsed = [(source, bundle_parse(source)) for source in sources]
    state = ImportState(by=by)
    partners = []
    with transaction.atomic():
        for source, bundle in parsed:
            partners.append(
                _bundle_import(source=source, bundle=bundle, state=state, time_zone=time_zone)
            )
    return ImportResult(
        couple=partners[0].couple, partners=partners, created=state.created, skipped=state.skipped
    )


def bundle_parse(source: BundleSource) -> Bundle:
    """The file as an R4B Bundle of our kind, or a ValidationError saying what is wrong (the
    place of each error, never the values: they may be health information)."""
    try:
        bundle = Bundle.model_validate_json(source.data)
    except PydanticError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'the file'}: {problem['msg']}"
            for problem in error.errors(include_input=False, include_url=False)[:5]
        )
        raise ValidationError(f"{source.name} is not a valid FHIR R4B Bundle: {problems}") from None
    except (ValueError, TypeError) as error:
        # Its message may quote the file: say only what kind of problem it is.
        kind = type(error).__name__
        raise ValidationError(f"{source.name} is not a valid FHIR R4B Bundle ({kind}).") from None
    if bundle.type != "collection" or not bundle.entry:
        raise ValidationError(f"{source.name} is not a partner's record (a collection Bundle).")
    return bundle


def _bundle_import(
    *, source: BundleSource, bundle: Bundle, state: ImportState, time_zone: str
) -> Partner:
    state.bundle_start(bundle, name=source.name)
    owner = _owner(state, name=source.name)
    group = next((r for r in state.resources.values() if r.get_resource_type() == "Group"), None)
    couple = _couple(state, group=group, time_zone=time_zone)
    partner = _partner_create(state, patient=owner, couple=couple, source=source)
    for resource in state.resources.values():
        kind = NOT_IMPORTED.get(resource.get_resource_type())
        if kind:
            state.skipped[kind] += 1
    records_import(state=state, partner=partner)
    return partner


def _owner(state: ImportState, *, name: str):
    """Whose copy it is: the Patient the RelatedPerson names, else the only Patient."""
    patients = {url: r for url, r in state.resources.items() if r.get_resource_type() == "Patient"}
    related = [r for r in state.resources.values() if r.get_resource_type() == "RelatedPerson"]
    if related:
        url = related[0].patient.reference
    elif len(patients) == 1:
        url = next(iter(patients))
    else:
        raise ValidationError(f"{name} does not say whose record it is.")
    if url not in patients:
        raise ValidationError(f"{name} names a patient it does not carry.")
    state.owner_url = url
    return patients[url]


def _couple(state: ImportState, *, group, time_zone: str) -> Couple:
    """The couple an earlier import (or this one) made from the same Group, else a new one."""
    if group is None:
        raise ValidationError("The bundle carries no couple (Group).")
    if state.owner_url not in {m.entity.reference for m in group.member or []}:
        raise ValidationError("The bundle's patient is not a member of its couple.")
    key = state.source_of(group)
    if key in state.couples:
        return state.couples[key]
    found = state.imported_before(Couple, [key])
    if key in found:
        couple = Couple.objects.get(pk=found[key])
        if couple.partners.count() >= 2:
            raise ValidationError(f"Couple #{couple.pk} already has both partners.")
    else:
        couple = Couple(time_zone=time_zone or _time_zone_of(group) or settings.TIME_ZONE)
        couple.full_clean()
        couple.save()
        audit_record(
            actor=state.by,
            action=AuditEvent.Action.CREATE,
            target=couple,
            detail={"imported_from": key, "bundle": state.bundle_key},
        )
        state.created["couples"] += 1
    state.couples[key] = couple
    return couple


def _time_zone_of(group) -> str:
    """The couple's zone the copy carries (mapping convention 10), if any."""
    for extension in group.extension or []:
        if extension.url == EXT_TIME_ZONE and extension.valueString:
            return extension.valueString
    return ""


def _email_of(patient, source: BundleSource) -> str:
    """The address staff gave (--email), else the one the copy carries (mapping convention 4)."""
    if source.email:
        return source.email
    for point in patient.telecom or []:
        if point.system == EMAIL_SYSTEM and point.value:
            return point.value
    raise ValidationError(
        f"{source.name} carries no email for its patient: give one (--email) for their account."
    )


def _sobriety_date_of(patient, source: BundleSource) -> datetime.date | None:
    """The date staff gave (--sobriety-date), else the one the copy carries."""
    if source.sobriety_date is not None:
        return source.sobriety_date
    for extension in patient.extension or []:
        if extension.url == EXT_SOBRIETY_DATE and extension.valueDate:
            return extension.valueDate
    return None


def _partner_create(state: ImportState, *, patient, couple: Couple, source: BundleSource):
    """The owner's account (unusable password, unverified email, no invitation yet) and
    Partner; refused if their identifier was imported before or their email is taken."""
    key = state.source_of(patient)
    if key in state.partners or state.imported_before(Partner, [key]):
        raise ValidationError(f"{source.name}: this partner was imported before.")
    email = User.objects.normalize_email(_email_of(patient, source)).strip()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": f"Someone already has an account with {email}."})
    name = (patient.name or [None])[0]
    user = User(
        email=email,
        first_name=(name.given or [""])[0] if name else "",
        last_name=(name.family or "") if name else "",
    )
    user.set_unusable_password()
    user.full_clean()
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    audit_record(actor=state.by, action=AuditEvent.Action.CREATE, target=user)
    preferred = (name.text or "") if name else ""
    partner = Partner(
        user=user,
        couple=couple,
        preferred_name="" if preferred == user.get_full_name() else preferred[:100],
        sobriety_date=_sobriety_date_of(patient, source),
        date_of_birth=patient.birthDate,
    )
    partner.full_clean()
    partner.save()
    audit_record(
        actor=state.by,
        action=AuditEvent.Action.CREATE,
        target=partner,
        patient=partner,
        detail={"imported_from": key, "bundle": state.bundle_key},
    )
    state.partners[key] = partner
    state.partner_urls[state.owner_url] = partner
    state.created["partners"] += 1
    return partner

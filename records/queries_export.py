"""Reading a partner's copies of their record: only the partner whose record it is, and of
their copies only those meant for them: the ones they asked for on the portal and the ones
staff made for their own records request (right of access). A copy made for a recipient under
a Part 2 consent (records.services_requests) is that recipient's, and is not on the portal.

Anyone else (the other partner, another couple's partner, any clinician or staff member)
meets the audited 404, as if the copy did not exist. A copy past its expiry is refused with
"gone" (`ExportGone`), whoever's it is, once it is known to be theirs.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from audit.services import access_denied_record
from couples.models import Partner, User
from records.models import RecordExport, RecordsRequest

# The page reads an export's state, never its files (megabytes).
FILES = ("bundle", "summary")


class ExportGone(Exception):
    """The copy was the user's, but its day is over: its files are cleared or about to be."""


def _copies_for(user_id: int) -> QuerySet[RecordExport]:
    for_the_patient = RecordsRequest.objects.filter(
        export=OuterRef("pk"), source=RecordsRequest.Source.PATIENT
    )
    return RecordExport.objects.filter(partner__user_id=user_id).filter(
        Q(requested_by_id=user_id) | Exists(for_the_patient)
    )


def export_latest_for_partner(*, partner: Partner) -> RecordExport | None:
    """The partner's latest copy meant for them, without its files (one query)."""
    return _copies_for(partner.user_id).defer(*FILES).order_by("-pk").first()


def export_is_expired(export: RecordExport) -> bool:
    """Expired as stored by the sweep, or ready but past its expiry already."""
    if export.status == RecordExport.Status.EXPIRED:
        return True
    return export.status == RecordExport.Status.READY and export.expires_at <= timezone.now()


def export_get_for_user(
    *, user: User, pk: int, file: str, request: HttpRequest | None = None
) -> RecordExport:
    """The user's own ready copy with one of its files (`file`: "bundle" or "summary"), or:
    the audited 404 for anyone whose record it is not; a plain 404 for their own copy still
    in progress or failed; ExportGone for their own copy past its expiry. One query."""
    others = [name for name in FILES if name != file]
    export = _copies_for(user.pk).filter(pk=pk).select_related("partner").defer(*others).first()
    if export is None:
        access_denied_record(
            user=user, request=request, target_type="records.RecordExport", target_id=pk
        )
        raise Http404
    if export_is_expired(export):
        raise ExportGone
    if export.status != RecordExport.Status.READY:
        raise Http404
    return export

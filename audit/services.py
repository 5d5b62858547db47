"""Appending to the audit log. Every app writes its events through audit_record, inside the
transaction of the change it records."""

from allauth.account.adapter import get_adapter
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import CHAINS, GENESIS_HASH, AuditChainHead, AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    try:
        return get_adapter(request).get_client_ip(request)
    except Exception:
        return None


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    target: models.Model | None = None,
    patient: models.Model | None = None,
    request: HttpRequest | None = None,
    allowed: bool = True,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one event to the audit log and return it.

    Runs in the caller's transaction when there is one, so a write and its audit
    row commit or roll back together. If this raises, the caller must not go on:
    a page whose read cannot be recorded is not served.
    """
    (event,) = audit_record_many(
        actor=actor,
        action=action,
        target=target,
        patients=[patient],
        request=request,
        allowed=allowed,
        detail=detail,
    )
    return event


def audit_record_many(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    target: models.Model | None = None,
    patients: list[models.Model | None],
    request: HttpRequest | None = None,
    allowed: bool = True,
    detail: dict | None = None,
) -> list[AuditEvent]:
    """One event per patient (`patients` holds Partners, or None for an event about no
    patient), appended one after the other to one chain under its head's lock: three
    queries however many (lock a head, insert, move the head). As audit_record."""
    if not patients:
        return []
    if actor is not None and not actor.is_authenticated:
        actor = None
    # No savepoint inside the caller's transaction: a failure here must roll back the
    # caller's write too, so there is nothing to keep by rolling back only this part.
    with transaction.atomic(savepoint=False):
        head = chain_head_take()
        seq, prev_hash = head.seq, head.hash
        at, ip_address = timezone.now(), client_ip(request)
        events = []
        for patient in patients:
            event = AuditEvent(
                chain=head.pk,
                seq=seq + 1,
                at=at,
                actor=actor,
                actor_label=actor.email if actor else "",
                action=action,
                target_type=target._meta.label if target is not None else "",
                target_id=str(target.pk) if target is not None else "",
                patient=patient,
                ip_address=ip_address,
                allowed=allowed,
                detail=detail or {},
                prev_hash=prev_hash,
            )
            event.hash = event.compute_hash()
            seq, prev_hash = event.seq, event.hash
            events.append(event)
        # bulk_create: AuditEvent.save guards updates, and a new row needs none of it.
        AuditEvent.objects.bulk_create(events)
        AuditChainHead.objects.filter(pk=head.pk).update(seq=seq, hash=prev_hash)
    return events


def chain_head_take() -> AuditChainHead:
    """The first chain head nobody else holds, locked until the transaction ends.

    Heads are tried in order, so a lone writer always appends to chain 1 and concurrent
    writers spread over the next ones. When every head is held (more writers at once than
    chains) it waits for head 1. Databases without row locks (SQLite) have one writer at a
    time anyway."""
    heads = AuditChainHead.objects.order_by("pk")
    head = heads.select_for_update(skip_locked=True).first()
    if head is None:  # every head held, or none there (an emptied database)
        chain_heads_ensure()
        head = heads.select_for_update().first()
    return head


def chain_heads_ensure() -> int:
    """Create the heads that are missing (a database emptied after its migrations ran, as
    tests do): how many there were not. They are created in the caller's transaction, so
    until it commits another writer that finds them missing waits for it."""
    missing = set(range(1, CHAINS + 1)) - set(AuditChainHead.objects.values_list("pk", flat=True))
    AuditChainHead.objects.bulk_create(
        [AuditChainHead(pk=number, hash=GENESIS_HASH) for number in sorted(missing)],
        ignore_conflicts=True,  # another writer may create them at the same moment
    )
    return len(missing)


def access_denied_record(
    *, user: AbstractBaseUser, request: HttpRequest | None, target_type: str, target_id
) -> AuditEvent:
    """Record a refused look at a patient record: the visitor got a 404 as if it did not exist."""
    return audit_record(
        actor=user,
        action=AuditEvent.Action.READ,
        request=request,
        allowed=False,
        detail={"target_type": target_type, "target_id": str(target_id)},
    )

"""The audit log: one append-only table of events, kept in several hash chains.

Every write to a clinical, session or insurance record and every read of a patient's record
by staff is an AuditEvent, written in the same transaction as what it records
(audit.services). Each event belongs to one chain and carries the hash of the event before
it in that chain, so `manage.py audit_verify` detects a changed, deleted or inserted row.
The hash is keyed (HMAC with settings.AUDIT_CHAIN_KEY, kept outside the database), so a row
rewritten with a recomputed hash is detected too; PostgreSQL refuses UPDATE, DELETE and
TRUNCATE on the table.

Why several chains: appending locks the chain's head row until the transaction commits. With
one chain every audited request in the clinic waited on that one lock; with CHAINS heads a
writer takes the first head nobody holds (SELECT … FOR UPDATE SKIP LOCKED), so concurrent
requests append side by side and wait only when more than CHAINS of them write at once.

The tables kept the names they had when the log lived in the couples app.
"""

import hashlib
import hmac
import json
from datetime import UTC

from django.conf import settings
from django.db import models

CHAINS = 16  # heads 1..16; audit/migrations/0002 creates them
GENESIS_HASH = "0" * 64  # the "previous hash" of a chain's first event


class AuditEvent(models.Model):
    """One line of the append-only audit log.

    Rows are never updated or deleted (PostgreSQL refuses it with a trigger; elsewhere
    save() and delete() refuse it). Within its chain each row stores the hash of the one
    before it.
    """

    class Action(models.TextChoices):
        READ = "read", "Read"
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        DELETE = "delete", "Delete"
        EXPORT = "export", "Export"
        LOGIN = "login", "Signed in"
        LOGIN_FAILED = "login_failed", "Sign-in failed"
        LOGIN_LOCKED = "login_locked", "Sign-in locked (too many failures)"
        LOGOUT = "logout", "Signed out"
        SESSION_TIMEOUT = "session_timeout", "Signed out by timeout"
        DISCLOSE = "disclose", "Disclosed under consent"
        INVITE = "invite", "Invitation sent"
        INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
        DEACTIVATE = "deactivate", "Deactivated"
        SECOND_FACTOR_CHANGED = "second_factor_changed", "Two-factor sign-in changed"
        SECOND_FACTOR_FAILED = "second_factor_failed", "Two-factor code refused"
        SECOND_FACTOR_MISSING = "second_factor_missing", "Refused: no second factor this session"

    chain = models.PositiveSmallIntegerField(editable=False)
    seq = models.PositiveBigIntegerField(editable=False, help_text="Its place in its chain.")
    at = models.DateTimeField(editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=30, choices=Action.choices)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    patient = models.ForeignKey(
        "couples.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
        help_text="The patient whose record this is about, if any.",
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    allowed = models.BooleanField(default=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)
    keyed = models.BooleanField(
        default=True,
        editable=False,
        help_text="Hashed with AUDIT_CHAIN_KEY (HMAC-SHA256); rows from before the key are not.",
    )

    class Meta:
        db_table = "couples_auditevent"
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_one_per_place"),
        ]
        indexes = [  # named as they were created in the couples app
            models.Index(fields=["actor", "at"], name="couples_aud_actor_i_73ab0c_idx"),
            models.Index(fields=["patient", "at"], name="couples_aud_patient_154b45_idx"),
            models.Index(fields=["action", "at"], name="couples_aud_action_180fa4_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.chain}.{self.seq} {self.action} by {self.actor_label or 'anonymous'}"

    def save(self, *args, **kwargs):
        # The log is append-only: an existing row is never written again.
        if not self._state.adding:
            raise ValueError("Audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events cannot be deleted")

    def compute_hash(self) -> str:
        """HMAC-SHA256 with settings.AUDIT_CHAIN_KEY, which is not in the database: someone
        who can write to the database cannot recompute it. Rows written before the key
        existed (`keyed` false) verify with plain SHA-256; the keyed rows after them seal
        them, since each links to the hash of the row before."""
        # The chain is not hashed (rows written before there were several chains verify as
        # they were): a row moved to another chain breaks that chain's links instead.
        payload = {
            "seq": self.seq,
            "at": self.at.astimezone(UTC).isoformat(),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "patient": self.patient_id,
            "ip": self.ip_address,
            "allowed": self.allowed,
            "detail": self.detail,
            "prev": self.prev_hash,
        }
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        if self.keyed:
            key = settings.AUDIT_CHAIN_KEY.encode()
            return hmac.new(key, canonical, hashlib.sha256).hexdigest()
        return hashlib.sha256(canonical).hexdigest()


class AuditChainHead(models.Model):
    """The last event's number and hash in one chain (the chain's number is this row's pk).

    Appending to a chain locks its head until the transaction ends, which keeps the chain
    gapless and linear however many processes write.
    """

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        db_table = "couples_auditchainhead"

    def __str__(self) -> str:
        return f"Audit chain {self.pk} at #{self.seq}"

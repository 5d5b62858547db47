import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from common.constraints import CheckConstraint
from common.dates import SPAN_WORDS, in_span
from common.moments import moment_text
from couples.models import Clinician, Couple, Partner


def unguessable_token() -> str:
    # 128 bits from the OS: one room link or feed address says nothing about another.
    return secrets.token_urlsafe(16)


class SessionKind(models.TextChoices):
    INDIVIDUAL_THERAPY = "individual_therapy", "Individual therapy"
    COUPLES_THERAPY = "couples_therapy", "Couples therapy"
    COUNSELING = "counseling", "Drug & alcohol counseling"
    GROUP = "group", "Group"
    MEDICAL_VISIT = "medical_visit", "Medical visit"
    SOBER_ACTIVITY = "sober_activity", "Sober activity"


# Kinds that bring several couples together (no single couple on the session).
MULTI_COUPLE_KINDS = frozenset({SessionKind.GROUP, SessionKind.SOBER_ACTIVITY})


class SessionSeries(models.Model):
    """A weekly schedule kept at the same wall-clock time in its time zone, across DST."""

    kind = models.CharField(max_length=30, choices=SessionKind.choices)
    clinician = models.ForeignKey(Clinician, on_delete=models.PROTECT, related_name="+")
    couple = models.ForeignKey(
        Couple, null=True, blank=True, on_delete=models.PROTECT, related_name="session_series"
    )
    weekdays = models.JSONField(help_text="Days of the week, 0 = Monday … 6 = Sunday.")
    start_time = models.TimeField()
    duration_minutes = models.PositiveSmallIntegerField()
    time_zone = models.CharField(max_length=64)
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="series_ends_after_start",
                violation_error_message="A series cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        first = self.starts_on
        return f"{self.get_kind_display()} series from {first:%b} {first.day}, {first.year}"


class TherapySession(models.Model):
    """One scheduled virtual session. Times are stored in UTC and shown in the viewer's zone."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    kind = models.CharField(max_length=30, choices=SessionKind.choices)
    clinician = models.ForeignKey(
        Clinician, on_delete=models.PROTECT, related_name="therapy_sessions"
    )
    couple = models.ForeignKey(
        Couple,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="therapy_sessions",
        help_text="Empty for a group or a sober activity (several couples).",
    )
    participants = models.ManyToManyField(
        Partner, through="Attendance", related_name="therapy_sessions"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    time_zone = models.CharField(max_length=64, help_text="The zone it was scheduled in.")
    room_id = models.CharField(
        max_length=64, unique=True, default=unguessable_token, editable=False
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    series = models.ForeignKey(
        SessionSeries, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    change_reason = models.CharField(max_length=200, blank=True)
    # The calendar event's revision (iCalendar SEQUENCE): each move or cancellation raises it,
    # and a calendar replaces its copy of the event only with a higher one.
    sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["clinician", "starts_at"]),
            models.Index(fields=["couple", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
            # Covering indexes, read without visiting the table: the sessions of a week (IOP
            # hours) and the scheduled sessions not yet over (each couple's next session).
            # Key columns rather than INCLUDE, which SQLite does not know.
            models.Index(fields=["starts_at", "id"], name="session_starts_at"),
            models.Index(
                fields=["status", "ends_at", "starts_at", "id"], name="session_status_ends"
            ),
        ]
        constraints = [
            CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="session_ends_after_start",
                violation_error_message="A session must end after it starts.",
            ),
            CheckConstraint(
                condition=Q(kind__in=sorted(MULTI_COUPLE_KINDS), couple__isnull=True)
                | (~Q(kind__in=sorted(MULTI_COUPLE_KINDS)) & Q(couple__isnull=False)),
                name="session_couple_matches_kind",
                violation_error_message=(
                    "Groups and sober activities bring several couples together; "
                    "every other session belongs to one couple."
                ),
            ),
            CheckConstraint(
                condition=in_span("starts_at", moment=True),
                name="session_starts_in_span",
                violation_error_message=f"A session starts {SPAN_WORDS}.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, {moment_text(self.starts_at, self.time_zone)}"

    @property
    def duration(self) -> datetime.timedelta:
        return self.ends_at - self.starts_at

    @property
    def video_url(self) -> str:
        return f"{settings.TELEHEALTH_BASE_URL.rstrip('/')}/{self.room_id}"


class Attendance(models.Model):
    """A participant of a session and, once marked, whether and how long they attended."""

    class Status(models.TextChoices):
        PRESENT = "present", "Present"
        LATE = "late", "Late"
        ABSENT = "absent", "Absent"
        EXCUSED = "excused", "Excused"

    class Response(models.TextChoices):
        # A partner's answer to a reminder, for the clinician to see.
        CONFIRMED = "confirmed", "Confirmed"
        CANCEL_REQUESTED = "cancel_requested", "Asked to cancel"
        RESCHEDULE_REQUESTED = "reschedule_requested", "Asked to reschedule"

    session = models.ForeignKey(
        TherapySession, on_delete=models.PROTECT, related_name="attendances"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="attendances")
    status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    minutes_attended = models.PositiveSmallIntegerField(default=0)
    marked_at = models.DateTimeField(null=True, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    response = models.CharField(max_length=30, choices=Response.choices, blank=True)
    response_note = models.CharField(max_length=300, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Covering: a caseload's places with all that IOP hours and the next session read.
            models.Index(
                fields=["partner", "session", "status", "minutes_attended", "id"],
                name="attendance_partner_session",
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["session", "partner"], name="attendance_once"),
            CheckConstraint(
                condition=Q(status__in=["present", "late"]) | Q(minutes_attended=0),
                name="attendance_minutes_only_when_there",
                violation_error_message="Only a participant who was there has minutes attended.",
            ),
            CheckConstraint(
                condition=Q(minutes_attended__lte=600),
                name="attendance_minutes_bounded",
                violation_error_message="Minutes attended cannot exceed 600.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} at {self.session}"


def token_hash_of(token: str) -> str:
    """What is stored of a feed's token: its SHA-256. The token itself is shown to its owner
    once, when the address is made; a copy of the database reveals no working address."""
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeed(models.Model):
    """A private, revocable calendar (ICS) address for one person."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="calendar_feed_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"

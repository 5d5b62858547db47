import datetime
import os
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from kombu import pools as kombu_pools

from config.celery_app import app as celery_app
from couples.models import Notification, NotificationPreference
from couples.tasks import notifications_tick
from sessions.models import Attendance, SessionKind, TherapySession
from tests.delivery import harness
from tests.delivery.mailsink import HOLD, SUFFIX
from tests.delivery.smtpserver import SMTPServer
from tests.factories import ClinicianFactory, CoupleFactory, PartnerFactory

FINAL = [
    Notification.Status.SENT,
    Notification.Status.WITHDRAWN,
    Notification.Status.FAILED,
    Notification.Status.EXPIRED,
]


def _skip_or_fail(reason: str) -> None:
    """Skip on a laptop without the services; fail where they must run (CI sets
    REQUIRE_DELIVERY_TESTS), so a runner without them cannot pass by skipping."""
    if os.environ.get("REQUIRE_DELIVERY_TESTS", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"REQUIRE_DELIVERY_TESTS is set but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def redis_worker(transactional_db):
    """A real Celery worker consuming from Redis, in this process, on its own queue.

    Its own queue keeps any other worker on the same Redis from taking the tasks.
    Celery caches its configuration, so the app's conf is patched (not Django settings).
    """
    if not os.environ.get("REDIS_URL"):
        _skip_or_fail("delivery tests need Redis: set REDIS_URL (CI does)")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    saved = {key: celery_app.conf[key] for key in ["task_always_eager", "task_default_queue"]}
    celery_app.conf.update(task_always_eager=False, task_default_queue=queue)
    try:
        with start_worker(
            celery_app, pool="solo", queues=[queue], perform_ping_check=False, shutdown_timeout=10
        ) as worker:
            yield worker
    finally:
        celery_app.conf.update(saved)
        with celery_app.connection_for_write() as connection_:
            connection_.default_channel.queue_delete(queue)


# --- Real processes: a private Redis, worker and beat subprocesses --------------------------------


class Delivery:
    """One test's world: a private Redis, a queue, a mail sink, and the processes it starts.

    This process publishes to the same Redis and queue (its Celery conf is patched), so a
    `tick()` here is a beat tick; subprocesses see the test database through DATABASE_URL.
    """

    def __init__(self, *, directory: Path, redis_server: harness.RedisServer, queue: str):
        self.directory = directory
        self.redis = redis_server
        self.queue = queue
        self.sink = directory / "sink"
        self.sink.mkdir()
        self.app_name = harness.unique_name("cr-delivery")
        self.env = harness.subprocess_env(
            database_url=harness.database_url(connection.settings_dict),
            redis_url=redis_server.url,
            sink=self.sink,
            data_dir=directory / "data",
            app_name=self.app_name,
        )
        self.processes: list[harness.Process] = []
        self.smtp: SMTPServer | None = None

    def smtp_server(self) -> SMTPServer:
        """A real SMTP server in this process (tests/delivery/smtpserver.py) instead of the
        file sink, for the workers started after this call; it keeps messages in the sink."""
        self.smtp = SMTPServer(self.sink, harness.free_port())
        self.smtp.accept()
        for key in ("MAIL_BACKEND", "MAIL_SINK_DIR"):
            self.env.pop(key, None)
        self.env.update(self.smtp.env())
        return self.smtp

    def start_worker(self, name: str = "worker", *, wait: bool = True) -> harness.Worker:
        worker = harness.Worker(
            harness.unique_name(name),
            queue=self.queue,
            env=self.env,
            log=self.directory / f"{name}.log",
        )
        self.processes.append(worker)
        if wait:
            worker.wait_ready()
        return worker

    def start_beat(self, name: str) -> harness.Process:
        """`manage.py notifications_tick` in its own process: one run of a beat's tick."""
        command = [sys.executable, "manage.py", "notifications_tick", "--queue", self.queue]
        beat = harness.Process(name, command, self.env, self.directory / f"{name}.log")
        self.processes.append(beat)
        return beat

    def tick(self, **kwargs) -> int:
        return notifications_tick(**kwargs)

    def hold_sends(self) -> None:
        (self.sink / HOLD).touch()

    def release_sends(self) -> None:
        (self.sink / HOLD).unlink()

    def held(self) -> list[Path]:
        return list(self.sink.glob("held-*"))

    def messages_written(self) -> int:
        return sum(1 for _ in self.sink.glob(f"*{SUFFIX}"))

    def sent_counts(self):
        return harness.sent_counts(self.sink)

    def wait_for(self, condition, *, timeout: float, what: str) -> None:
        try:
            harness.wait_for(condition, timeout=timeout, what=what)
        except AssertionError as error:
            raise AssertionError(
                f"{error}\nrows: {statuses()}\nconnections: {self.connections()}\n{self.logs()}"
            ) from None

    def wait_until_final(self, total: int, timeout: float = 60) -> None:
        """Until `total` rows exist and none is queued or being sent."""

        def all_final() -> bool:
            return Notification.objects.filter(status__in=FINAL).count() == total

        self.wait_for(all_final, timeout=timeout, what=f"{total} notifications to be final")

    @contextmanager
    def start_line(self, runners: int):
        """Hold the outbox table so processes started inside the block all wait at their first
        write, then let them go together when the block ends."""
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {Notification._meta.db_table} IN EXCLUSIVE MODE")
            yield
            self.wait_for(
                lambda: self._waiting_for_a_lock() == runners,
                timeout=30,
                what=f"{runners} processes to reach the start line",
            )

    def _waiting_for_a_lock(self) -> int:
        return sum(1 for _, waiting, _ in self.connections() if waiting == "Lock")

    def connections(self) -> list[tuple[str, str, str]]:
        """What each connection of the started processes is doing: (state, wait, query)."""
        with connection.cursor() as cursor:
            # Inside a transaction the statistics views keep their first snapshot.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT state, wait_event_type, left(query, 60) FROM pg_stat_activity "
                "WHERE application_name = %s",
                [self.app_name],
            )
            return cursor.fetchall()

    def logs(self) -> str:
        return "\n".join(process.tail() for process in self.processes)

    def terminate_connections(self) -> int:
        """End every PostgreSQL connection of the started processes, as a database restart or
        a failover would. Returns how many there were."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s",
                [self.app_name],
            )
            return cursor.rowcount

    def stop_everything(self) -> None:
        for process in self.processes:
            process.kill()
        if self.smtp is not None:
            self.smtp.close()
        # Connections of killed processes end with them; end any that linger, so the test
        # database can be flushed and dropped.
        self.terminate_connections()


def statuses() -> dict[str, int]:
    return dict(Notification.objects.values_list("status").annotate(rows=Count("pk")))


def _forget_broker_connections() -> None:
    # The app's pool is kombu's global pool for the broker it first used: close and forget
    # every pool (kombu.pools.reset), or a later test gets the closed one back from the
    # registry ("Acquire on closed pool").
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def delivery(transactional_db, tmp_path):
    """A private Redis, worker and beat subprocesses on PostgreSQL, and a mail sink.

    Everything started is killed at teardown, failure or not, and Celery's conf restored.
    """
    if connection.vendor != "postgresql":
        _skip_or_fail(
            "delivery tests need PostgreSQL (set DATABASE_URL): worker subprocesses share "
            "the test database, which SQLite in memory cannot do"
        )
    if not Path(harness.REDIS_SERVER).exists():
        _skip_or_fail(f"delivery tests start their own Redis: {harness.REDIS_SERVER} not found")
    redis_server = harness.RedisServer(tmp_path / "redis")
    redis_server.start()
    queue = harness.unique_name("notifications")
    keys = ["broker_url", "task_default_queue", "task_always_eager"]
    saved = {key: celery_app.conf[key] for key in keys}
    _forget_broker_connections()
    celery_app.conf.update(
        broker_url=redis_server.url, task_default_queue=queue, task_always_eager=False
    )
    world = Delivery(directory=tmp_path, redis_server=redis_server, queue=queue)
    try:
        yield world
    finally:
        try:
            world.stop_everything()
        finally:
            redis_server.stop()
            _forget_broker_connections()
            celery_app.conf.update(saved)


@pytest.fixture
def due_sessions(transactional_db):
    """Make sessions whose 24-hour reminder is due: they start 24 hours from now minus a
    minute (or at `starts_at`), spread over a few couples, each with both partners."""

    def make(count: int, *, couples: int = 5, starts_at: datetime.datetime | None = None):
        clinician = ClinicianFactory()
        pairs = [PartnerFactory.create_batch(2, couple=CoupleFactory()) for _ in range(couples)]
        start = starts_at or timezone.now() + datetime.timedelta(hours=24, minutes=-1)
        sessions = TherapySession.objects.bulk_create(
            TherapySession(
                kind=SessionKind.COUPLES_THERAPY,
                clinician=clinician,
                couple=pairs[number % couples][0].couple,
                starts_at=start,
                ends_at=start + datetime.timedelta(minutes=50),
                time_zone="America/New_York",
                created_by=clinician.user,
            )
            for number in range(count)
        )
        Attendance.objects.bulk_create(
            Attendance(session=session, partner=partner)
            for number, session in enumerate(sessions)
            for partner in pairs[number % couples]
        )
        # Only reminders: no check-in prompt or morning digest may fall due beside them,
        # whatever the time of day the suite runs at.
        NotificationPreference.objects.bulk_create(
            NotificationPreference(
                user=user, checkin_prompts=False, goal_review_prompts=False, morning_digest=False
            )
            for user in [clinician.user] + [p.user for pair in pairs for p in pair]
        )
        return sessions

    return make

"""Real processes for the delivery tests and the benchmark: a throwaway Redis, Celery workers
and beat ticks as subprocesses, all pointed at one PostgreSQL database and one mail sink.

Every process starts in its own session (process group), so killing the group takes a
worker's pool children with it; its database connections carry an application name of their
own, so whatever a killed process left behind can be ended before the test database is dropped.
"""

import collections
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import redis

from tests.delivery.mailsink import sent_message_ids

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
SINK_BACKEND = "tests.delivery.mailsink.EmailBackend"
# Settings from outside that would send a subprocess elsewhere than the test says.
FOREIGN_ENV = ("CELERY_BROKER_URL", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL")


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, interval=0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for a subprocess, naming the database this process uses."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}@" if password else f"{user}@"
    host = settings_dict.get("HOST") or ""
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{quote(host, safe='')}{port}/{settings_dict['NAME']}"


def sent_counts(sink: Path) -> collections.Counter:
    """How many times each notification (by pk, from its Message-ID) reached the sink."""
    counts = collections.Counter()
    for message_id in sent_message_ids(sink):
        match = re.search(r"notification-(\d+)@", message_id or "")
        counts[int(match.group(1)) if match else message_id] += 1
    return counts


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class RedisServer:
    """A private redis-server without persistence, which can be stopped and started again on
    the same port (what it held is gone, as after a real crash without persistence)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        command += ["--logfile", str(self.directory / "redis.log")]
        self.process = subprocess.Popen(command, start_new_session=True)
        wait_for(self.is_up, timeout=10, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            _kill_group(self.process)
            self.process = None

    def is_up(self) -> bool:
        client = self.client()
        try:
            return client.ping()
        except redis.ConnectionError:
            return False
        finally:
            client.close()

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=0.5)

    def waiting_tasks(self, queue: str) -> int:
        """Tasks published to the queue that no worker has taken yet (every priority list)."""
        client = self.client()
        try:
            return sum(client.llen(key) for key in client.scan_iter(match=f"{queue}*"))
        finally:
            client.close()


class Process:
    """A subprocess in its own process group with its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict, log: Path):
        self.name = name
        self.log = log
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def is_running(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole group: the worker and its pool children, mid-task or not."""
        _kill_group(self.process)

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM (a worker finishes its tasks and acknowledges them), SIGKILL if it lingers."""
        if self.is_running():
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout)

    def tail(self) -> str:
        return f"--- {self.name} ({self.log}) ---\n{_tail(self.log)}"


class Worker(Process):
    def __init__(self, name: str, *, queue: str, env: dict, log: Path, concurrency: int = 2):
        command = [str(BIN / "celery"), "-A", "config", "worker", "--pool", "prefork"]
        command += ["--concurrency", str(concurrency), "-Q", queue, "-n", f"{name}@%h"]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
        command += ["--loglevel", "INFO"]
        super().__init__(name, command, env, log)

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            if not self.is_running():
                raise AssertionError(f"Worker {self.name} exited early:\n{self.tail()}")
            return " ready." in self.output()

        wait_for(ready, timeout=timeout, what=f"worker {self.name} to be ready", interval=0.1)

    def tasks_received(self) -> int:
        output = self.output()
        return output.count("notification_send_task[") + output.count(
            "notification_batch_send_task["
        )

    def group_pids(self) -> list[int]:
        """The worker and its pool processes (everything in its process group)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[2]) == self.pid:
                    pids.append(int(stat.parent.name))
            except (OSError, IndexError, ValueError):
                continue
        return pids


def one_hour_reminders(sessions, *, due_at) -> list:
    """1-hour reminders due at `due_at` for sessions that may start sooner than an hour later
    (the plan would not make them: a mail outage is what makes a due reminder outlive its
    session), one per participant."""
    from couples import notifications
    from sessions.models import Attendance
    from sessions.notifications import REMINDER_1H

    return [
        notifications.Draft(
            kind=REMINDER_1H,
            recipient_id=user_id,
            object_ref=notifications.object_ref(session),
            slot=session.starts_at,
            due_at=due_at,
        )
        for session in sessions
        for user_id in Attendance.objects.filter(session=session).values_list(
            "partner__user_id", flat=True
        )
    ]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a live process has used so far (0 if it is not here)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_kib(pid: int) -> int:
    return _proc_kib(f"/proc/{pid}/status", "VmHWM:")


def pss_kib(pid: int) -> int:
    """The process's proportional set size: its private pages plus its share of the pages it
    shares (a prefork pool's children share most of theirs with the parent), so that the PSS of
    a process group adds up to its real use where the sum of RSS counts shared pages twice."""
    return _proc_kib(f"/proc/{pid}/smaps_rollup", "Pss:")


def _proc_kib(path: str, field: str) -> int:
    """A "Name:  123 kB" line of a /proc file; 0 once the process is gone."""
    try:
        text = Path(path).read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def postgres_server_cpu_seconds() -> float | None:
    """CPU time of a PostgreSQL server on this machine so far, every database and every
    connection, those already closed included (the postmaster counts its reaped children).
    None when no server runs here."""
    processes = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, rest = stat.read_text().split(" (", 1)[1].rsplit(")", 1)
        except (OSError, ValueError):
            continue
        if name == "postgres":
            fields = rest.split()
            processes[int(stat.parent.name)] = (int(fields[1]), [int(v) for v in fields[11:15]])
    if not processes:
        return None
    ticks = 0
    for parent, (user, system, children_user, children_system) in processes.values():
        ticks += user + system
        if parent not in processes:  # the postmaster
            ticks += children_user + children_system
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time every process on the machine has used since boot (all cores, not idle)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def subprocess_env(*, database_url: str, redis_url: str, sink: Path, data_dir: Path, app_name):
    env = {key: value for key, value in os.environ.items() if key not in FOREIGN_ENV}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="true",
        CELERY_TASK_ALWAYS_EAGER="false",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        MAIL_BACKEND=SINK_BACKEND,
        MAIL_SINK_DIR=str(sink),
        DATA_DIR=str(data_dir),
        # libpq names the connections, so stragglers can be found in pg_stat_activity.
        PGAPPNAME=app_name,
        PYTHONUNBUFFERED="1",
    )
    return env


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"

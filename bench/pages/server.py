"""gunicorn as in production, and the memory and CPU of processes, read from /proc."""

import os
import signal
import subprocess
import time
from pathlib import Path

from bench.pages.catalogue import BIN, ROOT


class Gunicorn:
    """gunicorn as the Dockerfile starts it (2 sync workers, timeouts, access log), on
    127.0.0.1 and a free port, in its own process group."""

    def __init__(self, *, env: dict, workers: int = 2, log_dir: Path):
        self.port = _free_port()
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log = log_dir / "gunicorn.log"
        command = [str(BIN / "gunicorn"), "config.wsgi:application"]
        command += ["--config", "config/gunicorn.conf.py"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(workers)]
        command += ["--timeout", "30", "--graceful-timeout", "30"]
        command += ["--access-logfile", str(log_dir / "access.log")]
        command += ["--error-logfile", str(self.log), "--worker-tmp-dir", "/dev/shm"]
        self.workers = workers
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, start_new_session=True
        )

    def wait_ready(self, timeout: float = 60) -> None:
        import http.client

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.tail()}")
            if len(self.worker_pids()) == self.workers:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                try:
                    connection.request("GET", "/healthz")
                    connection.getresponse().read()
                    return
                except OSError:
                    pass
                finally:
                    connection.close()  # left to the garbage collector, it warns
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn not ready after {timeout} s:\n{self.tail()}")

    def worker_pids(self) -> list[int]:
        return sorted(pid for pid, parent in _parents().items() if parent == self.process.pid)

    def memory_mib(self) -> dict:
        """Peak (VmHWM) and current (VmRSS) resident memory of the master and each worker."""
        return {
            "master": _memory_mib(self.process.pid),
            "workers": [_memory_mib(pid) for pid in self.worker_pids()],
        }

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in [self.process.pid, *self.worker_pids()])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _parents() -> dict[int, int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return parents


def _memory_mib(pid: int) -> dict:
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = round(int(rest.split()[0]) / 1024, 1)
    except OSError:
        pass
    return {"pid": pid, "peak_mib": values.get("VmHWM", 0.0), "now_mib": values.get("VmRSS", 0.0)}


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_by_pid(database_url: str, app_name: str) -> dict[int, float]:
    """CPU of each PostgreSQL backend serving gunicorn (found by its application name)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [app_name]
        ).fetchall()
    return {pid: cpu_seconds(pid) for (pid,) in rows}


def postmaster_pid(database_url: str) -> int:
    """PostgreSQL's postmaster: the parent of this connection's backend process."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        backend = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
        return _parents().get(backend, 0)  # while the backend is still there


def reaped_children_cpu_seconds(pid: int) -> float:
    """CPU of a process's children that have exited (and been waited for): for the
    postmaster, parallel query workers and closed connections."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def children_cpu_by_pid(pid: int) -> dict[int, float]:
    """CPU of each live child of a process (for the postmaster: every backend)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return {}
    return {int(child): cpu_seconds(int(child)) for child in children}


def cpu_used_since(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two readings; a backend that closed in between (CONN_MAX_AGE)
    took what it used since the first reading with it, so this is a lower bound."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())

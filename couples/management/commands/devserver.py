import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

STOP_GRACE_SECONDS = 15


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = (
        "Run the web server, a Celery worker and Celery beat together; "
        "Ctrl-C (or SIGTERM) stops all three."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="0.0.0.0:8000")

    def handle(self, *args, addrport: str, **options):
        """1. Start each process in its own session, so a Ctrl-C meant for us reaches
           each child exactly once (Celery hangs when it gets SIGINT and then SIGTERM).
        2. Wait until one exits or we are interrupted.
        3. Ask every child to stop, wait a while, then kill what is left.
        """
        python = sys.executable
        commands = [
            [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
            ],
            [python, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"],
            [python, "manage.py", "runserver", addrport],
        ]
        # `kill` (SIGTERM) stops all three as Ctrl-C does, instead of orphaning them.
        signal.signal(signal.SIGTERM, _interrupt)
        children = [subprocess.Popen(command, start_new_session=True) for command in commands]
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self._stop(children)

    def _stop(self, children: list[subprocess.Popen]) -> None:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        signal.signal(signal.SIGINT, previous)
        self.stdout.write("Web server, worker and beat stopped.")

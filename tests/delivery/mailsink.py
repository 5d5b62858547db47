"""A mail backend for the delivery tests and the benchmark: one file per message in a folder.

Selected with `MAIL_BACKEND=tests.delivery.mailsink.EmailBackend` and `MAIL_SINK_DIR=<folder>`.
Each message is written to a temporary name and renamed, so a worker killed while writing
leaves no half message behind; the final name starts with the Message-ID, which the outbox
derives from the row, so the files per Message-ID count how often one row was sent.

For the kill test: while a file `hold` exists in the folder, every send first creates
`held-<pid>` and then waits. The test knows the worker is inside a send (its row claimed,
nothing written yet) and can kill it there.
"""

import os
import re
import time
import uuid
from email.parser import BytesHeaderParser
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend

HOLD = "hold"
SUFFIX = ".eml"


class EmailBackend(BaseEmailBackend):
    def __init__(self, *args, sink_dir: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        folder = sink_dir or os.environ.get("MAIL_SINK_DIR")
        if not folder:
            raise ImproperlyConfigured("The mail sink needs MAIL_SINK_DIR (a folder).")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            self._wait_while_held()
            self._write(message.message())
        return len(email_messages)

    def _wait_while_held(self) -> None:
        hold = self.folder / HOLD
        if not hold.exists():
            return
        (self.folder / f"held-{os.getpid()}").touch()
        while hold.exists():
            time.sleep(0.02)

    def _write(self, message) -> None:
        message_id = message["Message-ID"] or f"<no-id-{uuid.uuid4().hex}>"
        unique = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        temporary = self.folder / f".tmp-{unique}"
        temporary.write_bytes(message.as_bytes())
        temporary.rename(self.folder / f"{_safe(message_id)}.{unique}{SUFFIX}")


def _safe(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._-]", "", message_id)


def sent_message_ids(folder: Path) -> list[str]:
    """The Message-ID of every message in the sink, read from the files (one per send)."""
    parser = BytesHeaderParser()
    ids = []
    for path in folder.glob(f"*{SUFFIX}"):
        with path.open("rb") as file:
            ids.append(parser.parse(file)["Message-ID"])
    return ids

"""A small SMTP server for the fault tests and `make bench-faults`: what a real mail server does
on the wire, and the ways one fails.

It accepts plain SMTP (no TLS, no login) and keeps each message as one file in a folder, named
by its Message-ID as tests/delivery/mailsink.py names them, so the same counting reads both.
Its modes, switched while workers send:

- `accept()`: it answers and keeps every message;
- `refuse()`: nothing listens on the port (connections are refused), as when the server is down;
- `hang()`: it accepts connections and never says a word, as a server that is overloaded or
  stuck; a client waits until its own timeout (EMAIL_TIMEOUT).
"""

import os
import re
import socketserver
import threading
import time
import uuid
from email.parser import BytesHeaderParser
from pathlib import Path

from tests.delivery.mailsink import SUFFIX


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def handle(self) -> None:
        try:
            self._converse()
        except OSError:
            pass  # the client went away (a killed worker, its own timeout)

    def _converse(self) -> None:
        owner: SMTPServer = self.server.owner
        if owner.mode == "hang":
            while owner.mode == "hang" and not owner.closing:
                time.sleep(0.05)
            return  # the client, if it still waits, sees the connection close
        self._reply("220 mail.test ESMTP")
        lines: list[bytes] | None = None
        while True:
            raw = self.rfile.readline(1_000_000)
            if not raw:
                return
            line = raw.rstrip(b"\r\n")
            if lines is not None:
                if line == b".":
                    owner.keep(b"\r\n".join(lines) + b"\r\n")
                    lines = None
                    self._reply("250 2.0.0 Kept")
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                self._reply("250-mail.test\r\n250 8BITMIME")
            elif verb == b"DATA":
                lines = []
                self._reply("354 End data with <CR><LF>.<CR><LF>")
            elif verb == b"QUIT":
                self._reply("221 2.0.0 Bye")
                return
            elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self._reply("250 2.0.0 OK")
            else:
                self._reply("502 5.5.2 Not implemented")

    def _reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class SMTPServer:
    def __init__(self, folder: Path, port: int):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = port
        self.mode = "accept"
        self.closing = False
        self.kept = 0
        self._server: _Server | None = None
        self._lock = threading.Lock()

    def env(self) -> dict[str, str]:
        """Settings for a worker that sends through this server (timeouts of 2 s)."""
        return {
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.port),
            "EMAIL_USE_TLS": "false",
            "EMAIL_TIMEOUT": os.environ.get("FAULTS_EMAIL_TIMEOUT", "2"),
        }

    def accept(self) -> None:
        self.mode = "accept"
        self._listen()

    def hang(self) -> None:
        self.mode = "hang"
        self._listen()

    def refuse(self) -> None:
        self.mode = "refuse"
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def close(self) -> None:
        self.closing = True
        self.refuse()

    def _listen(self) -> None:
        if self._server is None:
            self._server = _Server(("127.0.0.1", self.port), _Handler)
            self._server.owner = self
            threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def keep(self, data: bytes) -> None:
        message_id = BytesHeaderParser().parsebytes(data)["Message-ID"] or "<no-id>"
        unique = f"smtp-{uuid.uuid4().hex[:12]}"
        temporary = self.folder / f".tmp-{unique}"
        temporary.write_bytes(data)
        temporary.rename(
            self.folder / f"{re.sub(r'[^A-Za-z0-9@._-]', '', message_id)}.{unique}{SUFFIX}"
        )
        with self._lock:
            self.kept += 1

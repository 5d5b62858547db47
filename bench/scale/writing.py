"""How seed_scale writes: batches of rows through COPY or bulk_create, fast commits, fresh
planner statistics, and a progress line."""

import time

from django.db import connection, reset_queries, transaction


class fast_commits:
    """On PostgreSQL, commit without waiting for the disk flush while seeding.

    Safe here: a crash loses at most the last batches of synthetic rows (the database
    stays consistent), and the setting only applies to this connection.
    """

    def __enter__(self):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO OFF")

    def __exit__(self, *exc):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


def analyze() -> None:
    """Fresh planner statistics and visibility maps, so the benchmark's first queries use the
    plans production settles on (index-only scans need vacuumed tables)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # VACUUM cannot run in a transaction (a test's): plain statistics then.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")


class TableWriter:
    """Buffers rows (tuples in `fields` order) for one table; writes each batch in a transaction.

    With `copy` (PostgreSQL) a batch goes through psycopg 3's COPY, which skips Django's
    model layer, so every column needs a value: fields left out get their default, and
    auto_now fields the seeding moment. Otherwise the batch goes through bulk_create.
    """

    def __init__(self, model, fields, *, copy: bool, batch_size: int, now):
        self.model, self.fields, self.copy, self.batch_size = model, fields, copy, batch_size
        self.rows: list[tuple] = []
        self.count = 0  # rows accepted so far, written or waiting in the current batch
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        omitted = [f for f in model._meta.concrete_fields if not f.primary_key]
        omitted = [f for f in omitted if f.attname not in fields]
        self.columns = [by_attname[name].column for name in fields] + [f.column for f in omitted]
        self.tail = tuple(now if is_automatic(f) else f.get_default() for f in omitted)

    def extend(self, rows: list[tuple]) -> None:
        self.rows.extend(rows)
        self.count += len(rows)
        if len(self.rows) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        with transaction.atomic():
            if self.copy:
                self._copy()
            else:
                self.model.objects.bulk_create(
                    [self.model(**dict(zip(self.fields, row, strict=True))) for row in self.rows],
                    batch_size=self.batch_size,
                )
        self.rows = []
        reset_queries()  # with DEBUG on, Django keeps every statement: not millions of rows

    def _copy(self) -> None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(column) for column in self.columns)
        statement = f"COPY {quote(self.model._meta.db_table)} ({columns}) FROM STDIN"
        tail = self.tail
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in self.rows:
                copy.write_row(row + tail)


def is_automatic(field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


class ProgressLine:
    """One plain-text progress line on stderr, redrawn in place on a terminal.

    Off a terminal (logs, tests) only the finished line is written.
    """

    def __init__(self, out, label: str, total: int):
        self.out, self.label, self.total = out, label, max(total, 1)
        self.live = hasattr(out, "isatty") and out.isatty()
        self.started = self.drawn = time.monotonic()

    def update(self, done: int, detail: str = "") -> None:
        now = time.monotonic()
        if self.live and now - self.drawn >= 0.2:
            self.drawn = now
            self._draw(done, detail, end="")

    def finish(self, done: int, detail: str = "") -> None:
        self._draw(done, detail, end="\n")

    def _draw(self, done: int, detail: str, *, end: str) -> None:
        share = min(1.0, done / self.total)
        bar = "#" * round(share * 20)
        elapsed = time.monotonic() - self.started
        text = f"{self.label:<22} [{bar:<20}] {share:4.0%}  {detail}  {elapsed:6.1f} s"
        prefix = "\r\x1b[2K" if self.live else ""
        self.out.write(prefix + text, style_func=lambda s: s, ending=end)
        self.out.flush()

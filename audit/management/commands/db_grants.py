"""manage.py db_grants <role>: give the application's database role what it needs and no more.

Run as the owner of the tables, after `migrate` (docker-compose.yml's migrate service does).
The web and worker processes then connect as <role>, which owns nothing: it reads and writes
rows, but cannot alter, drop or truncate a table, nor switch a trigger off, and on the audit
log it may only read and append (its chain heads move on, so they may be updated). Only the
owner can undo that, and the owner's password is not in the running containers.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from audit.models import AuditChainHead, AuditEvent


class Command(BaseCommand):
    help = (
        "Grant the application's database role rows in every table, and on the audit log "
        "only reading and appending (PostgreSQL; run as the owner after migrate)."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="the role the web and worker processes connect as")

    def handle(self, *args, role: str, **options):
        if connection.vendor != "postgresql":
            raise CommandError("db_grants is for PostgreSQL: SQLite has no roles.")
        quoted = connection.ops.quote_name(role)
        events = connection.ops.quote_name(AuditEvent._meta.db_table)
        heads = connection.ops.quote_name(AuditChainHead._meta.db_table)
        statements = [
            f"GRANT USAGE ON SCHEMA public TO {quoted}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
            f"REVOKE ALL ON {events} FROM {quoted}",
            f"GRANT SELECT, INSERT ON {events} TO {quoted}",
            f"REVOKE ALL ON {heads} FROM {quoted}",
            f"GRANT SELECT, INSERT, UPDATE ON {heads} TO {quoted}",
        ]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                raise CommandError(f"There is no database role {role!r}: create it first.")
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(
            f"Granted {role}: rows in every table; the audit log read and append only."
        )

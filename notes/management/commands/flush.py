"""Django's flush, which on SQLite first lifts the guard triggers.

Test suites that run in real transactions empty every table afterwards: PostgreSQL with
TRUNCATE, which fires no row trigger, SQLite with DELETE, which the guards would refuse for a
signed note (notes/migrations/0002) or a signed assessment or plan version (plans/migrations/
0002). Emptying the whole database is not changing a record, so on SQLite every trigger (the
project makes none there but these guards) is dropped, the tables emptied and the triggers
made again, in one transaction."""

from django.core.management.commands import flush
from django.db import connections, transaction


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with transaction.atomic(using=options["database"]), connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            triggers = cursor.fetchall()
            for name, _ in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
            result = super().handle(**options)
            for _, sql in triggers:
                cursor.execute(sql)
        return result

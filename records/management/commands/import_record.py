"""Receive a couple from another program running this software:

    python manage.py import_record jordan.json [alex.json] --email jordan@example.org \
        [--email alex@example.org] [--sobriety-date 2026-03-01 ...] [--time-zone America/Chicago]

Each FILE is one partner's FHIR R4 Bundle ("Download my record", or the admin's export).
Both files are imported in one transaction: all of it or nothing. Today's export carries
neither the partner's email nor their sobriety date: give them (in the files' order) with
--email and --sobriety-date. The import is recorded in the audit log under the staff
account named by --by (the first superuser by default).
"""

import datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from couples.models import User
from records.fhir.importer import BundleSource, import_bundles


class Command(BaseCommand):
    help = "Import one or both partners' FHIR record bundles into this clinic."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="A partner's bundle.")
        parser.add_argument(
            "--email", action="append", default=[], help="Each file's partner's email, in order."
        )
        parser.add_argument(
            "--sobriety-date",
            action="append",
            default=[],
            type=datetime.date.fromisoformat,
            help="Each file's partner's sobriety date (YYYY-MM-DD), in order.",
        )
        parser.add_argument("--time-zone", default="", help="A new couple's time zone.")
        parser.add_argument("--by", default="", help="The staff member's email (audited).")

    def handle(self, *args, files, email, sobriety_date, time_zone, by, **options):
        if len(files) > 2:
            raise CommandError("A couple is at most two files.")
        if len(email) > len(files) or len(sobriety_date) > len(files):
            raise CommandError("Give at most one --email and one --sobriety-date per file.")
        sources = []
        for index, name in enumerate(files):
            try:
                data = Path(name).read_bytes()
            except OSError as error:
                raise CommandError(f"Cannot read {name}: {error.strerror}.") from None
            sources.append(
                BundleSource(
                    data=data,
                    email=email[index] if index < len(email) else "",
                    sobriety_date=sobriety_date[index] if index < len(sobriety_date) else None,
                    name=Path(name).name,
                )
            )
        try:
            result = import_bundles(sources=sources, by=_staff(by), time_zone=time_zone)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Imported: {result.summary()}.")
        self.stdout.write(f"Couple #{result.couple.pk}.")
        if result.skipped:
            self.stdout.write(f"Not imported: {result.skipped_summary()}.")


def _staff(email: str) -> User:
    users = User.objects.filter(is_staff=True, is_active=True)
    user = (
        users.filter(email__iexact=email).first()
        if email
        else (users.filter(is_superuser=True).order_by("pk").first())
    )
    if user is None:
        raise CommandError("Name an active staff member with --by (the import is audited).")
    return user

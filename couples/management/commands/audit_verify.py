from django.core.management.base import BaseCommand, CommandError

from couples.models import AuditChainHead, AuditEvent


class Command(BaseCommand):
    help = "Check the audit log's hash chain: every row present, in order and unchanged."

    def handle(self, *args, **options):
        problems = []
        expected_seq, previous_hash = 1, "0" * 64
        for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
            if event.seq != expected_seq:
                problems.append(f"rows {expected_seq}..{event.seq - 1} are missing")
            if event.prev_hash != previous_hash:
                problems.append(f"row {event.seq} does not follow the row before it")
            if event.compute_hash() != event.hash:
                problems.append(f"row {event.seq} was changed after it was written")
            expected_seq, previous_hash = event.seq + 1, event.hash
        head = AuditChainHead.objects.filter(pk=1).first()
        last_seq = expected_seq - 1
        if head is not None and (head.seq != last_seq or head.hash != previous_hash):
            problems.append(f"the log ends at row {last_seq} but row {head.seq} was written")
        if problems:
            raise CommandError("Audit log damaged:\n  " + "\n  ".join(problems))
        self.stdout.write(self.style.SUCCESS(f"Audit log intact: {last_seq} events verified."))

"""Reading the audit log back: the chains' verification."""

from audit.models import GENESIS_HASH, AuditChainHead, AuditEvent


def audit_chain_problems() -> tuple[int, list[str]]:
    """Walk every chain from its first event: (events checked, what is wrong).

    1. In each chain the numbers run 1, 2, 3 … with no gap: a deleted row leaves one.
    2. Each row's prev_hash is the hash of the row before it in its chain: a row put in
       between, or moved from another chain, breaks the link.
    3. Each row's hash is recomputed from its content: a changed row no longer matches.
    4. Each head names the last row of its chain: a row deleted at the end, or one added
       after it without moving the head, shows here.
    5. Rows are keyed (HMAC with settings.AUDIT_CHAIN_KEY) from the first keyed row on, in
       every chain: an unkeyed row after it is one rewritten with a hash recomputed without
       the key.
    """
    problems: list[str] = []
    checked = 0
    heads = {head.pk: head for head in AuditChainHead.objects.all()}
    first_keyed = (
        AuditEvent.objects.filter(keyed=True).order_by("at").values_list("at", flat=True).first()
    )
    last: dict[int, tuple[int, str]] = {}
    keyed_chains: set[int] = set()
    for event in AuditEvent.objects.order_by("chain", "seq").iterator(chunk_size=2000):
        seq, previous_hash = last.get(event.chain, (0, GENESIS_HASH))
        where = f"chain {event.chain}, row {event.seq}"
        if event.seq != seq + 1:
            problems.append(f"chain {event.chain}: rows {seq + 1}..{event.seq - 1} are missing")
        if event.prev_hash != previous_hash:
            problems.append(f"{where} does not follow the row before it")
        if event.keyed:
            keyed_chains.add(event.chain)
        elif event.chain in keyed_chains or (first_keyed is not None and event.at > first_keyed):
            problems.append(f"{where} is not keyed, though written after the key")
        if event.compute_hash() != event.hash:
            problems.append(f"{where} was changed after it was written")
        last[event.chain] = (event.seq, event.hash)
        checked += 1
    for chain in sorted(set(heads) | set(last)):
        head = heads.get(chain)
        seq, previous_hash = last.get(chain, (0, GENESIS_HASH))
        if head is None:
            problems.append(f"chain {chain} has rows but no head")
        elif head.seq != seq or head.hash != previous_hash:
            problems.append(f"chain {chain}: its last row is {seq} but its head says {head.seq}")
    return checked, problems

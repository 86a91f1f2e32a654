"""Reading and verifying the audit log."""
from __future__ import annotations

from dataclasses import dataclass

from apps.audit.models import AuditEvent
from apps.audit.services import GENESIS_HASH, event_hash


@dataclass(frozen=True)
class ChainReport:
    events: int
    ok: bool
    broken_at: int | None = None
    reason: str = ""


def audit_chain_verify(chunk_size: int = 2000) -> ChainReport:
    """Recompute the current schema's chain from the first event; report the first broken link."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk_size):
        count += 1
        if event.seq != expected_seq:
            return ChainReport(count, False, expected_seq, "an event is missing")
        if event.prev_hash != expected_prev:
            return ChainReport(count, False, event.seq, "the link to the previous event is broken")
        if event_hash(event) != event.hash:
            return ChainReport(count, False, event.seq, "the event was changed after it was written")
        expected_prev = event.hash
        expected_seq += 1
    return ChainReport(count, True)

"""Writing audit events: the only door into the audit log."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from apps.audit import context
from apps.audit.models import AuditEvent

GENESIS_HASH = "0" * 64


def _canonical(value: Any) -> Any:
    """What the JSON column will give back, so the hash is computed on what is stored."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def event_hash(event: AuditEvent) -> str:
    payload = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "changes": event.changes,
        "request_id": event.request_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "prev_hash": event.prev_hash,
    }
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder)
    return hashlib.sha256(raw.encode()).hexdigest()


def _target_parts(target: Any) -> tuple[str, str, str]:
    if target is None:
        return "", "", ""
    if isinstance(target, models.Model):
        return target._meta.label_lower, str(target.pk), str(target)[:255]
    if isinstance(target, tuple):
        kind, pk, label = (list(target) + ["", "", ""])[:3]
        return str(kind), str(pk), str(label)[:255]
    raise TypeError(f"audit target must be a model instance or (type, id, label), not {type(target)!r}")


def audit_record(
    *,
    action: str,
    actor: Any = None,
    actor_label: str = "",
    target: Any = None,
    changes: dict | None = None,
) -> AuditEvent:
    """Append one event to the current schema's chain, inside the caller's transaction.

    Appends serialize on a transaction-scoped advisory lock per schema, so call this late in
    a service: the lock is held until the caller's transaction ends.
    """
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return audit_record(action=action, actor=actor, actor_label=actor_label, target=target, changes=changes)
    ctx = context.current()
    target_type, target_id, target_label = _target_parts(target)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':audit'))")
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        seq=(last[0] + 1) if last else 1,
        occurred_at=timezone.now(),
        actor=actor_obj,
        actor_label=actor_label or (getattr(actor_obj, "email", "") if actor_obj else ""),
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        changes=_canonical(changes or {}),
        request_id=ctx.request_id,
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        prev_hash=last[1] if last else GENESIS_HASH,
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    return event


def audit_record_many(events: list[dict]) -> int:
    """Append many events (dicts of audit_record's arguments) under one lock; for sweeps and bulk moves."""
    if not events:
        return 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':audit'))")
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (last[0], last[1]) if last else (0, GENESIS_HASH)
        ctx = context.current()
        rows = []
        now = timezone.now()
        for item in events:
            actor = item.get("actor")
            actor_obj = actor if getattr(actor, "is_authenticated", False) else None
            target_type, target_id, target_label = _target_parts(item.get("target"))
            seq += 1
            event = AuditEvent(
                seq=seq,
                occurred_at=now,
                actor=actor_obj,
                actor_label=item.get("actor_label") or (actor_obj.email if actor_obj else ""),
                action=item["action"],
                target_type=target_type,
                target_id=target_id,
                target_label=target_label,
                changes=_canonical(item.get("changes") or {}),
                request_id=ctx.request_id,
                ip=ctx.ip,
                user_agent=ctx.user_agent,
                prev_hash=prev_hash,
            )
            event.hash = event_hash(event)
            prev_hash = event.hash
            rows.append(event)
        AuditEvent.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose values differ."""
    return {key: [before.get(key), after.get(key)] for key in after if before.get(key) != after.get(key)}

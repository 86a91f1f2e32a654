"""The SLA monitor: warnings, breaches, escalations and task reminders, each sent once.

Beat runs `sla_sweep` every few seconds in the public schema. It claims only tenants whose
`DeadlineIndex.next_due_at` has passed (an index scan, however many tenants exist), pushes their
mark a lease ahead so a slow tenant is not claimed twice, and queues `sla_process` for each. That
task, in the tenant's schema, handles due rows in batches: it locks them (SKIP LOCKED, so two
workers never take the same rows), stamps them (warned_at, breached_at, escalation_level) and
writes notifications whose unique dedupe keys make a repeated run harmless. Then it stores the
tenant's next due moment, unless a writer lowered it meanwhile.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from apps.audit.services import audit_record_many
from apps.notifications.services import Draft, notify_many
from workflows.models import StageVisit

LEASE = timedelta(seconds=60)
BATCH = 500


# ------------------------------------------------------------------------------
# The public index
# ------------------------------------------------------------------------------
def deadline_index_lower(schema_name: str, moment: datetime) -> None:
    """Make sure the tenant's sweep mark is no later than `moment` (called after commit)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO public.tenants_deadlineindex (tenant_id, next_due_at, version)
            SELECT id, %s, 1 FROM public.tenants_tenant WHERE schema_name = %s
            ON CONFLICT (tenant_id) DO UPDATE
               SET next_due_at = LEAST(COALESCE(public.tenants_deadlineindex.next_due_at, EXCLUDED.next_due_at),
                                       EXCLUDED.next_due_at),
                   version = public.tenants_deadlineindex.version + 1
             WHERE public.tenants_deadlineindex.next_due_at IS NULL
                OR public.tenants_deadlineindex.next_due_at > EXCLUDED.next_due_at
            """,
            [moment, schema_name],
        )


def deadline_index_claim(now: datetime, limit: int = 1000) -> list[tuple[str, int]]:
    """Claim tenants with something due: push their mark a lease ahead, return (schema, version)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE public.tenants_deadlineindex d
               SET next_due_at = %s, version = d.version + 1
              FROM public.tenants_tenant t
             WHERE d.tenant_id = t.id
               AND d.tenant_id IN (
                   SELECT tenant_id FROM public.tenants_deadlineindex
                    WHERE next_due_at <= %s ORDER BY next_due_at LIMIT %s FOR UPDATE SKIP LOCKED)
               AND t.status NOT IN ('suspended', 'deleted')
            RETURNING t.schema_name, d.version
            """,
            [now + LEASE, now, limit],
        )
        return cursor.fetchall()


def deadline_index_settle(schema_name: str, version: int, compute_next) -> bool:
    """Store the tenant's next due moment, unless a writer lowered the mark after our claim.

    The index row stays locked while `compute_next()` reads the tenant's rows: a writer whose
    visit commits after that read waits on the lock and lowers the mark after us.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT d.version FROM public.tenants_deadlineindex d JOIN public.tenants_tenant t ON t.id = d.tenant_id
             WHERE t.schema_name = %s FOR UPDATE OF d
            """,
            [schema_name],
        )
        row = cursor.fetchone()
        if row is None or row[0] != version:
            return False
        cursor.execute(
            """
            UPDATE public.tenants_deadlineindex d SET next_due_at = %s, version = d.version + 1
              FROM public.tenants_tenant t WHERE d.tenant_id = t.id AND t.schema_name = %s
            """,
            [compute_next(), schema_name],
        )
        return True


# ------------------------------------------------------------------------------
# One tenant
# ------------------------------------------------------------------------------
class _Managers:
    """The reporting chain of everyone, loaded once per run (a tenant has hundreds of people)."""

    def __init__(self):
        self.manager_of = dict(User.objects.filter(is_active=True).values_list("pk", "manager_id"))

    def up(self, user_id: int | None, levels: int) -> int | None:
        current = user_id
        for _ in range(levels):
            current = self.manager_of.get(current) if current else None
        return current if current in self.manager_of else None


def _deal_url(visit) -> str:
    return f"/deals/{visit.deal_id}/"


def _stamp(visits: list, **common) -> None:
    """Write the visits' new escalation level and next escalation moment (plus `common` fields):
    one UPDATE per distinct pair instead of bulk_update's CASE per row, which cost half the run."""
    groups: dict[tuple, list[int]] = {}
    for v in visits:
        groups.setdefault((v.escalation_level, v.next_escalation_at), []).append(v.pk)
    for (level, next_at), pks in groups.items():
        StageVisit.objects.filter(pk__in=pks).update(escalation_level=level, next_escalation_at=next_at, **common)


def _claim(queryset, now_field_filter: Q, limit: int) -> list[int]:
    return list(
        queryset.filter(now_field_filter).select_for_update(skip_locked=True).order_by("pk").values_list("pk", flat=True)[:limit]
    )


def process_visit_warnings(now: datetime, managers: _Managers) -> int:
    done = 0
    while True:
        with transaction.atomic():
            ids = _claim(
                StageVisit.objects.filter(deal__isnull=False, left_at__isnull=True, warned_at__isnull=True),
                Q(warn_at__lte=now),
                BATCH,
            )
            if not ids:
                return done
            visits = list(StageVisit.objects.filter(pk__in=ids).select_related("deal", "stage"))
            StageVisit.objects.filter(pk__in=ids).update(warned_at=now)
            drafts = [
                Draft(
                    recipient_id=v.responsible_id,
                    kind="sla_warning",
                    title=_("Deadline approaching: %(deal)s (%(stage)s)") % {"deal": v.deal, "stage": v.stage.name},
                    body=_("Due %s") % timezone.localtime(v.due_at).strftime("%Y-%m-%d %H:%M") if v.due_at else "",
                    url=_deal_url(v),
                    deal_id=v.deal_id,
                    dedupe_key=f"sla_warning:visit:{v.pk}:user:{v.responsible_id}",
                )
                for v in visits
            ]
            notify_many(drafts)
            audit_record_many(
                [{"action": "sla.warning", "target": v.deal, "changes": {"stage": v.stage.key, "visit": v.pk}} for v in visits]
            )
            done += len(ids)
            if len(ids) < BATCH:
                return done


def process_visit_breaches(now: datetime, managers: _Managers) -> int:
    done = 0
    while True:
        with transaction.atomic():
            ids = _claim(
                StageVisit.objects.filter(deal__isnull=False, left_at__isnull=True, breached_at__isnull=True),
                Q(due_at__lte=now),
                BATCH,
            )
            if not ids:
                return done
            visits = list(StageVisit.objects.filter(pk__in=ids).select_related("deal", "stage"))
            drafts = []
            for v in visits:
                v.breached_at = now
                v.escalation_level = 1
                every = v.stage.escalation_every_minutes
                v.next_escalation_at = now + timedelta(minutes=every) if every and v.stage.escalation_levels > 1 else None
                title = _("Deadline missed: %(deal)s (%(stage)s)") % {"deal": v.deal, "stage": v.stage.name}
                recipients = {v.responsible_id}
                if v.stage.escalation_levels >= 1:
                    recipients.add(managers.up(v.responsible_id, 1))
                for recipient in recipients - {None}:
                    drafts.append(
                        Draft(
                            recipient_id=recipient,
                            kind="sla_breach",
                            title=title,
                            body=_("It was due %s.") % timezone.localtime(v.due_at).strftime("%Y-%m-%d %H:%M"),
                            url=_deal_url(v),
                            deal_id=v.deal_id,
                            dedupe_key=f"sla_breach:visit:{v.pk}:level:1:user:{recipient}",
                        )
                    )
            _stamp(visits, breached_at=now)
            notify_many(drafts)
            audit_record_many(
                [{"action": "sla.breached", "target": v.deal, "changes": {"stage": v.stage.key, "visit": v.pk}} for v in visits]
            )
            done += len(ids)
            if len(ids) < BATCH:
                return done


def process_escalations(now: datetime, managers: _Managers) -> int:
    done = 0
    while True:
        with transaction.atomic():
            ids = _claim(StageVisit.objects.filter(deal__isnull=False, left_at__isnull=True), Q(next_escalation_at__lte=now), BATCH)
            if not ids:
                return done
            visits = list(StageVisit.objects.filter(pk__in=ids).select_related("deal", "stage"))
            drafts = []
            for v in visits:
                level = v.escalation_level + 1
                v.escalation_level = level
                more = level < v.stage.escalation_levels and v.stage.escalation_every_minutes
                v.next_escalation_at = now + timedelta(minutes=v.stage.escalation_every_minutes) if more else None
                recipient = managers.up(v.responsible_id, level)
                if recipient:
                    drafts.append(
                        Draft(
                            recipient_id=recipient,
                            kind="escalation",
                            title=_("Escalation (level %(level)d): %(deal)s is still overdue at %(stage)s")
                            % {"level": level, "deal": v.deal, "stage": v.stage.name},
                            url=_deal_url(v),
                            deal_id=v.deal_id,
                            dedupe_key=f"sla_breach:visit:{v.pk}:level:{level}:user:{recipient}",
                        )
                    )
            _stamp(visits)
            notify_many(drafts)
            audit_record_many(
                [{"action": "sla.escalated", "target": v.deal, "changes": {"level": v.escalation_level, "visit": v.pk}} for v in visits]
            )
            done += len(ids)
            if len(ids) < BATCH:
                return done


def process_tasks(now: datetime, managers: _Managers, kinds: set[str] = frozenset({"warn", "breach", "remind"})) -> int:
    from apps.tasks.models import Task

    done = 0
    open_tasks = Task.objects.filter(status=Task.Status.OPEN)
    rules = [
        ("warn", Q(warned_at__isnull=True, warn_at__lte=now), "warned_at"),
        ("breach", Q(breached_at__isnull=True, due_at__lte=now), "breached_at"),
        ("remind", Q(reminded_at__isnull=True, remind_at__lte=now), "reminded_at"),
    ]
    for kind, condition, stamp in [rule for rule in rules if rule[0] in kinds]:
        while True:
            with transaction.atomic():
                ids = _claim(open_tasks, condition, BATCH)
                if not ids:
                    break
                tasks = list(Task.objects.filter(pk__in=ids))
                Task.objects.filter(pk__in=ids).update(**{stamp: now})
                drafts = []
                for task in tasks:
                    recipients = {task.assignee_id}
                    if kind == "breach":
                        recipients.add(managers.up(task.assignee_id, 1))
                    title = {
                        "warn": _("Task due soon: %s"),
                        "breach": _("Task overdue: %s"),
                        "remind": _("Reminder: %s"),
                    }[kind] % task.title
                    for recipient in recipients - {None}:
                        drafts.append(
                            Draft(
                                recipient_id=recipient,
                                kind={"warn": "sla_warning", "breach": "sla_breach", "remind": "task_reminder"}[kind],
                                title=title,
                                url=f"/tasks/{task.pk}/",
                                task_id=task.pk,
                                dedupe_key=f"task_{kind}:{task.pk}:{(task.due_at or task.remind_at).isoformat()}:user:{recipient}",
                            )
                        )
                notify_many(drafts)
                if kind == "breach":
                    audit_record_many([{"action": "task.breached", "target": task} for task in tasks])
                done += len(ids)
            if len(ids) < BATCH:
                break
    return done


def due_moments() -> dict[str, datetime | None]:
    """The earliest pending moment of each kind of work in this tenant, in two queries."""
    from django.db.models import Min

    from apps.tasks.models import Task

    visits = StageVisit.objects.filter(deal__isnull=False, left_at__isnull=True).aggregate(
        visit_warn=Min("warn_at", filter=Q(warned_at__isnull=True)),
        visit_breach=Min("due_at", filter=Q(breached_at__isnull=True)),
        visit_escalate=Min("next_escalation_at"),
    )
    tasks = Task.objects.filter(status=Task.Status.OPEN).aggregate(
        warn=Min("warn_at", filter=Q(warned_at__isnull=True)),
        breach=Min("due_at", filter=Q(breached_at__isnull=True)),
        remind=Min("remind_at", filter=Q(reminded_at__isnull=True)),
    )
    return {**visits, **{f"task_{k}": v for k, v in tasks.items()}}


def next_due_moment() -> datetime | None:
    """The earliest pending warning, breach, escalation or reminder in this tenant."""
    return _earliest(due_moments())


def sla_process(*, schema_name: str, version: int | None, now: datetime | None = None) -> dict:
    """Handle everything due in the current tenant, then store its next due moment.

    The due moments are read first, so only the kinds of work that are due are claimed; a
    tenant's run touches few tables, which matters when thousands of schemas share a connection.
    """
    now = now or timezone.now()
    moments = due_moments()
    due = {kind for kind, moment in moments.items() if moment is not None and moment <= now}
    counts = {"warnings": 0, "breaches": 0, "escalations": 0, "tasks": 0}
    if due:
        managers = _Managers()
        if "visit_warn" in due:
            counts["warnings"] = process_visit_warnings(now, managers)
        if "visit_breach" in due:
            counts["breaches"] = process_visit_breaches(now, managers)
        if "visit_escalate" in due:
            counts["escalations"] = process_escalations(now, managers)
        task_kinds = {kind.removeprefix("task_") for kind in due if kind.startswith("task_")}
        if task_kinds:
            counts["tasks"] = process_tasks(now, managers, task_kinds)
    if version is not None:
        deadline_index_settle(schema_name, version, next_due_moment if due else lambda: _earliest(moments))
    return counts


def _earliest(moments: dict) -> datetime | None:
    found = [moment for moment in moments.values() if moment is not None]
    return min(found) if found else None

"""A client's history on one line: appeals, deals, their stage changes, tasks, files and notes, newest first.

Each kind is one query (cut to `limit` in the database), merged in Python, so the number of
queries does not grow with the history.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.clients.models import Client

# Same moment: the appeal first, then the deal it led to, its stage, its task.
_ORDER = {"interaction": 3, "deal": 2, "stage": 1, "task": 0, "attachment": -1, "note": -2}


def _item(type_: str, at: datetime, title: str, detail: str, url: str, id_: int) -> dict:
    return {"type": type_, "at": at, "title": title, "detail": detail, "url": url, "id": id_}


def _client_task_ids(client: Client):
    from apps.interactions.models import Interaction
    from apps.tasks.models import Task

    appeal_tasks = Interaction.objects.filter(client=client, task__isnull=False).values("task_id")
    return Task.objects.filter(Q(deal__client=client) | Q(pk__in=appeal_tasks)).values("pk")


def client_timeline(*, client: Client, limit: int = 50, before: datetime | None = None) -> list[dict]:
    """Up to `limit` events of the client older than `before` (all when None), newest first."""
    from apps.clients.attachments.models import Attachment
    from apps.clients.models import ClientNote
    from apps.deals.models import Deal
    from apps.interactions.models import Interaction
    from apps.tasks.models import Task
    from workflows.models import StageVisit

    def older(field: str) -> Q:
        return Q(**{f"{field}__lt": before}) if before is not None else Q()

    items: list[dict] = []
    appeals = Interaction.objects.filter(older("occurred_at"), client=client).select_related("employee").order_by("-occurred_at", "-id")[:limit]
    for a in appeals:
        title = f"{a.get_kind_display()}: {a.subject}" if a.subject else a.get_kind_display()
        detail = " · ".join(part for part in (a.get_channel_display(), str(a.employee), a.summary[:200]) if part)
        items.append(_item("interaction", a.occurred_at, title, detail, reverse("interaction-detail", args=[a.pk]), a.pk))
    deals = Deal.objects.filter(older("created_at"), client=client).order_by("-created_at", "-id")[:limit]
    for d in deals:
        amount = f"{d.amount:.2f} {d.currency}" if d.amount is not None else ""
        title = _("Deal created: %(title)s") % {"title": d.title}
        items.append(_item("deal", d.created_at, title, amount, reverse("deal-detail", args=[d.pk]), d.pk))
    visits = StageVisit.objects.filter(older("entered_at"), deal__client=client).select_related("stage", "deal")
    for v in visits.order_by("-entered_at", "-id")[:limit]:
        title = _("Entered stage %(stage)s") % {"stage": v.stage.name}
        items.append(_item("stage", v.entered_at, title, v.deal.title, reverse("deal-detail", args=[v.deal_id]), v.pk))
    tasks = Task.objects.filter(older("created_at"), pk__in=_client_task_ids(client)).order_by("-created_at", "-id")[:limit]
    for t in tasks:
        url = reverse("deal-detail", args=[t.deal_id]) if t.deal_id else reverse("task-list")
        items.append(_item("task", t.created_at, _("Task: %(title)s") % {"title": t.title}, t.get_status_display(), url, t.pk))
    files = Attachment.objects.filter(older("uploaded_at"), client=client).select_related("uploaded_by").order_by("-uploaded_at", "-id")[:limit]
    for f in files:
        detail = " · ".join(part for part in (f.description, str(f.uploaded_by or "")) if part)
        url = reverse("client-attachment-download", args=[client.pk, f.pk])
        items.append(_item("attachment", f.uploaded_at, _("File: %(name)s") % {"name": f.original_name}, detail, url, f.pk))
    notes = ClientNote.objects.filter(older("created_at"), client=client).select_related("author").order_by("-created_at", "-id")[:limit]
    for n in notes:
        detail = str(n.author) if n.author_id else ""
        items.append(_item("note", n.created_at, _("Note: %(text)s") % {"text": n.text[:200]}, detail, reverse("client-detail", args=[client.pk]), n.pk))
    items.sort(key=lambda i: (i["at"], _ORDER[i["type"]], i["id"]), reverse=True)
    return items[:limit]


def client_totals(client: Client) -> dict:
    """Deals won (count and amount, in total and per currency), open deals and tasks, appeals and the last contact."""
    from apps.deals.models import Deal
    from apps.interactions.models import Interaction
    from apps.tasks.models import Task

    won_count, won_amount, open_deals, won_by_currency = 0, Decimal("0"), 0, {}
    rows = Deal.objects.filter(client=client).values("outcome", "currency").annotate(n=Count("pk"), total=Sum("amount")).order_by()
    for row in rows:
        if row["outcome"] == Deal.Outcome.WON:
            won_count += row["n"]
            won_amount += row["total"] or 0
            won_by_currency[row["currency"]] = won_by_currency.get(row["currency"], Decimal("0")) + (row["total"] or 0)
        elif row["outcome"] == Deal.Outcome.OPEN:
            open_deals += row["n"]
    open_tasks = Task.objects.filter(pk__in=_client_task_ids(client), status=Task.Status.OPEN).count()
    appeals = Interaction.objects.filter(client=client).aggregate(count=Count("pk"), last=Max("occurred_at"))
    return {
        "deals_won": won_count,
        "deals_won_amount": won_amount,
        "deals_won_by_currency": won_by_currency,
        "deals_open": open_deals,
        "tasks_open": open_tasks,
        "appeals": appeals["count"],
        "last_contact_at": appeals["last"],
    }

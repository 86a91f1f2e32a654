"""Reads for the client base: what a user may see, and the search."""
from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Collate

from accounts.permissions import is_manager, visible_to
from apps.clients.models import Client
from apps.clients.search import query_terms


def client_list_visible_to(user) -> QuerySet[Client]:
    """Managers and admins see every client; staff the ones they own, were granted, or that are
    the client of a deal they own or are responsible for, or of a task (a deal's or an appeal's)
    assigned to them."""
    base = Client.objects.select_related("owner", "source")
    if is_manager(user):
        return visible_to(user, base, "clients.view_client", see_all=True)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return base.none()
    from apps.deals.models import Deal

    from apps.interactions.models import Interaction
    from apps.tasks.models import Task

    granted = visible_to(user, Client.objects.all(), "clients.view_client").values("pk")
    through_deals = Deal.objects.filter(Q(owner=user) | Q(responsible=user), client__isnull=False).values("client_id")
    through_tasks = Task.objects.filter(assignee=user, deal__client__isnull=False).values("deal__client_id")
    through_appeal_tasks = Interaction.objects.filter(task__assignee=user).values("client_id")
    return base.filter(
        Q(owner=user) | Q(pk__in=granted) | Q(pk__in=through_deals) | Q(pk__in=through_tasks) | Q(pk__in=through_appeal_tasks)
    )


def client_visible_or_404(user, pk) -> Client:
    """The client `pk` if `user` may see it; Http404 otherwise, whether it is missing, hidden or
    another company's (the three look alike on purpose)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(client_list_visible_to(user), pk=pk)


def client_search(queryset: QuerySet[Client], query: str) -> QuerySet[Client]:
    """Clients matching every word of the query anywhere in a name, e-mail, phone digits or tax id;
    those whose text starts with the first word come first, then name order.

    The matches are found through the trigram index and sorted by bytes (COLLATE "C"): sorting
    30,000 matches of a common surname with the locale's collation took 140 ms, by bytes a few
    (docs/performance.md). The folded text is lower-case and accent-free, so byte order is the
    alphabetical order people expect within each script.
    """
    terms = query_terms(query)
    if not terms:
        return queryset
    for term in terms:
        queryset = queryset.filter(search_text__contains=term)
    rank = Case(When(search_text__startswith=terms[0], then=Value(0)), default=Value(1), output_field=IntegerField())
    return queryset.annotate(search_rank=rank).order_by("search_rank", Collate("search_text", "C"), "id")


ACCESS_ACTIONS = ("client.viewed", "client.attachment_downloaded", "client.merged")


def client_recent_viewers(client: Client, limit: int = 10) -> list:
    """Who opened this card, downloaded its files or merged it lately (the access audit), newest
    first: for admins on the card."""
    from apps.audit.models import AuditEvent

    return list(
        AuditEvent.objects.filter(action__in=ACCESS_ACTIONS, target_type="clients.client", target_id=str(client.pk))
        .select_related("actor")
        .order_by("-occurred_at")[:limit]
    )


def client_search_top(queryset: QuerySet[Client], query: str, limit: int = 20) -> list[Client]:
    """The search box: up to `limit` matches, those starting with the first word first, each
    group in name order.

    Unlike `client_search` it never sorts every match: each part stops after `limit` rows, so a
    common surname among 1,000,000 clients costs a page of heap reads, not 30,000
    (docs/performance.md).
    """
    terms = query_terms(query)
    if not terms:
        return list(queryset.order_by("surname", "first_name", "company_name", "id")[:limit])
    base = queryset
    for term in terms:
        base = base.filter(search_text__contains=term)
    first = list(base.filter(search_text__startswith=terms[0]).order_by()[:limit])
    rest = []
    if len(first) < limit:
        rest = list(base.exclude(search_text__startswith=terms[0]).order_by()[: limit - len(first)])
    return sorted(first, key=lambda c: (c.search_text, c.pk)) + sorted(rest, key=lambda c: (c.search_text, c.pk))


def client_list_filtered(user, spec: dict) -> QuerySet[Client]:
    """The clients `user` may see that match a cleaned filter spec (apps.clients.filters), sorted
    like the API list (search rank first when the spec has a search)."""
    from apps.clients.filters import client_filter

    queryset = client_filter(client_list_visible_to(user), spec)
    if (spec.get("search") or "").strip():
        return client_search(queryset, spec["search"][:100])
    return queryset.order_by("surname", "first_name", "company_name", "id")


def segment_list_visible_to(user) -> QuerySet:
    """A user's own segments and the ones colleagues shared."""
    from apps.clients.models import Segment

    if not getattr(user, "is_authenticated", False):
        return Segment.objects.none()
    return Segment.objects.filter(Q(owner=user) | Q(is_shared=True))


def client_card_relations(client: Client, user) -> dict:
    """What the card shows around the client, one query each: relatives, a company's people or the
    companies a person works at (only cards `user` may see), categories, the latest notes."""
    from apps.clients.models import ClientNote, CompanyContact

    visible = client_list_visible_to(user).values("pk")

    relations = {
        "family": list(client.family.all()),
        "categories": list(client.categories.order_by("position", "name")),
        "notes": list(ClientNote.objects.filter(client=client).select_related("author")[:20]),
    }
    if client.kind == Client.Kind.COMPANY:
        relations["people"] = list(CompanyContact.objects.filter(company=client, person__in=visible).select_related("person"))
    else:
        relations["workplaces"] = list(CompanyContact.objects.filter(person=client, company__in=visible).select_related("company"))
    return relations

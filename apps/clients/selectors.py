"""Reads for the client base: what a user may see, and the search."""
from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from accounts.permissions import is_manager, visible_to
from apps.clients.models import Client
from apps.clients.search import query_terms


def client_list_visible_to(user) -> QuerySet[Client]:
    """Managers and admins see every client; staff the ones they own, were granted, or that are
    the client of a deal they own or are responsible for."""
    base = Client.objects.select_related("owner", "source")
    if is_manager(user):
        return visible_to(user, base, "clients.view_client", see_all=True)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return base.none()
    from apps.deals.models import Deal

    granted = visible_to(user, Client.objects.all(), "clients.view_client").values("pk")
    through_deals = Deal.objects.filter(Q(owner=user) | Q(responsible=user), client__isnull=False).values("client_id")
    return base.filter(Q(owner=user) | Q(pk__in=granted) | Q(pk__in=through_deals))


def client_search(queryset: QuerySet[Client], query: str) -> QuerySet[Client]:
    """Clients matching every word of the query anywhere in a name, e-mail, phone digits or tax id;
    those whose text starts with the first word come first."""
    terms = query_terms(query)
    if not terms:
        return queryset
    for term in terms:
        queryset = queryset.filter(search_text__contains=term)
    rank = Case(When(search_text__startswith=terms[0], then=Value(0)), default=Value(1), output_field=IntegerField())
    return queryset.annotate(search_rank=rank).order_by("search_rank", "surname", "first_name", "company_name", "id")

"""Reads for deals: what a user may see, filtered in the database."""
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.permissions import is_manager, visible_to
from apps.deals.models import Deal


def deal_list_visible_to(user) -> QuerySet[Deal]:
    """Managers and admins see every deal; others the deals they own, are responsible for, or
    were given through an object permission."""
    base = Deal.objects.select_related("owner", "responsible", "stage", "pipeline", "current_visit")
    if is_manager(user):
        return visible_to(user, base, "deals.view_deal", see_all=True)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return base.none()
    granted = visible_to(user, Deal.objects.all(), "deals.view_deal").values("pk")
    return base.filter(Q(owner=user) | Q(responsible=user) | Q(pk__in=granted))


def deals_overdue(queryset: QuerySet[Deal], overdue: bool = True) -> QuerySet[Deal]:
    condition = Q(current_visit__due_at__lt=timezone.now(), outcome=Deal.Outcome.OPEN)
    return queryset.filter(condition) if overdue else queryset.exclude(condition)

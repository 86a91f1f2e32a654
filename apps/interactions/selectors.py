"""Reads for the appeal log: what a user may see, filtered in the database."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.permissions import is_manager
from apps.clients.selectors import client_list_visible_to
from apps.interactions.models import Interaction


def interaction_list_visible_to(user) -> QuerySet[Interaction]:
    """Managers and admins see every appeal; staff the appeals they handled and those of clients they may see."""
    base = Interaction.objects.select_related("client", "employee", "decided_by", "deal", "task")
    if is_manager(user):
        return base
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return base.none()
    clients = client_list_visible_to(user).order_by().values("pk")
    return base.filter(Q(employee=user) | Q(client__in=clients))

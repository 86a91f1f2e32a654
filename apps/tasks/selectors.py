from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.permissions import is_manager, visible_to
from apps.tasks.models import Task


def task_list_visible_to(user) -> QuerySet[Task]:
    base = Task.objects.select_related("assignee", "deal", "stage")
    if is_manager(user):
        return base
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return base.none()
    granted = visible_to(user, Task.objects.all(), "tasks.view_task").values("pk")
    return base.filter(Q(assignee=user) | Q(created_by=user) | Q(pk__in=granted))


def my_tasks(user) -> QuerySet[Task]:
    """The user's open tasks, overdue first, then by due time (no due time last)."""
    now = timezone.now()
    return (
        Task.objects.filter(assignee=user, status=Task.Status.OPEN)
        .select_related("deal")
        .annotate(
            overdue=Case(When(due_at__lt=now, then=Value(0)), default=Value(1), output_field=IntegerField()),
        )
        .order_by("overdue", "due_at", "-priority", "pk")
    )

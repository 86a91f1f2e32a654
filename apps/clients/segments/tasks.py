from celery import shared_task

from apps.clients.models import Category
from apps.clients.segments.services import categories_recalculate_all, category_recalculate


@shared_task(name="clients.categories_recalculate")
def categories_recalculate_task() -> int:
    """Daily, per company (beat fans it out): rule categories follow their rules."""
    return len(categories_recalculate_all())


@shared_task(name="clients.category_recalculate")
def category_recalculate_task(category_id: int) -> dict:
    category = Category.objects.filter(pk=category_id).first()
    return category_recalculate(category=category) if category else {}

import django_filters
from django.db.models import Q
from django.utils import timezone

from apps.api.filters import StrictBooleanFilter
from apps.deals.models import Deal


class DealFilter(django_filters.FilterSet):
    pipeline = django_filters.NumberFilter()
    stage = django_filters.NumberFilter()
    responsible = django_filters.NumberFilter()
    owner = django_filters.NumberFilter()
    outcome = django_filters.ChoiceFilter(choices=Deal.Outcome.choices)
    overdue = StrictBooleanFilter(method="filter_overdue")
    due_before = django_filters.IsoDateTimeFilter(field_name="current_visit__due_at", lookup_expr="lt")
    due_after = django_filters.IsoDateTimeFilter(field_name="current_visit__due_at", lookup_expr="gte")
    q = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Deal
        fields = []

    def filter_overdue(self, queryset, name, value):
        condition = Q(outcome=Deal.Outcome.OPEN, current_visit__due_at__lt=timezone.now())
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_search(self, queryset, name, value):
        value = value.strip()[:100]
        return queryset.filter(Q(title__icontains=value) | Q(client_name__icontains=value) | Q(client_phone__icontains=value))

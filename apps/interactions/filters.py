import django_filters

from apps.api.filters import StrictBooleanFilter
from apps.interactions.models import Interaction


class InteractionFilter(django_filters.FilterSet):
    client = django_filters.NumberFilter()
    employee = django_filters.NumberFilter()
    kind = django_filters.ChoiceFilter(choices=Interaction.Kind.choices)
    channel = django_filters.ChoiceFilter(choices=Interaction.Channel.choices)
    needs_decision = StrictBooleanFilter()
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Interaction
        fields = []

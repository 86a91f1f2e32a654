import django_filters
from rest_framework import permissions, viewsets

from accounts.permissions import IsTenantAdmin
from apps.audit.models import AuditEvent
from apps.audit.serializers import AuditEventSerializer


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter()
    action_prefix = django_filters.CharFilter(field_name="action", lookup_expr="startswith")
    actor = django_filters.NumberFilter(field_name="actor_id")
    target_type = django_filters.CharFilter()
    target_id = django_filters.CharFilter()
    since = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = []


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The company's audit log, newest first. Owners and Admins only."""

    serializer_class = AuditEventSerializer
    permission_classes = [permissions.IsAuthenticated, IsTenantAdmin]
    filterset_class = AuditEventFilter
    queryset = AuditEvent.objects.all()
    ordering_fields = ["seq", "occurred_at"]

from rest_framework import serializers

from apps.audit.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "seq", "occurred_at", "actor", "actor_label", "action", "target_type", "target_id",
            "target_label", "changes", "request_id", "ip", "user_agent", "hash",
        ]
        read_only_fields = fields

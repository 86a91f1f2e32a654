from rest_framework import serializers

from accounts.models import User
from apps.deals.models import Deal
from apps.tasks.models import Task
from workflows.models import Pipeline


class TaskSerializer(serializers.ModelSerializer):
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    stage = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id", "title", "description", "assignee", "created_by", "deal", "status", "priority", "source", "due_at",
            "remind_at", "overdue", "pipeline", "stage", "created_at", "updated_at", "completed_at",
        ]
        read_only_fields = fields

    def get_stage(self, task) -> dict | None:
        return {"id": task.stage_id, "name": task.stage.name, "kind": task.stage.kind} if task.stage_id else None


class TaskWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False, allow_null=True)
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    remind_at = serializers.DateTimeField(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=Task.Priority.values, required=False, default=Task.Priority.NORMAL)
    deal = serializers.PrimaryKeyRelatedField(queryset=Deal.objects.all(), required=False, allow_null=True)
    pipeline = serializers.PrimaryKeyRelatedField(queryset=Pipeline.objects.filter(kind="task", archived_at__isnull=True), required=False, allow_null=True)

    def validate_deal(self, deal):
        from apps.deals.selectors import deal_list_visible_to

        if deal is not None and not deal_list_visible_to(self.context["request"].user).filter(pk=deal.pk).exists():
            raise serializers.ValidationError("Unknown deal.", code="does_not_exist")
        return deal

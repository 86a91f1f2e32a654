from rest_framework import serializers

from workflows.models import BusinessCalendar, CalendarException, Pipeline, PipelineVersion, Stage
from workflows.selectors import version_draft, version_published_latest


class StageSerializer(serializers.ModelSerializer):
    responsible_role = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Stage
        fields = [
            "id", "key", "name", "position", "kind", "responsible_role", "assignment", "sla_minutes", "sla_business_time",
            "warn_percent", "escalation_levels", "escalation_every_minutes", "required_fields", "skippable",
        ]
        read_only_fields = fields


class VersionSerializer(serializers.ModelSerializer):
    stages = StageSerializer(many=True, read_only=True)

    class Meta:
        model = PipelineVersion
        fields = ["id", "number", "status", "transition_mode", "published_at", "published_by", "stages"]
        read_only_fields = fields


class PipelineSerializer(serializers.ModelSerializer):
    current_version = serializers.SerializerMethodField()
    draft_version = serializers.SerializerMethodField()

    class Meta:
        model = Pipeline
        fields = ["id", "name", "kind", "description", "template_code", "calendar", "created_at", "archived_at", "current_version", "draft_version"]
        read_only_fields = fields

    def get_current_version(self, pipeline) -> dict | None:
        version = version_published_latest(pipeline)
        return VersionSerializer(version).data if version else None

    def get_draft_version(self, pipeline) -> int | None:
        draft = version_draft(pipeline)
        return draft.number if draft else None


class InstallSerializer(serializers.Serializer):
    template = serializers.SlugField(max_length=50)


class MigrateSerializer(serializers.Serializer):
    mapping = serializers.DictField(child=serializers.SlugField(max_length=60), required=False, default=dict)
    dry_run = serializers.BooleanField(default=True)


class CalendarSerializer(serializers.ModelSerializer):
    class Meta:
        model = BusinessCalendar
        fields = ["id", "name", "time_zone", "weekly_hours", "country", "subdivision", "is_default", "updated_at"]
        read_only_fields = ["id", "is_default", "updated_at"]


class CalendarExceptionSerializer(serializers.ModelSerializer):
    hours = serializers.ListField(child=serializers.ListField(child=serializers.CharField(max_length=5), min_length=2, max_length=2), required=False, default=list, max_length=6)

    class Meta:
        model = CalendarException
        fields = ["id", "date", "hours", "note"]

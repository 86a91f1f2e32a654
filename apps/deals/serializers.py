import re

from django.utils import timezone
from rest_framework import serializers

from apps.clients.models import Client
from apps.deals.models import Deal
from workflows.models import Pipeline, StageVisit

DATA_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


def validate_data(value):
    if not isinstance(value, dict):
        raise serializers.ValidationError("Expected an object.", code="invalid")
    if len(value) > 50:
        raise serializers.ValidationError("At most 50 entries.", code="max_length")
    for key, item in value.items():
        if not DATA_KEY.match(str(key)):
            raise serializers.ValidationError(f"Bad key {key!r}: lowercase letters, digits and underscores.", code="invalid")
        if not isinstance(item, (str, int, float, bool, type(None))) or (isinstance(item, str) and len(item) > 1000):
            raise serializers.ValidationError(f"{key}: a short text, a number, yes/no or null.", code="invalid")
    return value


class VisibleClientField(serializers.PrimaryKeyRelatedField):
    """A client card the requesting user may see; any other id is "not found"."""

    default_error_messages = {"does_not_exist": "Unknown client.", "incorrect_type": "Give the client's id."}

    def get_queryset(self):
        from apps.clients.selectors import client_list_visible_to

        request = self.context.get("request")
        return client_list_visible_to(request.user) if request else Client.objects.none()


class DealFieldsSerializer(serializers.Serializer):
    """The fields a person may set on a deal (create, edit, or on the way into a stage)."""

    title = serializers.CharField(max_length=200, required=False)
    client = VisibleClientField(required=False, allow_null=True)
    client_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    client_phone = serializers.RegexField(r"^[0-9+()\-\s]{0,32}$", max_length=32, required=False, allow_blank=True)
    client_email = serializers.EmailField(required=False, allow_blank=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    close_reason = serializers.CharField(max_length=300, required=False, allow_blank=True)
    data = serializers.JSONField(required=False, validators=[validate_data])


class DealCreateSerializer(DealFieldsSerializer):
    title = serializers.CharField(max_length=200)
    pipeline = serializers.PrimaryKeyRelatedField(queryset=Pipeline.objects.filter(archived_at__isnull=True, kind="deal"))


class StageRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()


class DealSerializer(serializers.ModelSerializer):
    stage = StageRefSerializer(read_only=True)
    due_at = serializers.SerializerMethodField()
    warn_at = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    at_risk = serializers.SerializerMethodField()
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = Deal
        fields = [
            "id", "title", "client", "client_name", "client_phone", "client_email", "amount", "currency", "owner", "responsible",
            "pipeline", "version", "stage", "due_at", "warn_at", "overdue", "at_risk", "expected_close_date", "outcome",
            "close_reason", "closed_at", "data", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def _visit(self, deal):
        return deal.current_visit if deal.outcome == Deal.Outcome.OPEN else None

    def get_due_at(self, deal):
        visit = self._visit(deal)
        return serializers.DateTimeField().to_representation(visit.due_at) if visit and visit.due_at else None

    def get_warn_at(self, deal):
        visit = self._visit(deal)
        return serializers.DateTimeField().to_representation(visit.warn_at) if visit and visit.warn_at else None

    def get_overdue(self, deal) -> bool:
        visit = self._visit(deal)
        return bool(visit and visit.due_at and visit.due_at < timezone.now())

    def get_at_risk(self, deal) -> bool:
        visit = self._visit(deal)
        now = timezone.now()
        return bool(visit and visit.warn_at and visit.warn_at <= now and not (visit.due_at and visit.due_at < now))


class MoveSerializer(serializers.Serializer):
    stage = serializers.IntegerField()
    fields = serializers.DictField(required=False, default=dict)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    expected_stage = serializers.IntegerField(required=False, allow_null=True, default=None)


class VisitSerializer(serializers.ModelSerializer):
    stage = StageRefSerializer(read_only=True)
    on_time = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = StageVisit
        fields = [
            "id", "stage", "responsible", "entered_at", "entered_by", "left_at", "left_by", "due_at", "warned_at",
            "breached_at", "escalation_level", "on_time", "note",
        ]
        read_only_fields = fields

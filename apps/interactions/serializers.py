from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from accounts.models import User
from apps.clients.serializers import ClientFieldsSerializer
from apps.deals.serializers import VisibleClientField
from apps.interactions.models import Interaction


@extend_schema_field(OpenApiTypes.INT)
class VisibleDealField(serializers.PrimaryKeyRelatedField):
    """A deal the requesting user may see; any other id is "not found"."""

    default_error_messages = {"does_not_exist": gettext_lazy("Unknown deal."), "incorrect_type": gettext_lazy("Give the deal's id.")}

    def get_queryset(self):
        from apps.deals.models import Deal
        from apps.deals.selectors import deal_list_visible_to

        request = self.context.get("request")
        return deal_list_visible_to(request.user) if request else Deal.objects.none()


@extend_schema_field(OpenApiTypes.INT)
class VisibleTaskField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {"does_not_exist": gettext_lazy("Unknown task."), "incorrect_type": gettext_lazy("Give the task's id.")}

    def get_queryset(self):
        from apps.tasks.models import Task
        from apps.tasks.selectors import task_list_visible_to

        request = self.context.get("request")
        return task_list_visible_to(request.user) if request else Task.objects.none()


class InteractionRegisterSerializer(serializers.Serializer):
    """An appeal: an existing `client` (optionally with `client_update`), or a `new_client`."""

    client = VisibleClientField(required=False, allow_null=True)
    new_client = ClientFieldsSerializer(required=False)
    client_update = ClientFieldsSerializer(required=False)
    allow_duplicate = serializers.BooleanField(required=False, default=False)
    occurred_at = serializers.DateTimeField(required=False)
    employee = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    channel = serializers.ChoiceField(choices=Interaction.Channel.choices)
    kind = serializers.ChoiceField(choices=Interaction.Kind.choices)
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True)
    summary = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    result = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    needs_decision = serializers.BooleanField(required=False, default=False)
    deal = VisibleDealField(required=False, allow_null=True)
    task = VisibleTaskField(required=False, allow_null=True)

    def validate(self, attrs):
        has_client, has_new = attrs.get("client") is not None, "new_client" in attrs
        if has_client == has_new:
            message = _("Give a client's id or a new_client, not both.") if has_new else _("Give a client's id or a new_client.")
            raise serializers.ValidationError({"client": [ErrorDetail(message, code="required")]})
        if has_new and "client_update" in attrs:
            raise serializers.ValidationError({"client_update": [ErrorDetail(_("Put a new client's fields in new_client."), code="invalid")]})
        return attrs

    def service_arguments(self) -> dict:
        """The validated data as interaction_register's keyword arguments."""
        data = dict(self.validated_data)
        allow_duplicate = data.pop("allow_duplicate")
        new_client = data.pop("new_client", None)
        arguments = {"client": data.pop("client", None), "client_update": data.pop("client_update", None) or None}
        if new_client is not None:
            arguments["client_fields"] = {**new_client, "allow_duplicate": allow_duplicate}
        elif arguments["client_update"] is not None:
            arguments["client_update"]["allow_duplicate"] = allow_duplicate
        return {**arguments, **{k: v for k, v in data.items() if v is not None}}


class InteractionSerializer(serializers.ModelSerializer):
    client_name = serializers.CharField(source="client.display_name", read_only=True)

    class Meta:
        model = Interaction
        fields = [
            "id", "occurred_at", "employee", "client", "client_name", "channel", "kind", "subject", "summary", "result",
            "needs_decision", "decision", "decided_by", "decided_at", "deal", "task", "created_at",
        ]
        read_only_fields = fields


class DecideSerializer(serializers.Serializer):
    decision = serializers.CharField(max_length=10_000)

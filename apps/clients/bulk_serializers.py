"""The bulk action request of the clients API (POST /api/v1/clients/bulk/)."""
from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.clients.bulk import ACTIONS, VALUE_FIELDS
from apps.clients.exports.models import ClientExport
from apps.clients.exports.serializers import ClientExportSerializer
from apps.clients.exports.services import MAX_CLIENT_IDS


class ClientBulkSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[(a, a) for a in ACTIONS])
    client_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False,
                                       max_length=MAX_CLIENT_IDS, required=False)
    # A filter spec (apps.clients.filters), checked key by key by the service ("filters.<key>").
    filters = serializers.JSONField(required=False)
    tag = serializers.CharField(max_length=50, required=False, allow_blank=True)
    category = serializers.IntegerField(min_value=1, required=False)
    owner = serializers.IntegerField(min_value=1, required=False)
    format = serializers.ChoiceField(choices=ClientExport.Format.choices, required=False)

    def validate(self, data):
        if ("client_ids" in data) == ("filters" in data):
            message = _("Choose clients, or a filter: exactly one of the two.")
            raise serializers.ValidationError({"client_ids": [message], "filters": [message]})
        field = VALUE_FIELDS[data["action"]]
        if data.get(field) in (None, ""):
            raise serializers.ValidationError({field: [serializers.ErrorDetail(_("This field is required."), code="required")]})
        return data

    @property
    def value(self):
        return self.validated_data[VALUE_FIELDS[self.validated_data["action"]]]


class ClientBulkResultSerializer(serializers.Serializer):
    matched = serializers.IntegerField(help_text="Clients selected (visible to you and yours to change).")
    changed = serializers.IntegerField(help_text="Clients that actually changed.")
    export = ClientExportSerializer(required=False, help_text="The queued export (action export only).")

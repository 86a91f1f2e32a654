"""The shapes of custom-field definitions in the API; the services decide what is valid."""
from rest_framework import serializers

from apps.clients.models import CustomField


class CustomFieldSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomField
        fields = ["id", "key", "label", "type", "choices", "applies_to", "required", "position", "is_active"]
        read_only_fields = fields


class CustomFieldCreateSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=50, help_text="A slug (a-z, 0-9, - and _); it never changes.")
    label = serializers.CharField(max_length=100)
    type = serializers.ChoiceField(choices=CustomField.Type.choices, help_text="It never changes.")
    choices = serializers.ListField(child=serializers.CharField(max_length=100, allow_blank=True), max_length=200, required=False, default=list)
    applies_to = serializers.ChoiceField(choices=CustomField.AppliesTo.choices, required=False, default=CustomField.AppliesTo.ALL)
    required = serializers.BooleanField(required=False, default=False)
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False, default=0)


class CustomFieldUpdateSerializer(serializers.Serializer):
    # Accepted only to answer clearly that they cannot change.
    key = serializers.CharField(max_length=50, required=False)
    type = serializers.CharField(max_length=20, required=False)
    label = serializers.CharField(max_length=100, required=False)
    choices = serializers.ListField(
        child=serializers.CharField(max_length=100, allow_blank=True), max_length=200, required=False,
        help_text="The full new list: choices may be added, and removed while no client holds them.",
    )
    applies_to = serializers.ChoiceField(choices=CustomField.AppliesTo.choices, required=False)
    required = serializers.BooleanField(required=False)
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    is_active = serializers.BooleanField(required=False)

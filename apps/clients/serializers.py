from rest_framework import serializers

from apps.clients.models import Client, ClientSource


class ClientFieldsSerializer(serializers.Serializer):
    """What a person may set on a client card."""

    kind = serializers.ChoiceField(choices=Client.Kind.choices, required=False)
    surname = serializers.CharField(max_length=100, required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    patronymic = serializers.CharField(max_length=100, required=False, allow_blank=True)
    company_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phones = serializers.ListField(child=serializers.CharField(max_length=40), max_length=10, required=False)
    emails = serializers.ListField(child=serializers.CharField(max_length=254), max_length=10, required=False)
    source = serializers.PrimaryKeyRelatedField(queryset=ClientSource.objects.all(), required=False, allow_null=True)
    birthday = serializers.DateField(required=False, allow_null=True)
    address = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    tax_id = serializers.CharField(max_length=32, required=False, allow_blank=True)
    registration_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    bank_details = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), max_length=30, required=False)
    notes = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    consent_email = serializers.BooleanField(required=False)
    consent_sms = serializers.BooleanField(required=False)
    # {key: value} of the company's custom fields; checked against the definitions by the services.
    # On an update only the given keys change; null or "" removes a value.
    custom = serializers.DictField(required=False)


class ClientWriteSerializer(ClientFieldsSerializer):
    allow_duplicate = serializers.BooleanField(required=False, default=False)


class ClientSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    source_name = serializers.CharField(source="source.name", read_only=True, default=None)

    class Meta:
        model = Client
        fields = [
            "id", "kind", "name", "surname", "first_name", "patronymic", "company_name", "phones", "emails", "source",
            "source_name", "birthday", "address", "tax_id", "registration_number", "bank_details", "tags", "notes",
            "consent_email", "consent_sms", "owner", "custom", "created_at", "updated_at",
        ]
        read_only_fields = fields


class ClientSourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClientSource
        fields = ["id", "name", "position", "is_active"]

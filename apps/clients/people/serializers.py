from rest_framework import serializers

from apps.clients.models import Client, CompanyContact, FamilyMember


class FamilyMemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = FamilyMember
        fields = ["id", "name", "relation", "birthday", "notes"]


class CompanyContactSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.display_name", read_only=True)
    phones = serializers.ListField(source="person.phones", read_only=True)
    emails = serializers.ListField(source="person.emails", read_only=True)

    class Meta:
        model = CompanyContact
        fields = ["id", "person", "person_name", "position", "is_primary", "phones", "emails"]
        read_only_fields = ["id", "person_name", "phones", "emails"]


class CompanyContactWriteSerializer(serializers.Serializer):
    person = serializers.IntegerField(min_value=1)
    position = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    is_primary = serializers.BooleanField(required=False, default=False)


class CompanySerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="company_name", read_only=True)
    people = CompanyContactSerializer(many=True, read_only=True)

    class Meta:
        model = Client
        fields = [
            "id", "name", "phones", "emails", "address", "tax_id", "registration_number", "bank_details", "tags",
            "owner", "people", "created_at", "updated_at",
        ]
        read_only_fields = fields

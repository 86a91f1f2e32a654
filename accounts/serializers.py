from django.conf import settings
from rest_framework import serializers

from accounts.models import ApiToken, Invitation, Role, User
from accounts.selectors import user_roles
from accounts.timezones import is_time_zone


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    name = serializers.CharField(max_length=100, required=False, default="API token")


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]


class RoleSerializer(serializers.ModelSerializer):
    code = serializers.SlugField(max_length=50)
    holders = serializers.SerializerMethodField()

    class Meta:
        model = Role
        fields = ["id", "code", "name", "description", "is_builtin", "holders"]
        read_only_fields = ["is_builtin", "holders"]

    def get_holders(self, role) -> int:
        return getattr(role, "holder_count", 0)


class UserSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    manager = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "phone", "language", "time_zone", "manager", "roles", "is_active", "last_login", "date_joined"]
        read_only_fields = fields

    def get_roles(self, user) -> list[str]:
        return sorted(role.code for role in user_roles(user))


class UserUpdateSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200, required=False)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=[""] + [code for code, _name in settings.LANGUAGES], required=False)
    time_zone = serializers.CharField(max_length=64, required=False, allow_blank=True)
    manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)
    roles = serializers.ListField(child=serializers.SlugField(max_length=50), required=False, max_length=50)

    def validate_time_zone(self, value):
        if value and not is_time_zone(value):
            raise serializers.ValidationError("Unknown time zone.", code="invalid")
        return value


class InvitationSerializer(serializers.ModelSerializer):
    roles = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "full_name", "roles", "status", "created_at", "expires_at", "accepted_at", "invited_by"]
        read_only_fields = fields


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    roles = serializers.ListField(child=serializers.SlugField(max_length=50), required=False, default=list, max_length=50)

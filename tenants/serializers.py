from django.conf import settings
from rest_framework import serializers

from accounts.timezones import is_time_zone
from workflows.blueprints import BLUEPRINTS


class SignupSerializer(serializers.Serializer):
    """Shape and size only; the business rules (slug, e-mail, password) live in the service."""

    company = serializers.CharField(max_length=200, trim_whitespace=True)
    slug = serializers.CharField(max_length=63)
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    language = serializers.ChoiceField(choices=[code for code, _n in settings.LANGUAGES], required=False, default="en")
    time_zone = serializers.CharField(max_length=64, required=False, default="UTC")
    country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False, allow_blank=True, default="")
    template = serializers.ChoiceField(choices=[""] + list(BLUEPRINTS), required=False, allow_blank=True, default="")

    def validate_time_zone(self, value):
        if not is_time_zone(value):
            raise serializers.ValidationError("Unknown time zone.", code="invalid")
        return value


class SignupResultSerializer(serializers.Serializer):
    slug = serializers.CharField()
    url = serializers.CharField()
    login_url = serializers.CharField()

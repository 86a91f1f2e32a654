from rest_framework import serializers

from apps.clients.models import Category, Segment


class SegmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Segment
        fields = ["id", "name", "filters", "is_shared", "owner", "created_at"]
        read_only_fields = ["owner", "created_at"]


class SegmentWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    filters = serializers.JSONField()
    is_shared = serializers.BooleanField(required=False, default=False)


class CategorySerializer(serializers.ModelSerializer):
    is_automatic = serializers.BooleanField(read_only=True)
    members = serializers.IntegerField(read_only=True, source="member_count", default=None)

    class Meta:
        model = Category
        fields = ["id", "name", "description", "rule", "is_automatic", "position", "recalculated_at", "members"]
        read_only_fields = ["recalculated_at"]


class CategoryWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    rule = serializers.JSONField(required=False, allow_null=True)
    position = serializers.IntegerField(min_value=0, max_value=32000, required=False)

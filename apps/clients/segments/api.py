"""Segments (saved filters) and categories API."""
from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.clients import selectors
from apps.clients.models import Category
from apps.clients.segments import services
from apps.clients.segments.serializers import CategorySerializer, CategoryWriteSerializer, SegmentSerializer, SegmentWriteSerializer


class SegmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """A user's saved filters and the ones colleagues shared. Use one with GET /api/v1/clients/?segment=<id>."""

    serializer_class = SegmentSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.segment_list_visible_to(self.request.user)

    @extend_schema(request=SegmentWriteSerializer, responses={201: SegmentSerializer})
    def create(self, request):
        data = SegmentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        segment = services.segment_create(actor=request.user, **data.validated_data)
        return Response(SegmentSerializer(segment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SegmentWriteSerializer, responses=SegmentSerializer)
    def partial_update(self, request, pk=None):
        segment = self.get_object()
        data = SegmentWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        segment = services.segment_update(segment=segment, actor=request.user, **data.validated_data)
        return Response(SegmentSerializer(segment).data)

    def perform_destroy(self, instance):
        services.segment_delete(segment=instance, actor=self.request.user)


class CategoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Client categories: everyone reads them, managers change them. A category with a rule (a
    filter spec) is recalculated daily and right after its rule changes."""

    serializer_class = CategorySerializer
    pagination_class = None

    def get_queryset(self):
        return Category.objects.annotate(member_count=Count("client_links"))

    @extend_schema(request=CategoryWriteSerializer, responses={201: CategorySerializer})
    def create(self, request):
        data = CategoryWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.category_create(actor=request.user, **data.validated_data)
        return Response(CategorySerializer(category).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CategoryWriteSerializer, responses=CategorySerializer)
    def partial_update(self, request, pk=None):
        category = self.get_object()
        data = CategoryWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        category = services.category_update(category=category, actor=request.user, **data.validated_data)
        return Response(CategorySerializer(category).data)

    def perform_destroy(self, instance):
        services.category_delete(category=instance, actor=self.request.user)

    @extend_schema(request=None, responses=CategorySerializer)
    @action(detail=True, methods=["post"])
    def recalculate(self, request, pk=None):
        """Apply the rule now instead of waiting for the nightly run (managers)."""
        category = self.get_object()
        result = services.category_recalculate_now(category=category, actor=request.user)
        return Response({**CategorySerializer(self.get_queryset().get(pk=category.pk)).data, **result})

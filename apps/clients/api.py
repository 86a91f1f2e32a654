"""Clients API. Lists are filtered in the database to what the user may see; others are 404."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from accounts.permissions import IsTenantAdmin
from apps.clients import selectors, services
from apps.clients.models import ClientSource
from apps.clients.serializers import ClientSerializer, ClientSourceSerializer, ClientWriteSerializer


class ClientMergeSerializer(serializers.Serializer):
    other = serializers.IntegerField(min_value=1)


class ClientViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ClientSerializer
    ordering_fields = ["created_at", "updated_at", "surname", "company_name"]

    def get_queryset(self):
        queryset = selectors.client_list_visible_to(self.request.user)
        search = self.request.query_params.get("search", "")
        if self.action == "list" and search.strip():
            queryset = selectors.client_search(queryset, search[:100])
        return queryset

    @extend_schema(parameters=[OpenApiParameter("search", str, description="Any part of a name, e-mail, phone digits or tax id")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        client = self.get_object()
        services.client_view_record(client=client, actor=request.user)
        return Response(ClientSerializer(client).data)

    @extend_schema(request=ClientWriteSerializer, responses={201: ClientSerializer})
    def create(self, request):
        data = ClientWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        client = services.client_create(actor=request.user, **fields)
        return Response(ClientSerializer(client).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ClientMergeSerializer, responses=ClientSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Fold another client (`other`) into this one; the other card is deleted. Managers only."""
        keep = self.get_object()
        data = ClientMergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        other = selectors.client_list_visible_to(request.user).filter(pk=data.validated_data["other"]).first()
        if other is None:
            raise ValidationError({"other": [ErrorDetail("Unknown client.", code="not_found")]})
        keep = services.client_merge(keep=keep, merge=other, actor=request.user)
        return Response(ClientSerializer(keep).data)

    @extend_schema(request=ClientWriteSerializer, responses=ClientSerializer)
    def partial_update(self, request, pk=None):
        client = self.get_object()
        data = ClientWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        client = services.client_update(client=client, actor=request.user, **fields)
        return Response(ClientSerializer(client).data)


class ClientSourceViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The company's list of client sources; everyone reads it, admins edit it."""

    serializer_class = ClientSourceSerializer
    queryset = ClientSource.objects.all()
    pagination_class = None

    def get_permissions(self):
        if self.action in {"list", "retrieve"}:
            return super().get_permissions()
        return [*super().get_permissions(), IsTenantAdmin()]

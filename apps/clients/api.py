"""Clients API. Lists are filtered in the database to what the user may see; others are 404."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from accounts.permissions import IsTenantAdmin
from apps.clients import selectors, services
from apps.clients.bulk_serializers import ClientBulkResultSerializer, ClientBulkSerializer
from apps.clients.filters import client_filter, filter_spec_with_segment
from apps.clients.models import ClientSource
from apps.clients.serializers import ClientSerializer, ClientSourceSerializer, ClientWriteSerializer


class ClientMergeSerializer(serializers.Serializer):
    other = serializers.IntegerField(min_value=1)


class ClientViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ClientSerializer
    ordering_fields = ["created_at", "updated_at", "surname", "company_name"]

    def get_queryset(self):
        queryset = selectors.client_list_visible_to(self.request.user)
        if self.action != "list":
            return queryset
        spec, _segment = filter_spec_with_segment(self.request.user, self.request.query_params)
        queryset = client_filter(queryset, spec)
        search = spec.get("search", "")
        if search.strip():
            queryset = selectors.client_search(queryset, search[:100])
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="Any part of a name, e-mail, phone digits or tax id"),
            OpenApiParameter("segment", int, description="A saved segment's id: its filters apply too"),
            OpenApiParameter("kind", str, enum=["person", "company"]),
            OpenApiParameter("owner", int, many=True),
            OpenApiParameter("source", int, many=True),
            OpenApiParameter("tags", str, many=True, description="Any of these tags"),
            OpenApiParameter("category", int, many=True, description="In any of these categories"),
            OpenApiParameter("created_after", str), OpenApiParameter("created_before", str),
            OpenApiParameter("birthday_month", int),
            OpenApiParameter("consent_email", bool), OpenApiParameter("consent_sms", bool),
            OpenApiParameter("has_phone", bool), OpenApiParameter("has_email", bool),
            OpenApiParameter("won_amount_gte", str, description="Sum of won deals at least"),
            OpenApiParameter("won_amount_lte", str), OpenApiParameter("deals_won_gte", int),
            OpenApiParameter("last_contact_after", str), OpenApiParameter("last_contact_before", str),
            OpenApiParameter("no_contact_days", int, description="No appeal for this many days (or never)"),
            OpenApiParameter("custom.<key>", str, description="A custom field's value; custom.<key>.gte / .lte for numbers and dates"),
        ]
    )
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

    @extend_schema(request=ClientBulkSerializer, responses={200: ClientBulkResultSerializer, 202: ClientBulkResultSerializer})
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Tag, categorize, give to an owner (managers) or export a selection: `client_ids` (at most
        5,000, all visible to you) or `filters`. All or nothing; export answers 202 with the export."""
        from apps.clients.bulk import client_bulk_apply
        from apps.clients.exports.serializers import ClientExportSerializer

        data = ClientBulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = client_bulk_apply(
            actor=request.user, action=data.validated_data["action"], client_ids=data.validated_data.get("client_ids"),
            filters=data.validated_data.get("filters"), value=data.value,
        )
        if "export" in result:
            body = {**result, "export": ClientExportSerializer(result["export"], context={"request": request}).data}
            return Response(body, status=status.HTTP_202_ACCEPTED)
        return Response(result)

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

"""Deals API. Lists are filtered in the database to what the user may see; others are 404."""
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from apps.deals import selectors, services
from apps.deals.filters import DealFilter
from apps.deals.serializers import DealCreateSerializer, DealFieldsSerializer, DealSerializer, MoveSerializer, VisitSerializer
from workflows.models import Stage

MOVE_FIELD_NAMES = set(DealFieldsSerializer().fields)


def move_fields(raw: dict, request=None) -> dict:
    """Validate the fields a move supplies: deal fields, or "data.<name>" entries of the deal's data."""
    plain = {k: v for k, v in raw.items() if not k.startswith("data.")}
    data = DealFieldsSerializer(data=plain, partial=True, context={"request": request})
    data.is_valid(raise_exception=True)
    extras = {k: v for k, v in raw.items() if k.startswith("data.")}
    if extras:
        DealFieldsSerializer(data={"data": {k[5:]: v for k, v in extras.items()}}, partial=True).is_valid(raise_exception=True)
    return {**data.validated_data, **extras}


class DealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DealSerializer
    filterset_class = DealFilter
    ordering_fields = ["created_at", "updated_at", "amount", "current_visit__due_at", "title"]

    def get_queryset(self):
        return selectors.deal_list_visible_to(self.request.user).select_related("version")

    @extend_schema(request=DealCreateSerializer, responses={201: DealSerializer})
    def create(self, request):
        data = DealCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        deal = services.deal_create(pipeline=fields.pop("pipeline"), title=fields.pop("title"), actor=request.user, **fields)
        return Response(DealSerializer(self.get_queryset().get(pk=deal.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DealFieldsSerializer, responses=DealSerializer)
    def partial_update(self, request, pk=None):
        deal = self.get_object()
        data = DealFieldsSerializer(data=request.data, partial=True, context={"request": request})
        data.is_valid(raise_exception=True)
        services.deal_update(deal=deal, actor=request.user, **data.validated_data)
        return Response(DealSerializer(self.get_queryset().get(pk=deal.pk)).data)

    @extend_schema(request=MoveSerializer, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move to another stage. Supply the stage's required fields in `fields` (or at the top level)."""
        deal = self.get_object()
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        raw = dict(data.validated_data["fields"])
        raw.update({k: v for k, v in request.data.items() if k in MOVE_FIELD_NAMES or str(k).startswith("data.")})
        stage = Stage.objects.filter(pk=data.validated_data["stage"], version__status__in=["published", "retired"]).first()
        if stage is None:
            raise ValidationError({"stage": [ErrorDetail("Unknown stage.", code="not_found")]})
        services.deal_move(
            deal=deal,
            to_stage=stage,
            actor=request.user,
            fields=move_fields(raw, request),
            note=data.validated_data["note"],
            expected_stage_id=data.validated_data["expected_stage"],
        )
        return Response(DealSerializer(self.get_queryset().get(pk=deal.pk)).data)

    @extend_schema(responses=VisitSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        deal = self.get_object()
        visits = deal.visits.select_related("stage").order_by("pk")
        return Response(VisitSerializer(visits, many=True).data)

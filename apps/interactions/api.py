"""Appeals API and a client's timeline. Lists are filtered in the database to what the user may see; others are 404."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.clients.selectors import client_visible_or_404
from apps.clients.services import ClientInvalid
from apps.clients.timeline import client_timeline, client_totals
from apps.interactions import selectors, services
from apps.interactions.filters import InteractionFilter
from apps.interactions.serializers import DecideSerializer, InteractionRegisterSerializer, InteractionSerializer


class InteractionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = InteractionSerializer
    filterset_class = InteractionFilter
    ordering_fields = ["occurred_at", "created_at"]

    def get_queryset(self):
        return selectors.interaction_list_visible_to(self.request.user)

    @extend_schema(request=InteractionRegisterSerializer, responses={201: InteractionSerializer})
    def create(self, request):
        """Register an appeal: of an existing `client` (optionally updating the card), or of a `new_client`."""
        data = InteractionRegisterSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        arguments = data.service_arguments()
        try:
            interaction = services.interaction_register(actor=request.user, **arguments)
        except ClientInvalid as exc:
            # The clients service names its own fields; here they sit inside new_client / client_update.
            prefix = "new_client" if "client_fields" in arguments else "client_update"
            exc.fields = {f"{prefix}.{name}": errors for name, errors in exc.fields.items()}
            raise
        return Response(InteractionSerializer(self.get_queryset().get(pk=interaction.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecideSerializer, responses=InteractionSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """A manager's decision; completes the decision task."""
        interaction = self.get_object()
        data = DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.interaction_decide(interaction=interaction, actor=request.user, decision=data.validated_data["decision"])
        return Response(InteractionSerializer(self.get_queryset().get(pk=interaction.pk)).data)


class TimelineItemSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["interaction", "deal", "stage", "task", "attachment", "note"])
    at = serializers.DateTimeField()
    title = serializers.CharField()
    detail = serializers.CharField()
    url = serializers.CharField()
    id = serializers.IntegerField()


class TimelineSerializer(serializers.Serializer):
    totals = serializers.DictField()
    items = TimelineItemSerializer(many=True)


class _TimelineParams(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=200, required=False, default=50)
    before = serializers.DateTimeField(required=False)


class ClientTimelineView(APIView):
    """A client's appeals, deals, stage changes and tasks, newest first, with totals."""

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int, description="At most this many items (1-200, default 50)"),
            OpenApiParameter("before", str, description="Only items older than this moment (ISO 8601), for the next page"),
        ],
        responses=TimelineSerializer,
    )
    def get(self, request, pk: int):
        client = client_visible_or_404(request.user, pk)
        params = _TimelineParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        items = client_timeline(client=client, limit=params.validated_data["limit"], before=params.validated_data.get("before"))
        return Response({"totals": client_totals(client), "items": items})


"""API for people and access: tokens, users, roles, invitations. Thin: services do the work."""
from django.db.models import Count
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.permissions import IsTenantAdmin
from accounts.serializers import (
    InvitationCreateSerializer,
    InvitationSerializer,
    RoleSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserSerializer,
    UserUpdateSerializer,
)


class TokenObtainView(APIView):
    """Exchange e-mail and password for an API token (shown once)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={201: inline_serializer("TokenCreated", {"token": serializers.CharField(), "id": serializers.IntegerField(), "name": serializers.CharField()})},
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.login_attempt(email=data.validated_data["email"], password=data.validated_data["password"], request=request)
        token, key = services.token_create(user=user, name=data.validated_data["name"], actor=user)
        return Response({"token": key, "id": token.pk, "name": token.name}, status=status.HTTP_201_CREATED)


class TokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The caller's own API tokens; DELETE revokes one."""

    serializer_class = TokenSerializer
    filterset_fields = []

    def get_queryset(self):
        return selectors.token_list_for(self.request.user)

    def perform_destroy(self, instance):
        services.token_revoke(token=instance, actor=self.request.user)


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """Everyone in the company sees the team; Owners and Admins change it."""

    serializer_class = UserSerializer
    filterset_fields = ["is_active", "manager"]
    ordering_fields = ["full_name", "email", "date_joined"]

    def get_queryset(self):
        return selectors.user_list()

    @action(detail=False, methods=["get"])
    def me(self, request):
        return Response(UserSerializer(selectors.user_list().get(pk=request.user.pk)).data)

    @extend_schema(request=UserUpdateSerializer, responses=UserSerializer)
    def partial_update(self, request, pk=None):
        if not IsTenantAdmin().has_permission(request, self):
            self.permission_denied(request)
        user = self.get_object()
        data = UserUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        roles = fields.pop("roles", None)
        if fields:
            user = services.user_update(user=user, actor=request.user, **fields)
        if roles is not None:
            services.user_roles_set(user=user, roles=roles, actor=request.user)
        return Response(UserSerializer(selectors.user_list().get(pk=user.pk)).data)


class RoleViewSet(viewsets.ModelViewSet):
    serializer_class = RoleSerializer
    pagination_class = None

    def get_permissions(self):
        if self.action in {"list", "retrieve"}:
            return [permissions.IsAuthenticated()]
        return [permissions.IsAuthenticated(), IsTenantAdmin()]

    def get_queryset(self):
        return selectors.role_list().annotate(holder_count=Count("group__user"))

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.role_create(
            code=data["code"], name=data["name"], description=data.get("description", ""), actor=self.request.user
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        if "code" in data and data["code"] != serializer.instance.code:
            raise serializers.ValidationError({"code": ["A role's code cannot change."]})
        serializer.instance = services.role_update(
            role=serializer.instance, actor=self.request.user, name=data.get("name"), description=data.get("description")
        )

    def perform_destroy(self, instance):
        services.role_delete(role=instance, actor=self.request.user)


class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = InvitationSerializer
    permission_classes = [permissions.IsAuthenticated, IsTenantAdmin]
    filterset_fields = ["status"]

    def get_queryset(self):
        return selectors.invitation_list()

    @extend_schema(request=InvitationCreateSerializer, responses={201: InvitationSerializer})
    def create(self, request):
        data = InvitationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            email=data.validated_data["email"],
            full_name=data.validated_data["full_name"],
            roles=data.validated_data["roles"],
            actor=request.user,
            base_url=request.build_absolute_uri("/"),
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        invitation = services.invitation_revoke(invitation=self.get_object(), actor=request.user)
        return Response(InvitationSerializer(invitation).data)

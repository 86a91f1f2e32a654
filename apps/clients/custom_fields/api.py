"""`/api/v1/custom-fields/`: everyone of the company reads the definitions; admins change them.

Deleting deactivates: the field is hidden and the values stay on the cards.
"""
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from accounts.permissions import IsTenantAdmin
from apps.clients.custom_fields import selectors, services
from apps.clients.custom_fields.serializers import CustomFieldCreateSerializer, CustomFieldSerializer, CustomFieldUpdateSerializer


class CustomFieldViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CustomFieldSerializer
    pagination_class = None
    filterset_fields = ["is_active", "applies_to", "type"]
    ordering_fields = ["position", "key", "label"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.custom_field_list()

    def get_permissions(self):
        if self.action in {"list", "retrieve"}:
            return super().get_permissions()
        return [*super().get_permissions(), IsTenantAdmin()]

    @extend_schema(request=CustomFieldCreateSerializer, responses={201: CustomFieldSerializer})
    def create(self, request):
        data = CustomFieldCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        field = services.custom_field_create(actor=request.user, **data.validated_data)
        return Response(CustomFieldSerializer(field).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CustomFieldUpdateSerializer, responses=CustomFieldSerializer)
    def partial_update(self, request, pk=None):
        field = self.get_object()
        data = CustomFieldUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        field = services.custom_field_update(field=field, actor=request.user, **data.validated_data)
        return Response(CustomFieldSerializer(field).data)

    @extend_schema(responses={204: None}, description="Deactivate: hidden from cards and forms; values are kept.")
    def destroy(self, request, pk=None):
        services.custom_field_deactivate(field=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

"""A client's family (nested under the client) and companies with their people."""
from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from apps.clients import selectors
from apps.clients import services as services_clients
from apps.clients.models import Client, CompanyContact, FamilyMember
from apps.clients.people import services
from apps.clients.people.serializers import (
    CompanyContactSerializer,
    CompanyContactWriteSerializer,
    CompanySerializer,
    FamilyMemberSerializer,
)


class FamilyListView(generics.GenericAPIView):
    """The client's relatives (name, relation, birthday): birthdays are reminded to the client's owner."""

    serializer_class = FamilyMemberSerializer
    pagination_class = None

    def get(self, request, client_pk: int):
        client = selectors.client_visible_or_404(request.user, client_pk)
        return Response(FamilyMemberSerializer(client.family.all(), many=True).data)

    def post(self, request, client_pk: int):
        client = selectors.client_visible_or_404(request.user, client_pk)
        data = FamilyMemberSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = services.family_member_add(client=client, actor=request.user, **data.validated_data)
        return Response(FamilyMemberSerializer(member).data, status=status.HTTP_201_CREATED)


class FamilyDetailView(generics.GenericAPIView):
    serializer_class = FamilyMemberSerializer

    def _member(self, request, client_pk: int, pk: int) -> FamilyMember:
        client = selectors.client_visible_or_404(request.user, client_pk)
        member = client.family.filter(pk=pk).first()
        if member is None:
            raise Http404
        return member

    def patch(self, request, client_pk: int, pk: int):
        member = self._member(request, client_pk, pk)
        data = FamilyMemberSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        member = services.family_member_update(member=member, actor=request.user, **data.validated_data)
        return Response(FamilyMemberSerializer(member).data)

    def delete(self, request, client_pk: int, pk: int):
        services.family_member_remove(member=self._member(request, client_pk, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CompanyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Client companies the user may see, with their people and positions. Create and change a
    company through /api/v1/clients/ (kind "company"); its people are managed here."""

    serializer_class = CompanySerializer

    def get_queryset(self):
        queryset = selectors.client_list_visible_to(self.request.user).filter(kind=Client.Kind.COMPANY)
        search = self.request.query_params.get("search", "")
        if self.action == "list" and search.strip():
            queryset = selectors.client_search(queryset, search[:100])
        else:
            queryset = queryset.order_by("company_name", "id")
        # Only the people the user may see themselves: a company card must not reveal other cards.
        visible = selectors.client_list_visible_to(self.request.user).values("pk")
        people = CompanyContact.objects.filter(person__in=visible).select_related("person")
        return queryset.prefetch_related(Prefetch("people", queryset=people))

    def retrieve(self, request, *args, **kwargs):
        company = self.get_object()
        services_clients.client_view_record(client=company, actor=request.user)
        return Response(self.get_serializer(company).data)

    @extend_schema(parameters=[OpenApiParameter("search", str, description="Any part of the name, tax id, phone digits or e-mail")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=CompanyContactWriteSerializer, responses={201: CompanyContactSerializer})
    @action(detail=True, methods=["post"])
    def people(self, request, pk=None):
        """Add a person (an existing person card the user can see) with a position; again to change it."""
        company = self.get_object()
        data = CompanyContactWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person = selectors.client_list_visible_to(request.user).filter(pk=data.validated_data["person"]).first()
        if person is None:
            raise ValidationError({"person": [ErrorDetail("Unknown client.", code="not_found")]})
        contact = services.company_contact_set(
            company=company, person=person, actor=request.user,
            position=data.validated_data["position"], is_primary=data.validated_data["is_primary"],
        )
        return Response(CompanyContactSerializer(contact).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"people/(?P<contact_pk>\d+)")
    def person_remove(self, request, pk=None, contact_pk=None):
        company = self.get_object()
        visible = selectors.client_list_visible_to(request.user).values("pk")
        contact = company.people.filter(pk=contact_pk, person__in=visible).first()
        if contact is None:
            raise Http404
        services.company_contact_remove(contact=contact, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

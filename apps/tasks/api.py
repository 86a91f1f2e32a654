import django_filters
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from apps.api.filters import StrictBooleanFilter
from apps.deals.serializers import MoveSerializer
from apps.tasks import selectors, services
from apps.tasks.models import Task
from apps.tasks.serializers import TaskSerializer, TaskWriteSerializer
from workflows.models import Stage


class TaskFilter(django_filters.FilterSet):
    assignee = django_filters.NumberFilter()
    deal = django_filters.NumberFilter()
    pipeline = django_filters.NumberFilter()
    stage = django_filters.NumberFilter()
    status = django_filters.ChoiceFilter(choices=Task.Status.choices)
    overdue = StrictBooleanFilter(method="filter_overdue")
    mine = StrictBooleanFilter(method="filter_mine")
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")
    due_after = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")

    class Meta:
        model = Task
        fields = []

    def filter_overdue(self, queryset, name, value):
        condition = Q(status=Task.Status.OPEN, due_at__lt=timezone.now())
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_mine(self, queryset, name, value):
        return queryset.filter(assignee=self.request.user) if value else queryset


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    ordering_fields = ["due_at", "created_at", "priority"]

    def get_queryset(self):
        return selectors.task_list_visible_to(self.request.user)

    @extend_schema(request=TaskWriteSerializer, responses={201: TaskSerializer})
    def create(self, request):
        data = TaskWriteSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        task = services.task_create(actor=request.user, **data.validated_data)
        return Response(TaskSerializer(self.get_queryset().get(pk=task.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TaskWriteSerializer, responses=TaskSerializer)
    def partial_update(self, request, pk=None):
        task = self.get_object()
        data = TaskWriteSerializer(data=request.data, partial=True, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = {k: v for k, v in data.validated_data.items() if k in services.EDITABLE_FIELDS}
        services.task_update(task=task, actor=request.user, **fields)
        return Response(TaskSerializer(self.get_queryset().get(pk=task.pk)).data)

    def _status(self, request, value):
        task = services.task_set_status(task=self.get_object(), actor=request.user, status=value)
        return Response(TaskSerializer(self.get_queryset().get(pk=task.pk)).data)

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._status(request, Task.Status.DONE)

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._status(request, Task.Status.CANCELED)

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._status(request, Task.Status.OPEN)

    @extend_schema(request=MoveSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        task = self.get_object()
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stage = Stage.objects.filter(pk=data.validated_data["stage"]).first()
        if stage is None or task.version_id is None:
            raise ValidationError({"stage": [ErrorDetail("Unknown stage.", code="not_found")]})
        services.task_move(task=task, to_stage=stage, actor=request.user, note=data.validated_data["note"],
                           expected_stage_id=data.validated_data["expected_stage"])
        return Response(TaskSerializer(self.get_queryset().get(pk=task.pk)).data)

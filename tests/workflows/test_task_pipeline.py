"""Tasks moving through a task pipeline with the same engine: deadlines, assignment, closing."""
import pytest
from django_tenants.utils import schema_context

from apps.tasks.models import Task
from apps.tasks.services import task_create, task_move, task_set_status
from apps.api.errors import DomainError
from workflows.services import engine
from workflows.services.definitions import pipeline_create
from tests.conftest import stages_of

DOC = {
    "name": "Repairs",
    "kind": "task",
    "stages": [
        {"key": "todo", "name": "To do", "sla": {"minutes": 120}},
        {"key": "doing", "name": "In progress", "responsible_role": "installer", "assignment": "least_loaded",
         "sla": {"minutes": 240}, "required_fields": ["description"]},
        {"key": "done", "name": "Done", "kind": "won"},
    ],
    "roles": [{"code": "installer", "name": "Installer"}],
}


@pytest.mark.django_db
def test_a_task_moves_through_its_pipeline(tenant_a, owner_of, make_user):
    owner = owner_of(tenant_a)
    with schema_context(tenant_a.slug):
        pipeline = pipeline_create(document=DOC, actor=owner, publish=True)
    fixer = make_user(tenant_a, roles=["installer"])
    with schema_context(tenant_a.slug):
        s = stages_of(pipeline)
        task = task_create(title="Fix the handle", actor=owner, pipeline=pipeline)
        assert task.stage.key == "todo" and task.due_at == task.current_visit.due_at is not None
        with pytest.raises(engine.RequiredFieldsMissing):
            task_move(task=task, to_stage=s["doing"], actor=owner)
        task_move(task=task, to_stage=s["doing"], actor=owner, fields={"description": "Kitchen, 2nd floor"})
        task.refresh_from_db()
        assert task.assignee_id in {fixer.pk} | set(
            __import__("accounts.models", fromlist=["User"]).User.objects.filter(groups__role__code="installer").values_list("pk", flat=True)
        )
        with pytest.raises(DomainError):
            task_set_status(task=task, actor=owner, status=Task.Status.DONE)  # pipeline tasks move by stage
        task_move(task=task, to_stage=s["done"], actor=owner)
        task.refresh_from_db()
        assert task.status == Task.Status.DONE and task.completed_at is not None

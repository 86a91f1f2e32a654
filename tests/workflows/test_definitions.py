"""Definitions: validation with clear errors, versions frozen at publish, export/import, diffs, migration."""
import copy

import pytest
from django_tenants.utils import schema_context

from apps.audit.models import AuditEvent
from apps.deals.services import deal_create, deal_move
from workflows import documents
from workflows.blueprints import BLUEPRINTS, blueprint_document
from workflows.models import PipelineVersion
from workflows.services import definitions
from tests.conftest import stages_of


@pytest.mark.django_db
@pytest.mark.parametrize("code", list(BLUEPRINTS))
def test_every_builtin_template_installs_and_publishes(tenant_a, owner_of, code):
    with schema_context(tenant_a.slug):
        pipeline = definitions.pipeline_install_blueprint(code=code, actor=owner_of(tenant_a))
        assert pipeline.versions.filter(status="published").count() == 1
        assert pipeline.versions.filter(status="draft").count() == 1
        assert len(stages_of(pipeline)) == len(BLUEPRINTS[code][1]["stages"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, first_stage, first_task",
    [("uk", "Уточнення заявки", "Зателефонувати клієнтові й уточнити заявку"), ("ru", "Уточнение заявки", "Позвонить клиенту и уточнить заявку")],
)
def test_a_template_installs_in_the_language_of_whoever_installs_it(tenant_b, owner_of, language, first_stage, first_task):
    from django.utils import translation

    with translation.override(language), schema_context(tenant_b.slug):
        pipeline = definitions.pipeline_install_blueprint(code="window-installation", actor=owner_of(tenant_b))
        stages = sorted(stages_of(pipeline).values(), key=lambda stage: stage.position)
        assert stages[0].name == first_stage
        assert stages[0].automations.get().title == first_task
        assert pipeline.name != "Window installation"


@pytest.mark.django_db
def test_window_template_has_the_agreed_path_and_roles(tenant_a, window_pipeline):
    from accounts.models import Role

    with schema_context(tenant_a.slug):
        keys = [s.key for s in sorted(stages_of(window_pipeline).values(), key=lambda s: s.position)]
        assert keys[:14] == [
            "clarify", "assign-measurer", "schedule-measurement", "measurement", "price-calculation", "contract-signed",
            "production-order", "assign-master", "manufacturing", "assign-installer", "schedule-installation",
            "delivery", "installation", "won",
        ]
        assert {"measurer", "master", "installer", "manager"} <= set(Role.objects.values_list("code", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda d: d["stages"].append(copy.deepcopy(d["stages"][0])), "stages.16.key"),
        (lambda d: d["stages"][2].update(responsible_role="astronaut"), "stages.2.responsible_role"),
        (lambda d: d["stages"][0].update(required_fields=["shoe_size"]), "stages.0.required_fields"),
        (lambda d: d["stages"][0].update(sla={"minutes": -5}), "stages.0.sla.minutes"),
        (lambda d: d["stages"][14].update(sla={"minutes": 60}), "stages.14.sla"),
        (lambda d: d["stages"][0].update(kind="won"), "stages.0.kind"),
        (lambda d: d["stages"][1].update(assignment="round_robin", responsible_role=None), "stages.1.assignment"),
        (lambda d: d.update(transitions=[{"from": "clarify", "to": "nowhere"}]), "transitions.0.to"),
        (lambda d: d.update(stages=[]), "stages"),
        (lambda d: d.update(transition_mode="sideways"), "transition_mode"),
        (lambda d: d.pop("name"), "name"),
    ],
)
def test_invalid_definitions_are_refused_naming_the_field(tenant_a, owner_of, mutate, field):
    doc = blueprint_document("window-installation")
    mutate(doc)
    with schema_context(tenant_a.slug):
        with pytest.raises(documents.DefinitionInvalid) as error:
            definitions.pipeline_create(document=doc, actor=owner_of(tenant_a))
    assert field in error.value.fields, error.value.fields


@pytest.mark.django_db
def test_export_then_import_gives_the_same_definition(tenant_a, window_pipeline, owner_of):
    with schema_context(tenant_a.slug):
        exported = definitions.pipeline_export(window_pipeline)
        copy_ = definitions.pipeline_create(document=exported, actor=owner_of(tenant_a), publish=True)
        again = definitions.pipeline_export(copy_)
    assert documents.document_diff(exported, again) == {}
    assert exported["format"] == "crm.pipeline/1"


@pytest.mark.django_db
def test_published_versions_are_frozen_and_live_deals_keep_their_version(tenant_a, window_pipeline, owner_of):
    owner = owner_of(tenant_a)
    with schema_context(tenant_a.slug):
        deal = deal_create(pipeline=window_pipeline, title="Old path", actor=owner, client_phone="+380501112233")
        v1 = deal.version
        draft = definitions.pipeline_export(window_pipeline, draft=True)
        draft["stages"][0]["sla"]["minutes"] = 30
        draft["stages"].insert(1, {"key": "qualify", "name": "Qualify", "kind": "open"})
        definitions.pipeline_draft_replace(pipeline=window_pipeline, document=draft, actor=owner)
        assert v1.stages.get(key="clarify").sla_minutes == 240, "the published version did not change"

        v2 = definitions.pipeline_publish(pipeline=window_pipeline, actor=owner)
        v1.refresh_from_db()
        assert v1.status == PipelineVersion.Status.RETIRED and v2.number == 2
        new_deal = deal_create(pipeline=window_pipeline, title="New path", actor=owner, client_phone="+380501112233")
        assert new_deal.version_id == v2.pk and new_deal.stage.sla_minutes == 30
        deal.refresh_from_db()
        assert deal.version_id == v1.pk
        # The old deal still moves along the old version's stages.
        deal_move(deal=deal, to_stage=v1.stages.get(key="assign-measurer"), actor=owner)

        changed = AuditEvent.objects.filter(action="pipeline.draft_changed", target_id=str(window_pipeline.pk)).get()
        assert changed.changes["stages_added"] == ["qualify"]
        assert changed.changes["stages_changed"]["clarify"]["sla"][1]["minutes"] == 30
        assert AuditEvent.objects.filter(action="pipeline.published", changes__version=2).exists()


@pytest.mark.django_db
def test_moving_live_deals_to_a_new_version_after_a_dry_run(tenant_a, window_pipeline, owner_of):
    owner = owner_of(tenant_a)
    with schema_context(tenant_a.slug):
        deal = deal_create(pipeline=window_pipeline, title="Migrating", actor=owner, client_phone="+380501112233")
        draft = definitions.pipeline_export(window_pipeline, draft=True)
        draft["stages"][0]["key"] = "intake"  # renamed stage: needs a mapping
        definitions.pipeline_draft_replace(pipeline=window_pipeline, document=draft, actor=owner)
        definitions.pipeline_publish(pipeline=window_pipeline, actor=owner)

        plan = definitions.pipeline_migrate_items(pipeline=window_pipeline, actor=owner, dry_run=True)
        assert plan["unmapped"] == [{"version": 1, "stage": "clarify", "items": 1}]
        with pytest.raises(documents.DefinitionInvalid):
            definitions.pipeline_migrate_items(pipeline=window_pipeline, actor=owner, dry_run=False)
        deal.refresh_from_db()
        assert deal.version.number == 1, "a refused migration moves nothing"

        report = definitions.pipeline_migrate_items(pipeline=window_pipeline, actor=owner, mapping={"clarify": "intake"}, dry_run=False)
        assert report["moves"][0]["to_stage"] == "intake" and report["items"] == 1
        deal.refresh_from_db()
        assert deal.version.number == 2 and deal.stage.key == "intake"
        assert deal.current_visit.entered_at == deal.visits.order_by("pk").first().entered_at, "the clock is not reset"
        assert AuditEvent.objects.filter(action="deal.version_migrated", target_id=str(deal.pk)).exists()

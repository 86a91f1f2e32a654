"""Pipeline definitions: create and import, edit the draft, publish versions, move live items to a
newer version. Every change is audited with its diff."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.services import role_create
from apps.api.errors import Conflict
from apps.audit.services import audit_record
from workflows import documents
from workflows.models import Pipeline, PipelineVersion, Stage, StageAutomation, Transition
from workflows.selectors import version_draft, version_published_latest


def _validate(document) -> dict:
    return documents.validate_document(
        document,
        known_roles=set(Role.objects.values_list("code", flat=True)),
        known_users={email.lower() for email in User.objects.filter(is_active=True).values_list("email", flat=True)},
    )


def _ensure_roles(doc: dict, actor) -> None:
    existing = set(Role.objects.values_list("code", flat=True))
    for role in doc["roles"]:
        if role["code"] not in existing:
            role_create(code=role["code"], name=role["name"], actor=actor)


def _write_version(version: PipelineVersion, doc: dict) -> None:
    """Create the stages, automations and transitions of `doc` in an empty version."""
    roles = {role.code: role for role in Role.objects.all()}
    users = {user.email.lower(): user for user in User.objects.filter(is_active=True)}
    by_key = {}
    for position, spec in enumerate(doc["stages"]):
        sla = spec.get("sla") or {}
        escalation = spec.get("escalation") or {}
        stage = Stage.objects.create(
            version=version,
            key=spec["key"],
            name=spec["name"],
            position=position,
            kind=spec["kind"],
            responsible_role=roles.get(spec.get("responsible_role") or ""),
            assignment=spec["assignment"],
            fixed_assignee=users.get((spec.get("fixed_assignee") or "").lower()),
            sla_minutes=sla.get("minutes"),
            sla_business_time=sla.get("business_time", True),
            warn_percent=sla.get("warn_percent", 80),
            escalation_levels=escalation.get("levels", 1),
            escalation_every_minutes=escalation.get("every_minutes"),
            required_fields=list(spec.get("required_fields", [])),
            skippable=spec.get("skippable", True),
        )
        stage.entry_roles.set([roles[code] for code in spec.get("entry_roles", [])])
        StageAutomation.objects.bulk_create(
            [
                StageAutomation(
                    stage=stage,
                    position=index,
                    action=a["action"],
                    title=a["title"],
                    description=a.get("description", ""),
                    role=roles.get(a.get("role") or ""),
                    target=a.get("target", StageAutomation.Target.RESPONSIBLE),
                    due_offset_minutes=a.get("due_offset_minutes"),
                    priority=a.get("priority", "normal"),
                )
                for index, a in enumerate(spec.get("automations", []))
            ]
        )
        by_key[stage.key] = stage
    for spec in doc["transitions"]:
        source = spec.get("from_", spec.get("from"))
        transition = Transition.objects.create(version=version, from_stage=by_key[source], to_stage=by_key[spec["to"]])
        transition.allowed_roles.set([roles[code] for code in spec.get("roles", [])])


@transaction.atomic
def pipeline_create(*, document, actor, template_code: str = "", publish: bool = False) -> Pipeline:
    """Create a pipeline from a definition document (import, templates, the editor's "new")."""
    from billing.services import plan_limit_check

    plan_limit_check("pipelines")
    doc = _validate(document)
    _ensure_roles(doc, actor)
    pipeline = Pipeline.objects.create(name=doc["name"], kind=doc["kind"], description=doc["description"], template_code=template_code)
    draft = PipelineVersion.objects.create(pipeline=pipeline, number=1, transition_mode=doc["transition_mode"])
    _write_version(draft, doc)
    audit_record(
        action="pipeline.created",
        actor=actor,
        target=pipeline,
        changes={"template": template_code, **documents.document_diff(None, documents.jsonable(doc))},
    )
    if publish:
        pipeline_publish(pipeline=pipeline, actor=actor)
    return pipeline


def _lock(pipeline: Pipeline) -> Pipeline:
    return Pipeline.objects.select_for_update().get(pk=pipeline.pk)


def _draft_for_edit(pipeline: Pipeline) -> PipelineVersion:
    draft = version_draft(pipeline)
    if draft is None:
        published = version_published_latest(pipeline)
        number = (pipeline.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        draft = PipelineVersion.objects.create(
            pipeline=pipeline, number=number, transition_mode=published.transition_mode if published else "forward_only"
        )
        if published:
            _write_version(draft, _validate(documents.document_of(published)))
    return draft


@transaction.atomic
def pipeline_draft_replace(*, pipeline: Pipeline, document, actor) -> PipelineVersion:
    """Replace the draft with `document`. Published versions never change."""
    pipeline = _lock(pipeline)
    draft = _draft_for_edit(pipeline)
    before = documents.document_of(draft)
    doc = _validate(document)
    if doc["kind"] != pipeline.kind:
        raise documents.DefinitionInvalid(_("A pipeline's kind cannot change."), fields={"kind": [_("Keep %s.") % pipeline.kind]})
    _ensure_roles(doc, actor)
    draft.transitions.all().delete()
    draft.stages.all().delete()
    draft.transition_mode = doc["transition_mode"]
    draft.save(update_fields=["transition_mode"])
    pipeline.name, pipeline.description = doc["name"], doc["description"]
    pipeline.save(update_fields=["name", "description"])
    _write_version(draft, doc)
    changes = documents.document_diff(before, documents.jsonable(doc))
    if changes:
        audit_record(action="pipeline.draft_changed", actor=actor, target=pipeline, changes={"version": draft.number, **changes})
    return draft


@transaction.atomic
def pipeline_publish(*, pipeline: Pipeline, actor) -> PipelineVersion:
    """Freeze the draft as the version new items start on; open a new draft copied from it."""
    pipeline = _lock(pipeline)
    draft = version_draft(pipeline)
    if draft is None:
        raise Conflict(_("There is no draft to publish; change the pipeline first."), code="nothing_to_publish")
    document = documents.document_of(draft)
    _validate(document)  # roles or users may have gone since the draft was written
    previous = version_published_latest(pipeline)
    before = documents.document_of(previous) if previous else None
    if previous:
        previous.status = PipelineVersion.Status.RETIRED
        previous.save(update_fields=["status"])
    draft.status = PipelineVersion.Status.PUBLISHED
    draft.published_at = timezone.now()
    draft.published_by = actor if getattr(actor, "is_authenticated", False) else None
    draft.save(update_fields=["status", "published_at", "published_by"])
    successor = PipelineVersion.objects.create(pipeline=pipeline, number=draft.number + 1, transition_mode=draft.transition_mode)
    _write_version(successor, _validate(document))
    audit_record(
        action="pipeline.published",
        actor=actor,
        target=pipeline,
        changes={"version": draft.number, **documents.document_diff(before, document)},
    )
    return draft


@transaction.atomic
def pipeline_archive(*, pipeline: Pipeline, actor) -> Pipeline:
    pipeline = _lock(pipeline)
    if pipeline.archived_at is None:
        pipeline.archived_at = timezone.now()
        pipeline.save(update_fields=["archived_at"])
        audit_record(action="pipeline.archived", actor=actor, target=pipeline)
    return pipeline


def pipeline_export(pipeline: Pipeline, *, draft: bool = False) -> dict:
    version = version_draft(pipeline) if draft else (version_published_latest(pipeline) or version_draft(pipeline))
    return documents.document_of(version)


def pipeline_install_blueprint(*, code: str, actor) -> Pipeline:
    """Install a built-in template, published and ready for deals."""
    from workflows.blueprints import BLUEPRINTS, blueprint_document

    if code not in BLUEPRINTS:
        raise documents.DefinitionInvalid(_("Unknown template."), fields={"template": [_("Unknown template: %s") % code]})
    return pipeline_create(document=blueprint_document(code), actor=actor, template_code=code, publish=True)


# ------------------------------------------------------------------------------
# Moving live items to a newer version
# ------------------------------------------------------------------------------
def _open_items(pipeline: Pipeline, target: PipelineVersion):
    from apps.deals.models import Deal
    from apps.tasks.models import Task

    if pipeline.kind == Pipeline.Kind.DEAL:
        return Deal.objects.filter(pipeline=pipeline, outcome=Deal.Outcome.OPEN).exclude(version=target)
    return Task.objects.filter(pipeline=pipeline, status=Task.Status.OPEN).exclude(version=target)


def pipeline_migration_plan(*, pipeline: Pipeline, mapping: dict | None = None, to_version: PipelineVersion | None = None) -> dict:
    """What moving every open item to the latest published version would do (a dry run).

    `mapping` maps old stage keys to new ones; unmapped stages keep their key when the new
    version has it. Stages with no target are listed in `unmapped`; nothing moves while any is.
    """
    target = to_version or version_published_latest(pipeline)
    if target is None or target.status != PipelineVersion.Status.PUBLISHED:
        raise Conflict(_("Publish a version first."), code="nothing_to_migrate")
    mapping = mapping or {}
    target_keys = {stage.key: stage for stage in target.stages.all()}
    from django.db.models import Count

    groups = (
        _open_items(pipeline, target)
        .values("version__number", "stage__key", "stage__name")
        .annotate(items=Count("pk"))
        .order_by("version__number", "stage__key")
    )
    moves, unmapped = [], []
    for group in groups:
        key = group["stage__key"]
        new_key = mapping.get(key, key if key in target_keys else None)
        if new_key not in target_keys:
            unmapped.append({"version": group["version__number"], "stage": key, "items": group["items"]})
            new_key = None
        moves.append(
            {
                "from_version": group["version__number"],
                "from_stage": key,
                "from_stage_name": group["stage__name"],
                "to_stage": new_key,
                "to_stage_name": target_keys[new_key].name if new_key else None,
                "items": group["items"],
            }
        )
    return {"to_version": target.number, "items": sum(m["items"] for m in moves), "moves": moves, "unmapped": unmapped}


@transaction.atomic
def pipeline_migrate_items(*, pipeline: Pipeline, actor, mapping: dict | None = None, dry_run: bool = True) -> dict:
    """Move open items to the latest published version, stage by mapped stage.

    The clock is not reset: each new visit keeps its original entry time and gets the new
    stage's deadline counted from it. Responsible people stay.
    """
    from workflows.selectors import calendar_for
    from workflows.services.engine import deadlines, item_of

    pipeline = _lock(pipeline)
    plan = pipeline_migration_plan(pipeline=pipeline, mapping=mapping)
    if dry_run:
        return {**plan, "dry_run": True}
    if plan["unmapped"]:
        raise documents.DefinitionInvalid(
            _("Map every stage that has open items."),
            fields={"mapping": [_("No target for: %s") % ", ".join(sorted({u["stage"] for u in plan["unmapped"]}))]},
            extra={"plan": plan},
        )
    target = version_published_latest(pipeline)
    stages = {stage.key: stage for stage in target.stages.all()}
    calendar = calendar_for(pipeline)
    now = timezone.now()
    events = []
    items = _open_items(pipeline, target).select_for_update(of=("self",)).select_related("stage", "current_visit")
    from workflows.models import StageVisit

    for obj in items:
        item = item_of(obj)
        old_visit = obj.current_visit
        new_stage = stages[(mapping or {}).get(obj.stage.key, obj.stage.key)]
        entered = old_visit.entered_at if old_visit else now
        if old_visit:
            old_visit.left_at = now
            old_visit.left_by = actor
            old_visit.note = (old_visit.note + f" [moved to version {target.number}]").strip()[:500]
            old_visit.save(update_fields=["left_at", "left_by", "note"])
        due_at, warn_at = deadlines(new_stage, calendar, entered)
        visit = StageVisit.objects.create(
            **{item.visit_field: obj},
            stage=new_stage,
            responsible_id=item.responsible_id(obj),
            entered_at=entered,
            entered_by=actor,
            due_at=due_at,
            warn_at=warn_at,
            warned_at=old_visit.warned_at if old_visit and warn_at and old_visit.warned_at else None,
            breached_at=old_visit.breached_at if old_visit and due_at and old_visit.breached_at else None,
            note=_("Moved from version %d") % (obj.version.number if hasattr(obj, "version") else 0),
        )
        old_key = obj.stage.key
        obj.version, obj.stage, obj.current_visit = target, new_stage, visit
        obj.save(update_fields=["version", "stage", "current_visit"])
        events.append({"action": f"{item.visit_field}.version_migrated", "actor": actor, "target": obj,
                       "changes": {"version": target.number, "stage": [old_key, new_stage.key]}})
        if warn_at or due_at:
            from workflows.services.engine import _lower_deadline_index_on_commit

            _lower_deadline_index_on_commit(min(m for m in (warn_at, due_at) if m))
    from apps.audit.services import audit_record_many

    audit_record_many(events)
    audit_record(action="pipeline.items_migrated", actor=actor, target=pipeline, changes={"to_version": target.number, "items": len(events)})
    return {**plan, "dry_run": False}


# ------------------------------------------------------------------------------
# Editor steps: small changes to the draft, each validated and audited like a whole replacement
# ------------------------------------------------------------------------------
def draft_edit(*, pipeline: Pipeline, actor, change) -> PipelineVersion:
    """Apply `change(document)` to the draft document and store it."""
    with transaction.atomic():
        document = documents.document_of(_draft_for_edit(_lock(pipeline)))
        change(document)
        return pipeline_draft_replace(pipeline=pipeline, document=document, actor=actor)


def _unique_key(document: dict, name: str) -> str:
    from django.utils.text import slugify

    base = slugify(name)[:50] or "stage"
    keys = {stage["key"] for stage in document["stages"]}
    key, n = base, 2
    while key in keys:
        key, n = f"{base}-{n}", n + 1
    return key


def draft_stage_add(*, pipeline: Pipeline, actor, name: str, kind: str = "open") -> PipelineVersion:
    def change(document):
        stage = {"key": _unique_key(document, name), "name": name, "kind": kind}
        # New open stages go before the closing and on-hold ones, which conventionally end the board.
        position = next((i for i, s in enumerate(document["stages"]) if s["kind"] != "open" and i > 0), len(document["stages"]))
        document["stages"].insert(position if kind == "open" else len(document["stages"]), stage)

    return draft_edit(pipeline=pipeline, actor=actor, change=change)


def draft_stage_update(*, pipeline: Pipeline, actor, key: str, values: dict) -> PipelineVersion:
    def change(document):
        stage = next((s for s in document["stages"] if s["key"] == key), None)
        if stage is None:
            raise documents.DefinitionInvalid(_("Unknown stage."), fields={"key": [_("Unknown stage.")]})
        stage.update(values)

    return draft_edit(pipeline=pipeline, actor=actor, change=change)


def draft_stage_shift(*, pipeline: Pipeline, actor, key: str, offset: int) -> PipelineVersion:
    def change(document):
        stages = document["stages"]
        index = next((i for i, s in enumerate(stages) if s["key"] == key), None)
        if index is None:
            return
        target = max(0, min(len(stages) - 1, index + offset))
        stages.insert(target, stages.pop(index))

    return draft_edit(pipeline=pipeline, actor=actor, change=change)


def draft_stage_remove(*, pipeline: Pipeline, actor, key: str) -> PipelineVersion:
    def change(document):
        document["stages"] = [s for s in document["stages"] if s["key"] != key]
        document["transitions"] = [t for t in document["transitions"] if key not in (t["from"], t["to"])]

    return draft_edit(pipeline=pipeline, actor=actor, change=change)


def draft_settings(*, pipeline: Pipeline, actor, name: str, transition_mode: str) -> PipelineVersion:
    def change(document):
        document["name"], document["transition_mode"] = name, transition_mode

    return draft_edit(pipeline=pipeline, actor=actor, change=change)

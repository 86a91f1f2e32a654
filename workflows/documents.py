"""The pipeline definition document: one JSON shape for export, import, templates and draft edits.

    {"format": "crm.pipeline/1", "name": ..., "kind": "deal", "transition_mode": "forward_only",
     "roles": [{"code": "measurer", "name": "Measurer"}],
     "stages": [{"key": "measure", "name": "Measurement", "kind": "open", "responsible_role": "measurer",
                 "assignment": "least_loaded", "sla": {"minutes": 480, "business_time": true, "warn_percent": 80},
                 "escalation": {"levels": 2, "every_minutes": 240}, "required_fields": ["client_phone"],
                 "skippable": false, "entry_roles": [], "automations": [...]}],
     "transitions": [{"from": "a", "to": "b", "roles": ["manager"]}]}

`validate_document` checks shape (DRF serializers, so errors name the field: "stages.2.sla.minutes")
and meaning (unique keys, known roles, transitions between known stages, known required fields).
"""
from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.api.errors import DomainError
from workflows.models import PipelineVersion, Stage, StageAutomation

FORMAT = "crm.pipeline/1"
DEAL_FIELDS = ("title", "client_name", "client_phone", "client_email", "amount", "currency", "expected_close_date", "close_reason")
TASK_FIELDS = ("description", "due_at", "assignee")
DATA_FIELD = re.compile(r"^data\.[a-z][a-z0-9_]{0,49}$")
MAX_STAGES = 60


class DefinitionInvalid(DomainError):
    code = "definition_invalid"
    status_code = 400


class SlaSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=60 * 24 * 365)
    business_time = serializers.BooleanField(default=True)
    warn_percent = serializers.IntegerField(min_value=1, max_value=100, default=80)


class EscalationSerializer(serializers.Serializer):
    levels = serializers.IntegerField(min_value=0, max_value=5, default=1)
    every_minutes = serializers.IntegerField(min_value=5, max_value=60 * 24 * 30, required=False, allow_null=True, default=None)


class AutomationSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=StageAutomation.Action.values)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    role = serializers.SlugField(max_length=50, required=False, allow_null=True, default=None)
    target = serializers.ChoiceField(choices=StageAutomation.Target.values, required=False, default=StageAutomation.Target.RESPONSIBLE)
    due_offset_minutes = serializers.IntegerField(min_value=0, max_value=60 * 24 * 365, required=False, allow_null=True, default=None)
    priority = serializers.ChoiceField(choices=["low", "normal", "high", "urgent"], required=False, default="normal")


class StageSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=60)
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=Stage.Kind.values, default=Stage.Kind.OPEN)
    responsible_role = serializers.SlugField(max_length=50, required=False, allow_null=True, default=None)
    assignment = serializers.ChoiceField(choices=Stage.Assignment.values, default=Stage.Assignment.KEEP)
    fixed_assignee = serializers.EmailField(required=False, allow_null=True, default=None)
    sla = SlaSerializer(required=False, allow_null=True, default=None)
    escalation = EscalationSerializer(required=False, default=dict)
    required_fields = serializers.ListField(child=serializers.CharField(max_length=60), required=False, default=list, max_length=30)
    skippable = serializers.BooleanField(default=True)
    entry_roles = serializers.ListField(child=serializers.SlugField(max_length=50), required=False, default=list, max_length=20)
    automations = AutomationSerializer(many=True, required=False, default=list)

    def validate_automations(self, value):
        if len(value) > 20:
            raise serializers.ValidationError(_("At most 20 automations per stage."))
        return value


class TransitionSerializer(serializers.Serializer):
    from_ = serializers.SlugField(max_length=60)
    to = serializers.SlugField(max_length=60)
    roles = serializers.ListField(child=serializers.SlugField(max_length=50), required=False, default=list, max_length=20)

    def to_internal_value(self, data):
        if isinstance(data, dict) and "from" in data:
            data = {**data, "from_": data["from"]}
        return super().to_internal_value(data)


class RoleSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=50)
    name = serializers.CharField(max_length=100)


class DocumentSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=[FORMAT], required=False, default=FORMAT)
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=["deal", "task"], default="deal")
    description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    transition_mode = serializers.ChoiceField(choices=PipelineVersion.TransitionMode.values, default=PipelineVersion.TransitionMode.FORWARD_ONLY)
    roles = RoleSerializer(many=True, required=False, default=list)
    stages = StageSerializer(many=True)
    transitions = TransitionSerializer(many=True, required=False, default=list)


def _errors(message: str, **fields) -> DefinitionInvalid:
    return DefinitionInvalid(message, fields={name: [ValidationError(text, code="invalid")] for name, text in fields.items()})


def validate_document(document, *, known_roles: set[str], known_users: set[str] | None = None) -> dict:
    """A clean definition document, or DefinitionInvalid naming every problem it found first."""
    if not isinstance(document, dict):
        raise _errors(_("A pipeline definition is a JSON object."), non_field_errors=_("Expected an object."))
    data = DocumentSerializer(data=document)
    if not data.is_valid():
        from apps.api.errors import flatten_fields

        raise DefinitionInvalid(_("The pipeline definition has errors."), fields=flatten_fields(data.errors))
    doc = data.validated_data
    problems: dict[str, str] = {}
    stages = doc["stages"]
    if not stages:
        problems["stages"] = _("A pipeline needs at least one stage.")
    if len(stages) > MAX_STAGES:
        problems["stages"] = _("At most %d stages.") % MAX_STAGES
    if stages and stages[0]["kind"] != Stage.Kind.OPEN:
        problems["stages.0.kind"] = _("The first stage must be an open stage.")
    roles = known_roles | {role["code"] for role in doc["roles"]}
    allowed_fields = DEAL_FIELDS if doc["kind"] == "deal" else TASK_FIELDS
    keys = set()
    for index, stage in enumerate(stages):
        prefix = f"stages.{index}"
        if stage["key"] in keys:
            problems[f"{prefix}.key"] = _("Stage keys must be unique.")
        keys.add(stage["key"])
        if stage["responsible_role"] and stage["responsible_role"] not in roles:
            problems[f"{prefix}.responsible_role"] = _("Unknown role: %s") % stage["responsible_role"]
        unknown_entry = [code for code in stage["entry_roles"] if code not in roles]
        if unknown_entry:
            problems[f"{prefix}.entry_roles"] = _("Unknown role: %s") % ", ".join(unknown_entry)
        if stage["assignment"] in (Stage.Assignment.ROUND_ROBIN, Stage.Assignment.LEAST_LOADED) and not stage["responsible_role"]:
            problems[f"{prefix}.assignment"] = _("Round-robin and least-loaded assignment need a responsible role.")
        if stage["assignment"] == Stage.Assignment.FIXED:
            if not stage["fixed_assignee"]:
                problems[f"{prefix}.fixed_assignee"] = _("Name the person (their e-mail) for a fixed assignment.")
            elif known_users is not None and stage["fixed_assignee"].lower() not in known_users:
                problems[f"{prefix}.fixed_assignee"] = _("No active user with this e-mail.")
        for name in stage["required_fields"]:
            if name not in allowed_fields and not (doc["kind"] == "deal" and DATA_FIELD.match(name)):
                problems[f"{prefix}.required_fields"] = _("Unknown field: %s") % name
        if stage["kind"] == Stage.Kind.ON_HOLD and stage["sla"]:
            problems[f"{prefix}.sla"] = _("An on-hold stage pauses the clock; it cannot have its own SLA.")
        for a_index, automation in enumerate(stage["automations"]):
            if automation["role"] and automation["role"] not in roles:
                problems[f"{prefix}.automations.{a_index}.role"] = _("Unknown role: %s") % automation["role"]
            if automation["target"] == StageAutomation.Target.ROLE and not automation["role"]:
                problems[f"{prefix}.automations.{a_index}.role"] = _("Name the role to notify.")
    seen_pairs = set()
    for index, transition in enumerate(doc["transitions"]):
        for end in ("from_", "to"):
            if transition[end] not in keys:
                problems[f"transitions.{index}.{end.rstrip('_')}"] = _("Unknown stage: %s") % transition[end]
        pair = (transition["from_"], transition["to"])
        if pair in seen_pairs or pair[0] == pair[1]:
            problems[f"transitions.{index}"] = _("Each transition once, between two different stages.")
        seen_pairs.add(pair)
        unknown = [code for code in transition["roles"] if code not in roles]
        if unknown:
            problems[f"transitions.{index}.roles"] = _("Unknown role: %s") % ", ".join(unknown)
    if doc["transition_mode"] == PipelineVersion.TransitionMode.EXPLICIT and stages and len(stages) > 1 and not doc["transitions"]:
        problems["transitions"] = _("Explicit mode needs the list of allowed transitions.")
    if problems:
        raise _errors(_("The pipeline definition has errors."), **problems)
    return doc


def document_of(version: PipelineVersion) -> dict:
    """Export a version (draft or published) as a definition document."""
    pipeline = version.pipeline
    stages = list(
        version.stages.select_related("responsible_role", "fixed_assignee").prefetch_related("entry_roles", "automations__role")
    )
    role_codes = set()
    out_stages = []
    for stage in stages:
        if stage.responsible_role:
            role_codes.add(stage.responsible_role)
        out_stages.append(
            {
                "key": stage.key,
                "name": stage.name,
                "kind": stage.kind,
                "responsible_role": stage.responsible_role.code if stage.responsible_role else None,
                "assignment": stage.assignment,
                "fixed_assignee": stage.fixed_assignee.email if stage.fixed_assignee else None,
                "sla": (
                    {"minutes": stage.sla_minutes, "business_time": stage.sla_business_time, "warn_percent": stage.warn_percent}
                    if stage.sla_minutes
                    else None
                ),
                "escalation": {"levels": stage.escalation_levels, "every_minutes": stage.escalation_every_minutes},
                "required_fields": list(stage.required_fields),
                "skippable": stage.skippable,
                "entry_roles": sorted(role.code for role in stage.entry_roles.all()),
                "automations": [
                    {
                        "action": a.action,
                        "title": a.title,
                        "description": a.description,
                        "role": a.role.code if a.role else None,
                        "target": a.target,
                        "due_offset_minutes": a.due_offset_minutes,
                        "priority": a.priority,
                    }
                    for a in stage.automations.all()
                ],
            }
        )
        role_codes.update(role for role in stage.entry_roles.all())
        role_codes.update(a.role for a in stage.automations.all() if a.role)
    transitions = [
        {"from": t.from_stage.key, "to": t.to_stage.key, "roles": sorted(r.code for r in t.allowed_roles.all())}
        for t in version.transitions.select_related("from_stage", "to_stage").prefetch_related("allowed_roles")
    ]
    return {
        "format": FORMAT,
        "name": pipeline.name,
        "kind": pipeline.kind,
        "description": pipeline.description,
        "transition_mode": version.transition_mode,
        "roles": [{"code": r.code, "name": r.name} for r in sorted(role_codes, key=lambda r: r.code) if not r.is_builtin],
        "stages": out_stages,
        "transitions": transitions,
    }


def document_diff(old: dict | None, new: dict) -> dict:
    """What changed between two documents, stage by stage (for the audit log)."""
    old = old or {"stages": [], "transitions": []}
    diff: dict = {}
    for field in ("name", "transition_mode", "description"):
        if old.get(field) != new.get(field):
            diff[field] = [old.get(field), new.get(field)]
    old_stages = {s["key"]: (i, s) for i, s in enumerate(old.get("stages", []))}
    new_stages = {s["key"]: (i, s) for i, s in enumerate(new.get("stages", []))}
    added = [k for k in new_stages if k not in old_stages]
    removed = [k for k in old_stages if k not in new_stages]
    changed = {}
    for key in new_stages.keys() & old_stages.keys():
        (old_pos, old_stage), (new_pos, new_stage) = old_stages[key], new_stages[key]
        fields = {name: [old_stage.get(name), new_stage.get(name)] for name in new_stage if old_stage.get(name) != new_stage.get(name)}
        if old_pos != new_pos:
            fields["position"] = [old_pos, new_pos]
        if fields:
            changed[key] = fields
    if added:
        diff["stages_added"] = added
    if removed:
        diff["stages_removed"] = removed
    if changed:
        diff["stages_changed"] = changed
    old_t = {(t["from"], t["to"]): t.get("roles", []) for t in old.get("transitions", [])}
    new_t = {(t["from"], t["to"]): t.get("roles", []) for t in new.get("transitions", [])}
    if old_t != new_t:
        diff["transitions"] = [sorted(f"{a}->{b}" for a, b in old_t), sorted(f"{a}->{b}" for a, b in new_t)]
    return diff


def jsonable(doc: dict) -> dict:
    """A validated document back in its JSON spelling ("from" instead of "from_")."""
    out = dict(doc)
    out["transitions"] = [{"from": t["from_"], "to": t["to"], "roles": list(t["roles"])} for t in doc["transitions"]]
    out["stages"] = [
        {**s, "sla": dict(s["sla"]) if s["sla"] else None, "escalation": dict(s["escalation"]), "automations": [dict(a) for a in s["automations"]]}
        for s in doc["stages"]
    ]
    out["roles"] = [dict(r) for r in doc["roles"]]
    return out

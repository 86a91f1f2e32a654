"""Built-in pipeline templates a tenant installs in one click or at signup.

Each is a definition document (workflows.documents); SLAs are in working minutes on the tenant's
business calendar (a working day is 8 hours = 480 minutes). Names are translatable and are
installed in the language active at install time (the installer's, or the signup page's): once
installed they are the company's own data, renamed in the editor like any other.
"""
from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

HOUR = 60
DAY = 8 * HOUR  # one working day


def _stage(key, name, role=None, sla=None, *, kind="open", assignment=None, required=(), skippable=True, warn=80,
           escalation=(1, None), automations=(), entry_roles=()):
    return {
        "key": key,
        "name": name,
        "kind": kind,
        "responsible_role": role,
        "assignment": assignment or ("least_loaded" if role else "keep"),
        "sla": {"minutes": sla, "business_time": True, "warn_percent": warn} if sla else None,
        "escalation": {"levels": escalation[0], "every_minutes": escalation[1]},
        "required_fields": list(required),
        "skippable": skippable,
        "entry_roles": list(entry_roles),
        "automations": list(automations),
    }


def _task(title, role=None, due=None, priority="normal"):
    return {"action": "create_task", "title": title, "role": role, "due_offset_minutes": due, "priority": priority}


def _notify(title, target="manager", role=None):
    return {"action": "notify", "title": title, "target": target, "role": role}


WINDOW_INSTALLATION = {
    "name": _("Window installation"),
    "kind": "deal",
    "description": _("From the first call to installed windows: measurement, calculation, contract, production, installation."),
    "transition_mode": "forward_only",
    "roles": [
        {"code": "measurer", "name": _("Measurer")},
        {"code": "master", "name": _("Production master")},
        {"code": "installer", "name": _("Installer")},
    ],
    "stages": [
        _stage("clarify", _("Needs clarification"), "manager", 4 * HOUR, required=["client_phone"],
               automations=[_task(_("Call the client and clarify the request"), "manager", 1 * HOUR, "high")]),
        _stage("assign-measurer", _("Assign measurer"), "manager", 2 * HOUR, assignment="keep"),
        _stage("schedule-measurement", _("Schedule measurement"), "measurer", 4 * HOUR,
               automations=[_task(_("Agree the measurement time with the client"), "measurer", 2 * HOUR)]),
        _stage("measurement", _("Measurement"), "measurer", 2 * DAY, assignment="keep", required=["data.measurement_date"],
               skippable=False, escalation=(2, 4 * HOUR)),
        _stage("price-calculation", _("Price calculation"), "manager", 1 * DAY, required=["data.measurements"], skippable=False),
        _stage("contract-signed", _("Contract signed"), "manager", 3 * DAY, assignment="keep",
               required=["amount", "data.contract_number"], skippable=False,
               automations=[_notify(_("Contract signed: plan production"), target="role", role="master")]),
        _stage("production-order", _("Production order"), "manager", 4 * HOUR, assignment="keep"),
        _stage("assign-master", _("Assign master"), "manager", 4 * HOUR, assignment="keep"),
        _stage("manufacturing", _("Manufacturing"), "master", 10 * DAY, skippable=False, escalation=(2, 1 * DAY)),
        _stage("assign-installer", _("Assign installer"), "manager", 4 * HOUR, assignment="keep"),
        _stage("schedule-installation", _("Schedule installation"), "installer", 1 * DAY,
               automations=[_task(_("Agree the installation date with the client"), "installer", 4 * HOUR)]),
        _stage("delivery", _("Delivery"), "installer", 2 * DAY, assignment="keep", required=["data.installation_date"]),
        _stage("installation", _("Installation"), "installer", 1 * DAY, assignment="keep", skippable=False,
               automations=[_task(_("Collect the signed acceptance certificate"), "installer", 1 * DAY)]),
        _stage("won", _("Installed"), kind="won"),
        _stage("waiting-client", _("Waiting for the client"), kind="on_hold"),
        _stage("lost", _("Lost"), kind="lost", required=["close_reason"]),
    ],
    "transitions": [],
}

BEAUTY_SALON = {
    "name": _("Salon visit"),
    "kind": "deal",
    "description": _("Booking to paid visit, with confirmations and no-shows."),
    "transition_mode": "free",
    "roles": [{"code": "stylist", "name": _("Stylist")}, {"code": "receptionist", "name": _("Receptionist")}],
    "stages": [
        _stage("booked", _("Booked"), "receptionist", 2 * HOUR, required=["client_phone"],
               automations=[_task(_("Confirm the visit by phone the day before"), "receptionist", 1 * DAY)]),
        _stage("confirmed", _("Confirmed"), "stylist", None, assignment="least_loaded"),
        _stage("in-service", _("In service"), "stylist", 3 * HOUR, assignment="keep"),
        _stage("paid", _("Paid"), kind="won", required=["amount"]),
        _stage("rescheduling", _("Rescheduling"), kind="on_hold"),
        _stage("no-show", _("No-show / cancelled"), kind="lost", required=["close_reason"]),
    ],
    "transitions": [],
}

CLINIC_PATIENT = {
    "name": _("Patient path"),
    "kind": "deal",
    "description": _("From the request to the completed treatment and follow-up."),
    "transition_mode": "forward_only",
    "roles": [{"code": "doctor", "name": _("Doctor")}, {"code": "nurse", "name": _("Nurse")}, {"code": "receptionist", "name": _("Receptionist")}],
    "stages": [
        _stage("requested", _("Appointment requested"), "receptionist", 2 * HOUR, required=["client_phone"]),
        _stage("triage", _("Triage"), "nurse", 4 * HOUR, skippable=False),
        _stage("scheduled", _("Appointment scheduled"), "receptionist", 1 * DAY, assignment="keep",
               required=["data.appointment_date"]),
        _stage("consultation", _("Consultation"), "doctor", 1 * DAY, skippable=False, escalation=(2, 4 * HOUR)),
        _stage("tests", _("Tests"), "nurse", 3 * DAY),
        _stage("treatment-plan", _("Diagnosis and treatment plan"), "doctor", 2 * DAY, assignment="keep", skippable=False),
        _stage("follow-up", _("Follow-up"), "doctor", 10 * DAY, assignment="keep",
               automations=[_task(_("Call the patient about their recovery"), "nurse", 5 * DAY)]),
        _stage("completed", _("Treatment completed"), kind="won"),
        _stage("waiting-patient", _("Waiting for the patient"), kind="on_hold"),
        _stage("cancelled", _("Cancelled"), kind="lost", required=["close_reason"]),
    ],
    "transitions": [],
}

B2B_SALE = {
    "name": _("B2B sale"),
    "kind": "deal",
    "description": _("Lead to signed contract for business customers."),
    "transition_mode": "forward_only",
    "roles": [{"code": "account-manager", "name": _("Account manager")}],
    "stages": [
        _stage("lead", _("New lead"), "account-manager", 4 * HOUR, assignment="round_robin",
               automations=[_task(_("First contact with the lead"), "account-manager", 2 * HOUR, "high")]),
        _stage("qualification", _("Qualification"), "account-manager", 2 * DAY, assignment="keep"),
        _stage("needs", _("Needs analysis"), "account-manager", 3 * DAY, assignment="keep"),
        _stage("proposal", _("Proposal sent"), "account-manager", 2 * DAY, assignment="keep", required=["amount"], skippable=False),
        _stage("negotiation", _("Negotiation"), "account-manager", 5 * DAY, assignment="keep", escalation=(2, 2 * DAY)),
        _stage("contract", _("Contract"), "manager", 3 * DAY, required=["expected_close_date"], skippable=False),
        _stage("won", _("Won"), kind="won"),
        _stage("on-hold", _("On hold"), kind="on_hold"),
        _stage("lost", _("Lost"), kind="lost", required=["close_reason"]),
    ],
    "transitions": [],
}

BLUEPRINTS = {
    "window-installation": (_("Window installation"), WINDOW_INSTALLATION),
    "beauty-salon": (_("Beauty salon visit"), BEAUTY_SALON),
    "clinic": (_("Clinic patient path"), CLINIC_PATIENT),
    "b2b-sale": (_("B2B sale"), B2B_SALE),
}


def blueprint_document(code: str) -> dict:
    """The template's document with every name in the active language, as plain JSON values."""
    return _plain(BLUEPRINTS[code][1])


def _plain(value):
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, Promise):
        return str(value)
    return value


def blueprint_choices() -> list[tuple[str, str]]:
    return [(code, label) for code, (label, _doc) in BLUEPRINTS.items()]

"""Built-in pipeline templates a tenant installs in one click or at signup.

Each is a definition document (workflows.documents); SLAs are in working minutes on the tenant's
business calendar (a working day is 8 hours = 480 minutes).
"""
from __future__ import annotations

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
    "name": "Window installation",
    "kind": "deal",
    "description": "From the first call to installed windows: measurement, calculation, contract, production, installation.",
    "transition_mode": "forward_only",
    "roles": [
        {"code": "measurer", "name": "Measurer"},
        {"code": "master", "name": "Production master"},
        {"code": "installer", "name": "Installer"},
    ],
    "stages": [
        _stage("clarify", "Needs clarification", "manager", 4 * HOUR, required=["client_phone"],
               automations=[_task("Call the client and clarify the request", "manager", 1 * HOUR, "high")]),
        _stage("assign-measurer", "Assign measurer", "manager", 2 * HOUR, assignment="keep"),
        _stage("schedule-measurement", "Schedule measurement", "measurer", 4 * HOUR,
               automations=[_task("Agree the measurement time with the client", "measurer", 2 * HOUR)]),
        _stage("measurement", "Measurement", "measurer", 2 * DAY, assignment="keep", required=["data.measurement_date"],
               skippable=False, escalation=(2, 4 * HOUR)),
        _stage("price-calculation", "Price calculation", "manager", 1 * DAY, required=["data.measurements"], skippable=False),
        _stage("contract-signed", "Contract signed", "manager", 3 * DAY, assignment="keep",
               required=["amount", "data.contract_number"], skippable=False,
               automations=[_notify("Contract signed: plan production", target="role", role="master")]),
        _stage("production-order", "Production order", "manager", 4 * HOUR, assignment="keep"),
        _stage("assign-master", "Assign master", "manager", 4 * HOUR, assignment="keep"),
        _stage("manufacturing", "Manufacturing", "master", 10 * DAY, skippable=False, escalation=(2, 1 * DAY)),
        _stage("assign-installer", "Assign installer", "manager", 4 * HOUR, assignment="keep"),
        _stage("schedule-installation", "Schedule installation", "installer", 1 * DAY,
               automations=[_task("Agree the installation date with the client", "installer", 4 * HOUR)]),
        _stage("delivery", "Delivery", "installer", 2 * DAY, assignment="keep", required=["data.installation_date"]),
        _stage("installation", "Installation", "installer", 1 * DAY, assignment="keep", skippable=False,
               automations=[_task("Collect the signed acceptance certificate", "installer", 1 * DAY)]),
        _stage("won", "Installed", kind="won"),
        _stage("waiting-client", "Waiting for the client", kind="on_hold"),
        _stage("lost", "Lost", kind="lost", required=["close_reason"]),
    ],
    "transitions": [],
}

BEAUTY_SALON = {
    "name": "Salon visit",
    "kind": "deal",
    "description": "Booking to paid visit, with confirmations and no-shows.",
    "transition_mode": "free",
    "roles": [{"code": "stylist", "name": "Stylist"}, {"code": "receptionist", "name": "Receptionist"}],
    "stages": [
        _stage("booked", "Booked", "receptionist", 2 * HOUR, required=["client_phone"],
               automations=[_task("Confirm the visit by phone the day before", "receptionist", 1 * DAY)]),
        _stage("confirmed", "Confirmed", "stylist", None, assignment="least_loaded"),
        _stage("in-service", "In service", "stylist", 3 * HOUR, assignment="keep"),
        _stage("paid", "Paid", kind="won", required=["amount"]),
        _stage("rescheduling", "Rescheduling", kind="on_hold"),
        _stage("no-show", "No-show / cancelled", kind="lost", required=["close_reason"]),
    ],
    "transitions": [],
}

CLINIC_PATIENT = {
    "name": "Patient path",
    "kind": "deal",
    "description": "From the request to the completed treatment and follow-up.",
    "transition_mode": "forward_only",
    "roles": [{"code": "doctor", "name": "Doctor"}, {"code": "nurse", "name": "Nurse"}, {"code": "receptionist", "name": "Receptionist"}],
    "stages": [
        _stage("requested", "Appointment requested", "receptionist", 2 * HOUR, required=["client_phone"]),
        _stage("triage", "Triage", "nurse", 4 * HOUR, skippable=False),
        _stage("scheduled", "Appointment scheduled", "receptionist", 1 * DAY, assignment="keep",
               required=["data.appointment_date"]),
        _stage("consultation", "Consultation", "doctor", 1 * DAY, skippable=False, escalation=(2, 4 * HOUR)),
        _stage("tests", "Tests", "nurse", 3 * DAY),
        _stage("treatment-plan", "Diagnosis and treatment plan", "doctor", 2 * DAY, assignment="keep", skippable=False),
        _stage("follow-up", "Follow-up", "doctor", 10 * DAY, assignment="keep",
               automations=[_task("Call the patient about their recovery", "nurse", 5 * DAY)]),
        _stage("completed", "Treatment completed", kind="won"),
        _stage("waiting-patient", "Waiting for the patient", kind="on_hold"),
        _stage("cancelled", "Cancelled", kind="lost", required=["close_reason"]),
    ],
    "transitions": [],
}

B2B_SALE = {
    "name": "B2B sale",
    "kind": "deal",
    "description": "Lead to signed contract for business customers.",
    "transition_mode": "forward_only",
    "roles": [{"code": "account-manager", "name": "Account manager"}],
    "stages": [
        _stage("lead", "New lead", "account-manager", 4 * HOUR, assignment="round_robin",
               automations=[_task("First contact with the lead", "account-manager", 2 * HOUR, "high")]),
        _stage("qualification", "Qualification", "account-manager", 2 * DAY, assignment="keep"),
        _stage("needs", "Needs analysis", "account-manager", 3 * DAY, assignment="keep"),
        _stage("proposal", "Proposal sent", "account-manager", 2 * DAY, assignment="keep", required=["amount"], skippable=False),
        _stage("negotiation", "Negotiation", "account-manager", 5 * DAY, assignment="keep", escalation=(2, 2 * DAY)),
        _stage("contract", "Contract", "manager", 3 * DAY, required=["expected_close_date"], skippable=False),
        _stage("won", "Won", kind="won"),
        _stage("on-hold", "On hold", kind="on_hold"),
        _stage("lost", "Lost", kind="lost", required=["close_reason"]),
    ],
    "transitions": [],
}

BLUEPRINTS = {
    "window-installation": (_("Window installation"), WINDOW_INSTALLATION),
    "beauty-salon": (_("Beauty salon visit"), BEAUTY_SALON),
    "clinic": (_("Clinic patient path"), CLINIC_PATIENT),
    "b2b-sale": (_("B2B sale"), B2B_SALE),
}


def blueprint_choices() -> list[tuple[str, str]]:
    return [(code, label) for code, (label, _doc) in BLUEPRINTS.items()]

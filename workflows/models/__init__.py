from workflows.models.calendars import BusinessCalendar, CalendarException
from workflows.models.definitions import Pipeline, PipelineVersion, Stage, StageAutomation, Transition
from workflows.models.visits import AssignmentCursor, StageVisit

__all__ = [
    "AssignmentCursor",
    "BusinessCalendar",
    "CalendarException",
    "Pipeline",
    "PipelineVersion",
    "Stage",
    "StageAutomation",
    "StageVisit",
    "Transition",
]

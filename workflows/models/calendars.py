"""A tenant's business calendars: working hours, time zone, public holidays, own exceptions."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from workflows.calendar import WEEKDAYS


def default_weekly_hours() -> dict:
    office = [["09:00", "18:00"]]
    return {day: (office if day not in ("sat", "sun") else []) for day in WEEKDAYS}


class BusinessCalendar(models.Model):
    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    # {"mon": [["09:00", "13:00"], ["14:00", "18:00"]], ..., "sun": []}; gaps are breaks.
    weekly_hours = models.JSONField(_("working hours"), default=default_weekly_hours)
    country = models.CharField(_("public holidays of"), max_length=2, blank=True, help_text=_("ISO country code"))
    subdivision = models.CharField(max_length=10, blank=True)
    is_default = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True), name="workflows_one_default_calendar")
        ]

    def __str__(self) -> str:
        return self.name


class CalendarException(models.Model):
    """The tenant's own exceptions: a closed day (no hours) or a day with special hours."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField()
    hours = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="workflows_calendar_exception_unique_day")]

    def __str__(self) -> str:
        return f"{self.date}: {self.note}"

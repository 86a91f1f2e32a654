"""Writes of the workflows app, by subject: definitions, the engine, calendars, the SLA monitor."""

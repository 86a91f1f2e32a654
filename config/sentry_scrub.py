"""Keeps personal data and secrets out of logs and Sentry events.

Applied to every log record (ScrubFilter) and every Sentry event (scrub_event): request bodies,
cookies and credentials are dropped; e-mail addresses, phone numbers and token-like strings left
in messages are masked.
"""
from __future__ import annotations

import logging
import re

_PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?i)(token|key|secret|password|authorization)(\s*[=:]\s*)\S+"), r"\1\2[secret]"),
    (re.compile(r"\b(sk|rk|whsec|pk)_(live|test)?_?[A-Za-z0-9]{8,}\b"), "[secret]"),
    # E.164-style numbers (how phones are stored) and long bare digit runs; not dates or durations.
    (re.compile(r"\+\d[\d\s()-]{7,}\d"), "[phone]"),
    (re.compile(r"(?<![\d.])\d{10,15}(?![\d.])"), "[phone]"),
]
_SENSITIVE_HEADERS = {"authorization", "cookie", "x-csrftoken", "stripe-signature", "x-forwarded-for"}


def scrub_text(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            try:
                record.msg = record.getMessage()
            except Exception:  # a malformed record is logged as it is rather than lost
                return True
            record.args = ()
        if isinstance(record.msg, str):
            record.msg = scrub_text(record.msg)
        return True


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    request = event.get("request") or {}
    request.pop("data", None)
    request.pop("cookies", None)
    request.pop("query_string", None)
    headers = request.get("headers") or {}
    for name in list(headers):
        if name.lower() in _SENSITIVE_HEADERS:
            headers[name] = "[redacted]"
    user = event.get("user")
    if user:
        event["user"] = {"id": user.get("id")} if user.get("id") else {}
    for exc in (event.get("exception") or {}).get("values") or []:
        if isinstance(exc.get("value"), str):
            exc["value"] = scrub_text(exc["value"])
        for frame in (exc.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    if isinstance(event.get("message"), str):
        event["message"] = scrub_text(event["message"])
    logentry = event.get("logentry")
    if logentry and isinstance(logentry.get("message"), str):
        logentry["message"] = scrub_text(logentry["message"])
        logentry.pop("params", None)
    for crumb in (event.get("breadcrumbs") or {}).get("values") or []:
        if isinstance(crumb.get("message"), str):
            crumb["message"] = scrub_text(crumb["message"])
        crumb.pop("data", None)
    return event

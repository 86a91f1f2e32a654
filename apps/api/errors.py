"""Domain errors and the one place that maps every error to the API's JSON shape.

Every 4xx answers:
    {"code": "validation_error", "message": "Some fields need attention.",
     "fields": {"slug": [{"code": "taken", "message": "This address is taken."}]}}
`fields` is always present (empty when no single field is to blame); nested fields are
named with dots ("phones.0.number").
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response


class DomainError(Exception):
    """A business rule said no. Services raise subclasses; the API and pages map them once."""

    code = "error"
    status_code = 400

    def __init__(self, message: str = "", *, fields: dict | None = None, code: str | None = None, extra=None):
        super().__init__(message)
        self.message = message or _("The request could not be completed.")
        self.fields = fields or {}
        if code:
            self.code = code
        self.extra = extra or {}


class NotFound(DomainError):
    code = "not_found"
    status_code = 404


class NotPermitted(DomainError):
    """The user may see the object but not do this to it (a staff member merging cards, say)."""

    code = "permission_denied"
    status_code = 403


class Conflict(DomainError):
    code = "conflict"
    status_code = 409


def error_details(exc: DomainError) -> list[str]:
    """The field messages of a service error, in order, once each: what a page shows under a form."""
    lines = []
    for errors in exc.fields.values():
        for error in errors if isinstance(errors, (list, tuple)) else [errors]:
            lines.extend(error.messages if isinstance(error, ValidationError) else [str(error)])
    return list(dict.fromkeys(line for line in lines if line))


def error_lines(exc: DomainError) -> list[str]:
    """A service error as messages for a page: its message, then each field's, once each."""
    return list(dict.fromkeys([str(exc.message), *error_details(exc)]))


def _field_items(value) -> list[dict]:
    if isinstance(value, ValidationError):
        return [{"code": e.code or "invalid", "message": " ".join(e.messages)} for e in value.error_list]
    if isinstance(value, exceptions.ErrorDetail):
        return [{"code": value.code or "invalid", "message": str(value)}]
    if isinstance(value, str):
        return [{"code": "invalid", "message": value}]
    return [{"code": "invalid", "message": str(value)}]


def flatten_fields(detail, prefix: str = "") -> dict[str, list[dict]]:
    """Turn DRF/Django error structures into {"dotted.name": [{"code", "message"}]}."""
    out: dict[str, list[dict]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors" and not prefix:
                name = "non_field_errors"
            for sub, items in flatten_fields(value, name).items():
                out.setdefault(sub, []).extend(items)
    elif isinstance(detail, (list, tuple)):
        if all(not isinstance(v, (dict, list, tuple)) for v in detail):
            for item in detail:
                out.setdefault(prefix or "non_field_errors", []).extend(_field_items(item))
        else:
            for index, value in enumerate(detail):
                if value in ({}, [], None):
                    continue
                for sub, items in flatten_fields(value, f"{prefix}.{index}" if prefix else str(index)).items():
                    out.setdefault(sub, []).extend(items)
    else:
        out.setdefault(prefix or "non_field_errors", []).extend(_field_items(detail))
    return out


def domain_fields(fields: dict) -> dict[str, list[dict]]:
    """A DomainError's fields ({name: error or [errors]}) in the API's shape."""
    out: dict[str, list[dict]] = {}
    for name, errors in fields.items():
        for error in errors if isinstance(errors, (list, tuple)) else [errors]:
            out.setdefault(name, []).extend([error] if isinstance(error, dict) else _field_items(error))
    return out


def error_body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    body = {"code": code, "message": str(message), "fields": fields or {}}
    body.update(extra)
    return body


def _from_validation_error(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {name: _field_items(ValidationError(errors)) for name, errors in exc.error_dict.items()}
    return {"non_field_errors": _field_items(exc)}


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every handled error leaves in the stable shape."""
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.message, domain_fields(exc.fields), **exc.extra), status=exc.status_code
        )
    if isinstance(exc, ValidationError):
        return Response(
            error_body("validation_error", _("Some fields need attention."), _from_validation_error(exc)),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    # Imported here: rest_framework.views loads the authentication classes, which import services.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("validation_error", _("Some fields need attention."), flatten_fields(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        message = detail if isinstance(detail, str) else _("The request could not be completed.")
        extra = {}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            extra["retry_after"] = int(exc.wait)
        body = error_body(code, message, **extra)
    response.data = body
    return response


def json_error_response(status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status_code)


# Django-level handlers (config.urls_*): the API keeps its shape even outside DRF views.
def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def handler400(request, exception=None):
    if _wants_json(request):
        return json_error_response(400, "bad_request", _("The request could not be understood."))
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def handler403(request, exception=None):
    if _wants_json(request):
        return json_error_response(403, "permission_denied", _("You do not have permission to do this."))
    from django.views.defaults import permission_denied

    return permission_denied(request, exception)


def handler404(request, exception=None):
    if _wants_json(request):
        return json_error_response(404, "not_found", _("Not found."))
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    if _wants_json(request):
        return json_error_response(500, "server_error", _("Something went wrong on our side. It has been reported."))
    from django.views.defaults import server_error

    return server_error(request)

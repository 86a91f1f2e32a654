import time

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django_tenants.utils import schema_context

from accounts.models import Invitation, User
from accounts.permissions import is_admin
from tenants.tasks import HEARTBEAT_KEY


@login_required
def home(request):
    context = {}
    if is_admin(request.user):
        context["team_size"] = User.objects.filter(is_active=True).count()
        context["pending_invitations"] = Invitation.objects.filter(status=Invitation.Status.PENDING).count()
    return render(request, "web/home.html", context)


def health(request):
    """Liveness and readiness: the database answers, the cache answers, the worker's last heartbeat."""
    checks = {}
    ok = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # health must report, never raise
        checks["database"] = "error"
        ok = False
    try:
        with schema_context("public"):
            cache.set("health:probe", 1, 10)
            heartbeat = cache.get(HEARTBEAT_KEY)
        checks["cache"] = "ok"
        checks["worker_heartbeat_age_seconds"] = round(time.time() - heartbeat, 1) if heartbeat else None
    except Exception:
        checks["cache"] = "error"
        ok = False
    return JsonResponse({"status": "ok" if ok else "error", "checks": checks}, status=200 if ok else 503)

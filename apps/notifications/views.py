from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.notifications import services
from apps.notifications.models import Notification


@login_required
def notification_list(request):
    items = Notification.objects.filter(recipient=request.user).select_related("deal", "task")[:200]
    return render(request, "notifications/list.html", {"items": items})


@login_required
@require_POST
def notifications_read(request):
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    services.notifications_mark_read(user=request.user, ids=ids)
    return redirect("notification-list")

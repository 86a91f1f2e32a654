from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.api.errors import DomainError
from apps.tasks import selectors, services
from apps.tasks.forms import TaskForm
from apps.tasks.models import Task


@login_required
def task_list(request):
    """My tasks, overdue first; a quick form to add one."""
    form = TaskForm(request.POST or None, initial={"assignee": request.user})
    if request.method == "POST" and form.is_valid():
        try:
            services.task_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Task added."))
            return redirect("task-list")
    context = {"tasks": selectors.my_tasks(request.user), "form": form, "now": timezone.now()}
    return render(request, "tasks/list.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def task_complete(request, pk):
    task = get_object_or_404(selectors.task_list_visible_to(request.user), pk=pk)
    try:
        services.task_set_status(task=task, actor=request.user, status=Task.Status.DONE)
    except DomainError as exc:
        messages.error(request, exc.message)
    if request.htmx:
        return render(request, "tasks/row_done.html", {"task": task})
    return redirect("task-list")

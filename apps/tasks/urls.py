from django.urls import path

from apps.tasks import views

urlpatterns = [
    path("tasks/", views.task_list, name="task-list"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task-complete"),
]

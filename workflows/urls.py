from django.urls import path

from workflows import views

urlpatterns = [
    path("pipelines/", views.pipelines, name="pipelines"),
    path("pipelines/install/", views.pipeline_install, name="pipeline-install"),
    path("pipelines/new/", views.pipeline_new, name="pipeline-new"),
    path("pipelines/<int:pk>/edit/", views.pipeline_edit, name="pipeline-edit"),
    path("pipelines/<int:pk>/settings/", views.pipeline_settings, name="pipeline-settings"),
    path("pipelines/<int:pk>/publish/", views.pipeline_publish, name="pipeline-publish"),
    path("pipelines/<int:pk>/stages/", views.stage_add, name="stage-add"),
    path("pipelines/<int:pk>/stages/<slug:key>/", views.stage_update, name="stage-update"),
    path("pipelines/<int:pk>/stages/<slug:key>/shift/", views.stage_shift, name="stage-shift"),
    path("pipelines/<int:pk>/stages/<slug:key>/remove/", views.stage_remove, name="stage-remove"),
]

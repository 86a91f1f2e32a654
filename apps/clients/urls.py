from django.urls import path

from apps.clients import views
from apps.clients.imports import views as import_views

urlpatterns = [
    path("clients/", views.client_list, name="client-list"),
    path("clients/new/", views.client_create, name="client-create"),
    path("clients/<int:pk>/", views.client_detail, name="client-detail"),
    path("clients/import/", import_views.import_upload, name="client-import"),
    path("clients/import/<int:pk>/", import_views.import_progress, name="client-import-progress"),
    path("clients/import/<int:pk>/columns/", import_views.import_mapping, name="client-import-mapping"),
    path("clients/import/<int:pk>/check/", import_views.import_check, name="client-import-check"),
    path("clients/import/<int:pk>/start/", import_views.import_start, name="client-import-start"),
]

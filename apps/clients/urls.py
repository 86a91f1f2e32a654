from django.urls import include, path

from apps.clients import views
from apps.clients import bulk_views
from apps.clients.attachments import views as attachment_views
from apps.clients.exports import views as export_views
from apps.clients.imports import views as import_views
from apps.clients.people import views as people_views
from apps.clients.segments import views as segment_views

urlpatterns = [
    path("clients/", views.client_list, name="client-list"),
    path("companies/", views.company_list, name="company-list"),
    path("clients/new/", views.client_create, name="client-create"),
    path("clients/<int:pk>/", views.client_detail, name="client-detail"),
    path("clients/<int:pk>/edit/", views.client_edit, name="client-edit"),
    path("clients/<int:pk>/attachments/", attachment_views.attachment_upload, name="client-attachment-upload"),
    path("clients/<int:pk>/attachments/<int:attachment_id>/", attachment_views.attachment_download, name="client-attachment-download"),
    path("clients/<int:pk>/attachments/<int:attachment_id>/delete/", attachment_views.attachment_delete, name="client-attachment-delete"),
    path("clients/<int:pk>/family/", people_views.family_add, name="client-family-add"),
    path("clients/<int:pk>/family/<int:member_id>/delete/", people_views.family_remove, name="client-family-remove"),
    path("clients/<int:pk>/people/", people_views.company_person_add, name="company-person-add"),
    path("clients/<int:pk>/people/<int:contact_id>/delete/", people_views.company_person_remove, name="company-person-remove"),
    path("clients/<int:pk>/notes/", people_views.note_add, name="client-note-add"),
    path("clients/segments/", segment_views.segment_save, name="client-segment-save"),
    path("clients/segments/<int:pk>/delete/", segment_views.segment_delete, name="client-segment-delete"),
    path("clients/categories/", segment_views.category_list, name="client-categories"),
    path("clients/categories/<int:pk>/", segment_views.category_edit, name="client-category-edit"),
    path("clients/categories/<int:pk>/recalculate/", segment_views.category_recalculate, name="client-category-recalculate"),
    path("clients/categories/<int:pk>/delete/", segment_views.category_delete, name="client-category-delete"),
    path("clients/people-picker/", people_views.person_picker, name="client-person-picker"),
    path("clients/import/", import_views.import_upload, name="client-import"),
    path("clients/import/<int:pk>/", import_views.import_progress, name="client-import-progress"),
    path("clients/import/<int:pk>/columns/", import_views.import_mapping, name="client-import-mapping"),
    path("clients/import/<int:pk>/check/", import_views.import_check, name="client-import-check"),
    path("clients/import/<int:pk>/start/", import_views.import_start, name="client-import-start"),
    path("clients/bulk/", bulk_views.bulk_apply, name="client-bulk-apply"),
    path("clients/exports/new/", export_views.export_start, name="client-export-start"),
    path("clients/exports/<int:pk>/", export_views.export_progress, name="client-export-progress"),
    path("clients/exports/<int:pk>/download/", export_views.export_download, name="client-export-file"),
    path("", include("apps.clients.custom_fields.urls")),
]

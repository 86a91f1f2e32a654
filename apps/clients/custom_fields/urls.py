from django.urls import path

from apps.clients.custom_fields import views

urlpatterns = [
    path("settings/custom-fields/", views.custom_field_settings, name="custom-fields"),
    path("settings/custom-fields/<int:pk>/", views.custom_field_edit, name="custom-field-edit"),
    path("settings/custom-fields/<int:pk>/deactivate/", views.custom_field_deactivate, name="custom-field-deactivate"),
    path("settings/custom-fields/<int:pk>/activate/", views.custom_field_activate, name="custom-field-activate"),
]

from django.urls import path

from apps.interactions import views

urlpatterns = [
    path("appeals/", views.interaction_list, name="interaction-list"),
    path("appeals/new/", views.interaction_register, name="interaction-register"),
    path("appeals/clients/", views.client_options, name="interaction-client-options"),
    path("appeals/<int:pk>/", views.interaction_detail, name="interaction-detail"),
]

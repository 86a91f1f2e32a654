from django.urls import path

from billing import views

urlpatterns = [
    path("billing/", views.billing_page, name="billing"),
    path("billing/checkout/", views.billing_checkout, name="billing-checkout"),
    path("billing/portal/", views.billing_portal, name="billing-portal"),
]

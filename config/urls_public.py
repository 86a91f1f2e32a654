"""URLs of the public site (BASE_DOMAIN): landing, signup, Stripe webhooks, operator console, health."""
from django.views.i18n import set_language
from django.contrib import admin
from django.urls import path

from apps.web.views import health
from billing.views import stripe_webhook
from tenants import api as tenants_api
from tenants import views as tenants_views

handler400 = "apps.api.errors.handler400"
handler403 = "apps.api.errors.handler403"
handler404 = "apps.api.errors.handler404"
handler500 = "apps.api.errors.handler500"

urlpatterns = [
    path("", tenants_views.landing, name="landing"),
    path("signup/", tenants_views.signup, name="signup"),
    path("api/v1/signup/", tenants_api.SignupView.as_view(), name="api-signup"),
    path("billing/stripe/webhook/", stripe_webhook, name="stripe-webhook"),
    # Until the operator console lands, operators (staff users of the public schema) edit
    # plans and look at subscriptions and Stripe events in Django's admin.
    path("operator/admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("i18n/setlang/", set_language, name="set-language"),
]

"""Operators edit plans and inspect subscriptions, Stripe events and pending Stripe calls."""
from django.contrib import admin

from billing.models import Invoice, Plan, StripeCommand, StripeEvent, Subscription


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_trial", "is_public", "price_monthly", "price_yearly", "seats", "pipelines", "active_deals", "api_access"]
    list_editable = ["is_public"]
    readonly_fields = ["stripe_product_id", "stripe_price_monthly_id", "stripe_price_yearly_id"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["tenant", "plan", "status", "quantity", "trial_ends_at", "current_period_end", "synced_at"]
    list_filter = ["status", "plan"]
    search_fields = ["tenant__schema_name", "tenant__name", "stripe_customer_id", "stripe_subscription_id"]
    readonly_fields = [f.name for f in Subscription._meta.fields if f.name not in {"plan"}]


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "type", "created", "received_at", "processed_at", "attempts", "outcome"]
    list_filter = ["type"]
    search_fields = ["event_id"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StripeCommand)
class StripeCommandAdmin(admin.ModelAdmin):
    list_display = ["id", "tenant", "kind", "status", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["status", "kind"]


admin.site.register(Invoice)

"""Billing pages on the tenant site (the owner's) and the Stripe webhook on the public site."""
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from accounts.permissions import has_role
from apps.api.errors import DomainError, error_body
from billing import selectors, services
from billing.services.webhooks import SignatureInvalid

logger = logging.getLogger(__name__)


def _owner_only(request):
    from accounts.models import Role

    return has_role(request.user, Role.Builtin.OWNER)


def _base_url(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


@login_required
def billing_page(request):
    if not _owner_only(request):
        raise Http404
    if request.GET.get("checkout") == "success":
        messages.success(request, _("Thank you! Your payment is being confirmed; this page updates as soon as Stripe tells us."))
    elif request.GET.get("checkout") == "canceled":
        messages.info(request, _("Checkout was canceled. Nothing was charged."))
    return render(request, "billing/page.html", selectors.billing_overview(request.tenant))


@login_required
def billing_checkout(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not _owner_only(request):
        raise Http404
    try:
        url = services.checkout_session_create(
            tenant=request.tenant,
            plan_code=request.POST.get("plan", ""),
            interval=request.POST.get("interval", "month"),
            email=request.user.email,
            base_url=_base_url(request),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("billing")
    return redirect(url)


@login_required
def billing_portal(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not _owner_only(request):
        raise Http404
    try:
        url = services.portal_session_create(tenant=request.tenant, base_url=_base_url(request))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("billing")
    return redirect(url)


@csrf_exempt
def stripe_webhook(request):
    """POST /billing/stripe/webhook/ on the public host. 2xx: stored (and applied or ignored);
    400: not signed by Stripe; 5xx: could not apply now, Stripe retries."""
    if request.method != "POST":
        return JsonResponse(error_body("method_not_allowed", _("Use POST.")), status=405)
    try:
        outcome = services.webhook_receive(payload=request.body, signature=request.META.get("HTTP_STRIPE_SIGNATURE", ""))
    except SignatureInvalid as exc:
        return JsonResponse(error_body(exc.code, exc.message), status=400)
    except Exception:
        # Logged with the event id by the service; Stripe retries on 5xx.
        return JsonResponse(error_body("processing_failed", "The event could not be applied now; it will be retried."), status=500)
    return HttpResponse(outcome, content_type="text/plain", status=200)

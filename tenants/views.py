"""Public-site pages: the landing page and signup."""
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.api.errors import DomainError
from tenants import services
from tenants.api import signup_rate_check, tenant_urls
from tenants.forms import SignupForm


def landing(request):
    return render(request, "tenants/landing.html")


@require_http_methods(["GET", "POST"])
def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        try:
            signup_rate_check(request)
            if form.is_valid():
                result = services.tenant_signup(**form.cleaned_data)
                # The session cookie belongs to the public host; a one-time link signs the owner
                # in on the new tenant's host.
                return redirect(tenant_urls(request, result)["login_url"])
        except DomainError as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            if not exc.fields:
                form.add_error(None, exc.message)
    return render(request, "tenants/signup.html", {"form": form}, status=400 if form.errors else 200)

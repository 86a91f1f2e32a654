"""Pages for signing in and for managing the team. Thin: services do the work."""
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.forms import (
    InvitationAcceptForm,
    InvitationForm,
    LoginForm,
    ProfileForm,
    RoleForm,
    SetPasswordForm,
    TokenForm,
    UserEditForm,
)
from accounts.models import ApiToken, Invitation, Role, User
from accounts.permissions import is_admin
from apps.api.errors import DomainError

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _form_errors(form, exc: DomainError) -> None:
    for field, errors in exc.fields.items():
        for error in errors if isinstance(errors, list) else [errors]:
            form.add_error(field if field in form.fields else None, error)
    if not exc.fields:
        form.add_error(None, exc.message)


def admin_required(view):
    """Owners and Admins only; everyone else gets a 404 as if the page did not exist."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not is_admin(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


def login_view(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_attempt(email=form.cleaned_data["email"], password=form.cleaned_data["password"], request=request)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user, backend=BACKEND)
            if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
                next_url = ""
            return redirect(next_url or "home")
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=400 if form.errors else 200)


@require_POST
def logout_view(request):
    services.logout_record(user=request.user)
    logout(request)
    return redirect("login")


def welcome(request, token):
    """The one-time link a new owner follows from signup on the public site."""
    try:
        user = services.login_link_consume(token=token)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("login")
    login(request, user, backend=BACKEND)
    messages.success(request, _("Welcome! Your CRM is ready."))
    return redirect("home")


def invitation_accept(request, token):
    try:
        invitation = services.invitation_resolve(token)
    except DomainError as exc:
        return render(request, "accounts/invitation_invalid.html", {"message": exc.message}, status=404)
    form = InvitationAcceptForm(request.POST or None, initial={"full_name": invitation.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(token=token, **form.cleaned_data)
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, _("Welcome to the team!"))
            return redirect("home")
    return render(request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}, status=400 if form.errors else 200)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset_body.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        messages.success(self.request, _("Your password is set. Sign in with it."))
        return super().form_valid(form)


# ------------------------------------------------------------------------------
# Team administration
# ------------------------------------------------------------------------------
@admin_required
def team(request):
    invite_form = InvitationForm(request.POST or None)
    if request.method == "POST" and invite_form.is_valid():
        try:
            services.invitation_create(
                email=invite_form.cleaned_data["email"],
                full_name=invite_form.cleaned_data["full_name"],
                roles=list(invite_form.cleaned_data["roles"]),
                actor=request.user,
                base_url=request.build_absolute_uri("/"),
            )
        except DomainError as exc:
            _form_errors(invite_form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invite_form.cleaned_data["email"]})
            return redirect("team")
    context = {
        "users": selectors.user_list(),
        "invitations": selectors.invitation_list().filter(status=Invitation.Status.PENDING),
        "invite_form": invite_form,
        "roles": selectors.role_list().annotate(holder_count=Count("group__user")),
        "role_form": RoleForm(),
    }
    return render(request, "accounts/team.html", context, status=400 if invite_form.errors else 200)


@admin_required
def user_edit(request, pk):
    user = get_object_or_404(selectors.user_list(), pk=pk)
    initial = {
        "full_name": user.full_name,
        "phone": user.phone,
        "manager": user.manager,
        "roles": [r.code for r in selectors.user_roles(user)],
        "is_active": user.is_active,
    }
    form = UserEditForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_update(
                user=user, actor=request.user, full_name=data["full_name"], phone=data["phone"], manager=data["manager"], is_active=data["is_active"]
            )
            services.user_roles_set(user=user, roles=[r.code for r in data["roles"]], actor=request.user)
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("team")
    return render(request, "accounts/user_edit.html", {"form": form, "member": user}, status=400 if form.errors else 200)


@admin_required
@require_POST
def invitation_revoke(request, pk):
    invitation = get_object_or_404(Invitation, pk=pk)
    try:
        services.invitation_revoke(invitation=invitation, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Invitation withdrawn."))
    return redirect("team")


@admin_required
@require_POST
def role_create(request):
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.role_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Role added."))
    else:
        messages.error(request, _("Check the role's name and code."))
    return redirect("team")


@admin_required
@require_POST
def role_delete(request, pk):
    role = get_object_or_404(Role, pk=pk)
    try:
        services.role_delete(role=role, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Role deleted."))
    return redirect("team")


# ------------------------------------------------------------------------------
# Own profile and API tokens
# ------------------------------------------------------------------------------
@login_required
def profile(request):
    user: User = request.user
    form = ProfileForm(
        request.POST or None,
        initial={"full_name": user.full_name, "phone": user.phone, "language": user.language, "time_zone": user.time_zone},
    )
    if request.method == "POST" and form.is_valid():
        services.user_update(user=user, actor=user, **form.cleaned_data)
        messages.success(request, _("Profile saved."))
        return redirect("profile")
    context = {
        "form": form,
        "token_form": TokenForm(),
        "tokens": selectors.token_list_for(user),
        "new_token": request.session.pop("new_token", None),
    }
    return render(request, "accounts/profile.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        _token, key = services.token_create(user=request.user, name=form.cleaned_data["name"], actor=request.user)
        # Shown once on the next page, then gone from the session.
        request.session["new_token"] = key
    return redirect("profile")


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.token_revoke(token=token, actor=request.user)
    messages.success(request, _("Token revoked."))
    return redirect("profile")

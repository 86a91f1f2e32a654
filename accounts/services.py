"""Writes for people and access: users, roles, invitations, tokens, logins. Each one audited."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Iterable

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from accounts.models import ApiToken, Invitation, LoginLink, Role, User
from accounts.permissions import has_role, role_codes_forget
from apps.api import ratelimit
from apps.api.errors import Conflict, DomainError, NotPermitted
from apps.audit import context
from apps.audit.services import audit_record, diff


class AccountError(DomainError):
    code = "validation_error"


class LoginFailed(DomainError):
    code = "invalid_credentials"
    status_code = 400


class LoginThrottled(DomainError):
    code = "throttled"
    status_code = 429


class LinkInvalid(DomainError):
    code = "link_invalid"
    status_code = 400


# ------------------------------------------------------------------------------
# Users and roles
# ------------------------------------------------------------------------------
def _roles_from(codes_or_roles: Iterable[str | Role]) -> list[Role]:
    items = list(codes_or_roles)
    codes = {r for r in items if isinstance(r, str)}
    roles = [r for r in items if isinstance(r, Role)]
    if codes:
        found = list(Role.objects.filter(code__in=codes))
        missing = codes - {r.code for r in found}
        if missing:
            raise AccountError(
                _("Unknown role."), fields={"roles": [ValidationError(_("Unknown role: %s") % ", ".join(sorted(missing)), code="unknown_role")]}
            )
        roles += found
    return roles


def _email_normalized(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise AccountError(_("Enter a valid e-mail address."), fields={"email": exc.error_list}) from exc
    return email


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    full_name: str,
    actor,
    phone: str = "",
    language: str = "",
    time_zone: str = "",
    manager: User | None = None,
    roles: Iterable[str | Role] = (),
) -> User:
    from billing.services import plan_limit_check, seats_sync_request

    email = _email_normalized(email)
    plan_limit_check("seats", used=User.objects.filter(is_active=True).count())
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(
            _("Someone with this e-mail already works here."),
            fields={"email": [ValidationError(_("This e-mail is already in use."), code="taken")]},
        )
    user = User(email=email, full_name=full_name.strip(), phone=phone, language=language, time_zone=time_zone, manager=manager)
    if password:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise AccountError(_("Choose a stronger password."), fields={"password": exc.error_list}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    role_list = _roles_from(roles)
    user.groups.add(*[r.group for r in role_list])
    audit_record(
        action="user.created",
        actor=actor,
        target=user,
        changes={"email": email, "full_name": user.full_name, "roles": sorted(r.code for r in role_list)},
    )
    seats_sync_request()
    return user


USER_EDITABLE_FIELDS = ("full_name", "phone", "language", "time_zone", "manager", "is_active")


@transaction.atomic
def user_update(*, user: User, actor, **fields) -> User:
    unknown = set(fields) - set(USER_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    user = User.objects.select_for_update().get(pk=user.pk)
    if "manager" in fields and fields["manager"] is not None:
        manager = fields["manager"]
        seen, current = {user.pk}, manager
        while current is not None:
            if current.pk in seen:
                raise AccountError(
                    _("A person cannot report to themselves, even through others."),
                    fields={"manager": [ValidationError(_("This would make a reporting loop."), code="cycle")]},
                )
            seen.add(current.pk)
            current = current.manager
    if fields.get("is_active") is False and user.pk == getattr(actor, "pk", None):
        raise AccountError(_("You cannot deactivate yourself."), code="self_deactivation")
    if fields.get("is_active") is False and has_role(user, Role.Builtin.OWNER):
        _ensure_another_owner(user)
    activity_changes = "is_active" in fields and bool(fields["is_active"]) != user.is_active
    if activity_changes and fields["is_active"]:
        from billing.services import plan_limit_check

        plan_limit_check("seats", used=User.objects.filter(is_active=True).count())
    before = {name: _audit_value(getattr(user, name)) for name in fields}
    for name, value in fields.items():
        setattr(user, name, value)
    user.save()
    changes = diff(before, {name: _audit_value(getattr(user, name)) for name in fields})
    if changes:
        audit_record(action="user.updated", actor=actor, target=user, changes=changes)
    if activity_changes:
        from billing.services import seats_sync_request

        seats_sync_request()
    return user


def _audit_value(value):
    return value.pk if hasattr(value, "pk") else value


def _ensure_another_owner(user: User) -> None:
    others = User.objects.filter(is_active=True, groups__role__code=Role.Builtin.OWNER).exclude(pk=user.pk)
    if not others.exists():
        raise AccountError(_("The company must keep at least one active owner."), code="last_owner")


@transaction.atomic
def user_roles_set(*, user: User, roles: Iterable[str | Role], actor) -> User:
    """Replace the roles `user` holds. Only owners grant or take away the Owner role."""
    new = {r.code: r for r in _roles_from(roles)}
    old = {r.code: r for r in Role.objects.filter(group__user=user)}
    owner_changed = (Role.Builtin.OWNER in new) != (Role.Builtin.OWNER in old)
    if owner_changed and not has_role(actor, Role.Builtin.OWNER):
        raise NotPermitted(_("Only an owner can change who is an owner."))
    if Role.Builtin.OWNER in old and Role.Builtin.OWNER not in new:
        _ensure_another_owner(user)
    added = [r for code, r in new.items() if code not in old]
    removed = [r for code, r in old.items() if code not in new]
    if not added and not removed:
        return user
    user.groups.add(*[r.group for r in added])
    user.groups.remove(*[r.group for r in removed])
    role_codes_forget(user)
    audit_record(
        action="user.roles_changed",
        actor=actor,
        target=user,
        changes={"roles": [sorted(old), sorted(new)]},
    )
    return user


@transaction.atomic
def role_create(*, code: str, name: str, actor, description: str = "") -> Role:
    code = (code or "").strip().lower()
    if Role.objects.filter(code=code).exists():
        raise Conflict(_("A role with this code exists."), fields={"code": [ValidationError(_("Taken."), code="taken")]})
    group = Group.objects.create(name=f"role:{code}")
    role = Role.objects.create(code=code, name=name.strip(), description=description, group=group)
    audit_record(action="role.created", actor=actor, target=role, changes={"code": code, "name": role.name})
    return role


@transaction.atomic
def role_update(*, role: Role, actor, name: str | None = None, description: str | None = None) -> Role:
    before = {"name": role.name, "description": role.description}
    if name is not None:
        role.name = name.strip()
    if description is not None:
        role.description = description
    role.save()
    changes = diff(before, {"name": role.name, "description": role.description})
    if changes:
        audit_record(action="role.updated", actor=actor, target=role, changes=changes)
    return role


@transaction.atomic
def role_delete(*, role: Role, actor) -> None:
    if role.is_builtin:
        raise AccountError(_("Built-in roles cannot be deleted."), code="builtin_role")
    holders = list(role.group.user_set.values_list("email", flat=True))
    audit_record(action="role.deleted", actor=actor, target=role, changes={"code": role.code, "holders": len(holders)})
    group = role.group
    role.delete()
    group.delete()


# ------------------------------------------------------------------------------
# Invitations: a signed link carrying the invitation's id and random nonce
# ------------------------------------------------------------------------------
_INVITE_SALT = "accounts.invitation"


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=_INVITE_SALT, compress=True)


def invitation_link(invitation: Invitation, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/invite/{invitation_token(invitation)}/"


@transaction.atomic
def invitation_create(*, email: str, actor, roles: Iterable[str | Role] = (), full_name: str = "", base_url: str) -> Invitation:
    from accounts.tasks import invitation_email_send
    from billing.services import plan_limit_check
    from tenants.dispatch import enqueue_on_commit

    email = _email_normalized(email)
    plan_limit_check("seats")
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(
            _("This person already has an account."),
            fields={"email": [ValidationError(_("Already a user here."), code="taken")]},
        )
    if Invitation.objects.filter(email__iexact=email, status=Invitation.Status.PENDING).exists():
        raise Conflict(
            _("An invitation to this e-mail is already waiting. Revoke it to send a new one."),
            fields={"email": [ValidationError(_("Already invited."), code="already_invited")]},
        )
    role_list = _roles_from(roles) or _roles_from([Role.Builtin.STAFF])
    if Role.Builtin.OWNER in {r.code for r in role_list} and not has_role(actor, Role.Builtin.OWNER):
        raise NotPermitted(_("Only an owner can invite another owner."))
    invitation = Invitation.objects.create(
        email=email,
        full_name=full_name.strip(),
        invited_by=actor,
        nonce=secrets.token_urlsafe(24),
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS),
    )
    invitation.roles.set(role_list)
    audit_record(
        action="invitation.created",
        actor=actor,
        target=invitation,
        changes={"email": email, "roles": sorted(r.code for r in role_list)},
    )
    enqueue_on_commit(invitation_email_send, invitation.pk, base_url)
    return invitation


def invitation_resolve(token: str) -> Invitation:
    """The pending, unexpired invitation a link names; LinkInvalid otherwise."""
    try:
        data = signing.loads(token, salt=_INVITE_SALT)
        invitation = Invitation.objects.get(pk=int(data["i"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, Invitation.DoesNotExist):
        raise LinkInvalid(_("This invitation link is not valid."))
    if not constant_time_compare(invitation.nonce, str(data.get("n", ""))):
        raise LinkInvalid(_("This invitation link is not valid."))
    if invitation.status != Invitation.Status.PENDING:
        raise LinkInvalid(_("This invitation has already been used or was withdrawn."))
    if invitation.expires_at <= timezone.now():
        raise LinkInvalid(_("This invitation has expired. Ask for a new one."))
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, full_name: str, password: str) -> User:
    invitation = invitation_resolve(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Invitation.Status.PENDING:  # accepted meanwhile by a second click
        raise LinkInvalid(_("This invitation has already been used or was withdrawn."))
    user = user_create(
        email=invitation.email,
        password=password,
        full_name=full_name or invitation.full_name or invitation.email.split("@")[0],
        roles=list(invitation.roles.all()),
        manager=None,
        actor=None,
    )
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["status", "accepted_at", "accepted_user"])
    audit_record(action="invitation.accepted", actor=user, target=invitation)
    return user


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Invitation.Status.PENDING:
        raise Conflict(_("Only a pending invitation can be revoked."), code="not_pending")
    invitation.status = Invitation.Status.REVOKED
    invitation.save(update_fields=["status"])
    audit_record(action="invitation.revoked", actor=actor, target=invitation)
    return invitation


@transaction.atomic
def invitations_expire() -> int:
    """Mark pending invitations past their expiry as expired. Safe to run any number of times."""
    due = list(
        Invitation.objects.select_for_update(skip_locked=True).filter(
            status=Invitation.Status.PENDING, expires_at__lte=timezone.now()
        )
    )
    for invitation in due:
        invitation.status = Invitation.Status.EXPIRED
        invitation.save(update_fields=["status"])
        audit_record(action="invitation.expired", target=invitation)
    return len(due)


# ------------------------------------------------------------------------------
# API tokens
# ------------------------------------------------------------------------------
def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str, actor) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it with its key, which is shown once and never stored."""
    from billing.services import plan_limit_check

    plan_limit_check("api_access")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=(name or "API token").strip()[:100], prefix=prefix, digest=_digest(secret))
    audit_record(action="token.created", actor=actor, target=token, changes={"user": user.pk, "name": token.name})
    return token, f"{prefix}.{secret}"


@transaction.atomic
def token_revoke(*, token: ApiToken, actor) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(action="token.revoked", actor=actor, target=token, changes={"user": token.user_id})
    return token


TOKEN_USE_RECORD_INTERVAL = timedelta(minutes=1)


def token_authenticate(key: str) -> tuple[User, ApiToken] | None:
    """The active user and token a key belongs to, or None. Records the last use (once a minute)."""
    prefix, _sep, secret = (key or "").partition(".")
    if not prefix or not secret or len(prefix) > 16:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix, revoked_at__isnull=True).first()
    if token is None or not constant_time_compare(token.digest, _digest(secret)) or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RECORD_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token.user, token


# ------------------------------------------------------------------------------
# Logins
# ------------------------------------------------------------------------------
def _login_scopes(email: str, ip: str) -> list[tuple[str, str, int]]:
    return [
        ("login-account-address", f"{email}|{ip}", settings.LOGIN_FAILURES_PER_ACCOUNT),
        ("login-address", ip, settings.LOGIN_FAILURES_PER_ADDRESS),
        ("login-account", email, settings.LOGIN_FAILURES_PER_ACCOUNT * 10),
    ]


def login_attempt(*, email: str, password: str, request=None) -> User:
    """Check credentials with guessing defence; every success and failure is audited.

    Raises LoginThrottled when too many recent failures came from this address or for this
    account, LoginFailed for wrong credentials (without saying which part was wrong).
    """
    email = (email or "").strip().lower()[:254]
    ip = context.current().ip or "unknown"
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    scopes = _login_scopes(email, ip)
    for scope, ident, limit in scopes:
        if ratelimit.hits(scope, ident, window) >= limit:
            audit_record(action="auth.login_throttled", actor_label=email)
            raise LoginThrottled(
                _("Too many failed attempts. Try again in a few minutes."), extra={"retry_after": ratelimit.retry_after(window)}
            )
    user = authenticate(request, email=email, password=password or "")
    if user is None:
        for scope, ident, _limit in scopes:
            ratelimit.hit(scope, ident, window)
        known = User.objects.filter(email__iexact=email).first()
        audit_record(action="auth.login_failed", actor_label=email, target=known)
        raise LoginFailed(_("The e-mail or password is not right."))
    ratelimit.reset(scopes[0][0], scopes[0][1], window)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    audit_record(action="auth.login", actor=user, target=user)
    return user


def logout_record(*, user) -> None:
    if getattr(user, "is_authenticated", False):
        audit_record(action="auth.logout", actor=user, target=user)


@transaction.atomic
def password_set(*, user: User, password: str, actor, reason: str = "changed") -> User:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise AccountError(_("Choose a stronger password."), fields={"password": exc.error_list}) from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(action="auth.password_set", actor=actor, target=user, changes={"reason": reason})
    return user


_LOGIN_LINK_SALT = "accounts.login-link"
LOGIN_LINK_TTL = timedelta(minutes=2)


@transaction.atomic
def login_link_create(*, user: User) -> str:
    link = LoginLink.objects.create(user=user, nonce=secrets.token_urlsafe(24), expires_at=timezone.now() + LOGIN_LINK_TTL)
    return signing.dumps({"l": link.pk, "n": link.nonce}, salt=_LOGIN_LINK_SALT, compress=True)


@transaction.atomic
def login_link_consume(*, token: str) -> User:
    """The user a single-use login link signs in; LinkInvalid if used, expired or forged."""
    try:
        data = signing.loads(token, salt=_LOGIN_LINK_SALT)
        link = LoginLink.objects.select_for_update().select_related("user").get(pk=int(data["l"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, LoginLink.DoesNotExist):
        raise LinkInvalid(_("This sign-in link is not valid."))
    if (
        not constant_time_compare(link.nonce, str(data.get("n", "")))
        or link.used_at is not None
        or link.expires_at <= timezone.now()
        or not link.user.is_active
    ):
        raise LinkInvalid(_("This sign-in link has expired or was already used. Sign in with your password."))
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    audit_record(action="auth.login", actor=link.user, target=link.user, changes={"via": "signup link"})
    return link.user

"""The one module that grants and revokes rights, and filters what a user may see.

Two layers:
- roles: built-in Owner/Admin/Manager/Staff plus the tenant's own; a role is an auth group, so
  its model-wide permissions are group permissions;
- objects: django-guardian per-object permissions. Big tables (deals, clients, tasks) get
  guardian's direct foreign-key permission models (declared next to the model), which
  guardian's shortcuts pick up by themselves; lists are filtered in the database.
"""
from __future__ import annotations

from django.db.models import Model, QuerySet
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm
from rest_framework import filters, permissions

from accounts.models import Role

ADMIN_ROLES = frozenset({Role.Builtin.OWNER, Role.Builtin.ADMIN})
MANAGER_ROLES = ADMIN_ROLES | {Role.Builtin.MANAGER}


def user_role_codes(user) -> frozenset[str]:
    """The codes of the roles `user` holds, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_role_codes", None)
    if cached is None:
        cached = frozenset(Role.objects.filter(group__user=user).values_list("code", flat=True))
        user._role_codes = cached
    return cached


def role_codes_forget(user) -> None:
    if hasattr(user, "_role_codes"):
        del user._role_codes
    for attr in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        if hasattr(user, attr):
            delattr(user, attr)


def has_role(user, *codes: str) -> bool:
    return bool(user_role_codes(user) & set(codes))


def is_admin(user) -> bool:
    return has_role(user, *ADMIN_ROLES)


def is_manager(user) -> bool:
    return has_role(user, *MANAGER_ROLES)


def object_perm_grant(perm: str, obj: Model, *, user=None, role: Role | None = None) -> None:
    """Give `user` (or everyone holding `role`) the permission `perm` ("app.codename") on `obj`."""
    if (user is None) == (role is None):
        raise ValueError("grant to exactly one of user or role")
    assign_perm(perm, user if user is not None else role.group, obj)


def object_perm_revoke(perm: str, obj: Model, *, user=None, role: Role | None = None) -> None:
    if (user is None) == (role is None):
        raise ValueError("revoke from exactly one of user or role")
    remove_perm(perm, user if user is not None else role.group, obj)


# Permission ids differ per schema, so the cache is keyed by schema too.
_permission_ids: dict[tuple[str, str], int] = {}


def _permission_id(perm: str) -> int:
    from django.contrib.auth.models import Permission
    from django.db import connection

    key = (connection.schema_name, perm)
    if key not in _permission_ids:
        app_label, codename = perm.split(".", 1)
        _permission_ids[key] = Permission.objects.get(content_type__app_label=app_label, codename=codename).pk
    return _permission_ids[key]


def _direct_user_model(obj: Model):
    from guardian.utils import get_user_obj_perms_model

    model = get_user_obj_perms_model(obj)
    if not getattr(model.objects, "is_generic", lambda: True)():
        return model
    return None


def user_object_perms_set(obj: Model, perms: list[str], *, grant_to: int | None = None, revoke_from: int | None = None) -> None:
    """Grant `perms` on `obj` to one user and take them from another, by id, in two statements.

    For models with guardian's direct foreign-key tables (the hot path of the workflow engine);
    other models go through guardian's shortcuts.
    """
    model = _direct_user_model(obj)
    if model is None:
        from accounts.models import User

        for perm in perms:
            if grant_to:
                assign_perm(perm, User.objects.get(pk=grant_to), obj)
            if revoke_from:
                remove_perm(perm, User.objects.get(pk=revoke_from), obj)
        return
    ids = [_permission_id(perm) for perm in perms]
    if grant_to:
        model.objects.bulk_create(
            [model(user_id=grant_to, permission_id=pid, content_object=obj) for pid in ids], ignore_conflicts=True
        )
    if revoke_from:
        model.objects.filter(user_id=revoke_from, permission_id__in=ids, content_object=obj).delete()


def user_object_perms_move(model: type[Model], held_by: dict[int, list[int]], perms: list[str], *, grant_to: int) -> None:
    """The bulk form of `user_object_perms_set`: `perms` on every object of `model` named in
    `held_by` ({previous holder's user id: [object ids]}) go to `grant_to` and are taken from the
    previous holder; one insert, plus one delete per previous holder.

    Only for models with guardian's direct foreign-key tables (clients, deals, tasks).
    """
    perm_model = _direct_user_model(model)
    if perm_model is None:
        raise ValueError(f"{model._meta.label} has no direct user object permission table")
    ids = [_permission_id(perm) for perm in perms]
    objects = list(dict.fromkeys(pk for pks in held_by.values() for pk in pks))
    perm_model.objects.bulk_create(
        [perm_model(user_id=grant_to, permission_id=pid, content_object_id=pk) for pk in objects for pid in ids],
        ignore_conflicts=True,
        batch_size=5000,
    )
    for previous, pks in held_by.items():
        if previous and previous != grant_to:
            perm_model.objects.filter(user_id=previous, permission_id__in=ids, content_object_id__in=pks).delete()


def visible_to(user, queryset: QuerySet, perm: str, *, see_all: bool = False) -> QuerySet:
    """The rows of `queryset` `user` may see, filtered in the database.

    `see_all` is the caller's role rule (e.g. managers see every deal); otherwise the user
    needs `perm` on the row itself, directly or through one of their roles.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if see_all:
        return queryset
    return get_objects_for_user(user, perm, klass=queryset, accept_global_perms=False, with_superuser=False)


class IsTenantAdmin(permissions.BasePermission):
    """Owners and Admins only."""

    def has_permission(self, request, view) -> bool:
        return is_admin(request.user)


class VisibleObjectsFilter(filters.BaseFilterBackend):
    """Narrows a view's queryset to what the user may see (view.view_perm, view.see_all(user)).

    Objects outside the result are not found: the API answers 404, never 403, so a user cannot
    learn that an object exists.
    """

    def filter_queryset(self, request, queryset, view):
        see_all = view.see_all(request.user) if hasattr(view, "see_all") else False
        return visible_to(request.user, queryset, view.view_perm, see_all=see_all)

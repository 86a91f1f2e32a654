"""The permission module: object grants through users and roles, database-side filtering."""
import pytest
from django_tenants.utils import schema_context

from accounts import permissions
from accounts.models import Role, User


@pytest.mark.django_db
def test_object_permission_granted_to_a_user_or_a_role_filters_in_the_database(tenant_a, make_user):
    alice = make_user(tenant_a)
    bob = make_user(tenant_a)
    carol = make_user(tenant_a, roles=["staff", "manager"])
    with schema_context(tenant_a.slug):
        targets = User.objects.filter(pk__in=[alice.pk, bob.pk, carol.pk])
        assert list(permissions.visible_to(alice, targets, "accounts.view_user")) == []

        permissions.object_perm_grant("accounts.view_user", bob, user=alice)
        assert list(permissions.visible_to(alice, targets, "accounts.view_user")) == [bob]

        permissions.object_perm_grant("accounts.view_user", carol, role=Role.objects.get(code="staff"))
        alice = User.objects.get(pk=alice.pk)  # fresh permission caches
        assert set(permissions.visible_to(alice, targets, "accounts.view_user")) == {bob, carol}

        permissions.object_perm_revoke("accounts.view_user", bob, user=alice)
        alice = User.objects.get(pk=alice.pk)
        assert list(permissions.visible_to(alice, targets, "accounts.view_user")) == [carol]

        assert set(permissions.visible_to(alice, targets, "accounts.view_user", see_all=True)) == {alice, bob, carol}
        queryset = permissions.visible_to(alice, targets, "accounts.view_user")
        assert "guardian" in str(queryset.query).lower(), "the filter must run in SQL"


@pytest.mark.django_db
def test_inactive_users_see_nothing(tenant_a, make_user):
    from accounts.services import user_update

    alice = make_user(tenant_a)
    with schema_context(tenant_a.slug):
        owner = User.objects.get(email=tenant_a.owner_email)
        permissions.object_perm_grant("accounts.view_user", owner, user=alice)
        user_update(user=alice, actor=owner, is_active=False)
        alice.refresh_from_db()
        assert permissions.visible_to(alice, User.objects.all(), "accounts.view_user", see_all=True).count() == 0


@pytest.mark.django_db
def test_role_helpers(tenant_a, make_user):
    staff = make_user(tenant_a)
    admin = make_user(tenant_a, roles=["admin"])
    with schema_context(tenant_a.slug):
        assert not permissions.is_admin(staff) and not permissions.is_manager(staff)
        assert permissions.is_admin(admin) and permissions.is_manager(admin)
        with pytest.raises(ValueError):
            permissions.object_perm_grant("accounts.view_user", staff)

"""Reads for people and access."""
from django.db.models import Case, QuerySet, Value, When

from accounts.models import ApiToken, Invitation, Role, User


def user_list() -> QuerySet[User]:
    return User.objects.select_related("manager").prefetch_related("groups__role")


_BUILTIN_ORDER = Case(
    *[When(code=code, then=Value(rank)) for rank, code in enumerate(Role.Builtin.values)],
    default=Value(len(Role.Builtin.values)),
)


def role_list() -> QuerySet[Role]:
    """Built-in roles from the most to the least powerful, then the tenant's own by name."""
    return Role.objects.select_related("group").order_by(_BUILTIN_ORDER, "name")


def invitation_list() -> QuerySet[Invitation]:
    return Invitation.objects.select_related("invited_by").prefetch_related("roles")


def token_list_for(user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def user_roles(user: User) -> list[Role]:
    """Roles of a user from a prefetched user_list() row without extra queries."""
    return [group.role for group in user.groups.all() if hasattr(group, "role")]

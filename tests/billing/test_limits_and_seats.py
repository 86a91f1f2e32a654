"""Plan limits (enforced by the services, answered as 402 plan_limit_reached) and seat sync."""
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.billing.conftest import checkout, subscription_of
from tests.conftest import PASSWORD, api_client


def _plan(handle, code):
    from billing.models import Plan, Subscription

    with schema_context("public"):
        Subscription.objects.filter(tenant__schema_name=handle.slug).update(plan=Plan.objects.get(code=code))


@pytest.fixture
def owner_session(tenant_a, owner_of):
    """The owner through the web app's session (API tokens are themselves a plan feature)."""
    client = api_client(tenant_a.host)
    client.force_authenticate(owner_of(tenant_a))
    return client


def test_inviting_past_the_plans_seats_fails_with_plan_limit_reached(billing_on, tenant_a, owner_session, make_user):
    _plan(tenant_a, "start")  # 3 seats: the owner and one more person, plus one pending invitation
    make_user(tenant_a)
    assert owner_session.post("/api/v1/invitations/", {"email": "third@x.test"}, format="json").status_code == 201
    refused = owner_session.post("/api/v1/invitations/", {"email": "fourth@x.test"}, format="json")
    assert refused.status_code == 402
    body = refused.json()
    assert body["code"] == "plan_limit_reached"
    assert body["limit"] == {"name": "seats", "allowed": 3, "used": 3}
    assert body["upgrade_url"] == "/billing/"
    assert "Start" in body["message"]
    with schema_context(tenant_a.slug):
        from accounts.models import Invitation

        assert not Invitation.objects.filter(email="fourth@x.test").exists()


def test_creating_a_user_past_the_seats_fails_in_the_service(billing_on, tenant_a, make_user):
    from billing.services import PlanLimitReached

    _plan(tenant_a, "start")
    make_user(tenant_a)
    make_user(tenant_a)
    with pytest.raises(PlanLimitReached) as caught:
        make_user(tenant_a)
    assert caught.value.extra["limit"]["name"] == "seats"


def test_pipelines_and_open_deals_are_limited_by_the_plan(billing_on, tenant_a, owner_session, owner_of, window_pipeline):
    from apps.deals.services import deal_create
    from billing.services import PlanLimitReached
    from billing.models import Plan

    _plan(tenant_a, "start")  # 1 pipeline, installed by the fixture
    refused = owner_session.post("/api/v1/pipelines/install/", {"template": "clinic"}, format="json")
    assert refused.status_code == 402
    assert refused.json()["limit"]["name"] == "pipelines"

    with schema_context("public"):
        Plan.objects.filter(code="start").update(active_deals=1)
    owner = owner_of(tenant_a)
    with schema_context(tenant_a.slug):
        deal_create(pipeline=window_pipeline, actor=owner, title="First", client_phone="+380671112233")
        with pytest.raises(PlanLimitReached):
            deal_create(pipeline=window_pipeline, actor=owner, title="Second", client_phone="+380671112233")


def test_a_plan_without_api_access_refuses_tokens_until_upgraded(billing_on, tenant_a, owner_of, token_for):
    owner = owner_of(tenant_a)
    key = token_for(tenant_a, owner)
    _plan(tenant_a, "start")
    by_token = api_client(tenant_a.host, key).get("/api/v1/deals/")
    assert by_token.status_code == 402
    assert by_token.json()["limit"]["name"] == "api_access"
    obtain = api_client(tenant_a.host).post("/api/v1/auth/token/", {"email": tenant_a.owner_email, "password": PASSWORD}, format="json")
    assert obtain.status_code == 402
    _plan(tenant_a, "team")
    assert api_client(tenant_a.host, key).get("/api/v1/deals/").status_code == 200


def test_the_active_user_count_reaches_stripe_with_proration_and_an_idempotency_key(billing_on, tenant_a, owner_of, make_user, django_capture_on_commit_callbacks):
    from accounts.services import user_update

    sub = checkout(tenant_a, billing_on)
    assert billing_on.subscriptions[sub["id"]]["items"]["data"][0]["quantity"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        colleague = make_user(tenant_a)
    item = billing_on.subscriptions[sub["id"]]["items"]["data"][0]
    assert item["quantity"] == 2
    update = [r for r in billing_on.requests if r["method"] == "POST" and r["path"] == f"/v1/subscriptions/{sub['id']}"][-1]
    assert update["params"]["proration_behavior"] == "create_prorations"
    assert update["idempotency_key"].startswith("seats:")
    assert subscription_of(tenant_a).quantity == 2

    with django_capture_on_commit_callbacks(execute=True), schema_context(tenant_a.slug):
        user_update(user=colleague, actor=owner_of(tenant_a), is_active=False)
    assert billing_on.subscriptions[sub["id"]]["items"]["data"][0]["quantity"] == 1


def test_a_seat_sync_that_fails_is_kept_and_retried_later(billing_on, tenant_a, make_user, django_capture_on_commit_callbacks):
    from billing.models import StripeCommand
    from billing.services import stripe_commands_run

    sub = checkout(tenant_a, billing_on)
    billing_on.fail_next(10, status=500)
    with django_capture_on_commit_callbacks(execute=True):
        make_user(tenant_a)
        make_user(tenant_a)
    billing_on.fail_next(0)
    with schema_context("public"):
        pending = list(StripeCommand.objects.filter(status="pending"))
        assert len(pending) == 2
        assert max(c.attempts for c in pending) == 1
        assert {c.last_error for c in pending if c.attempts} == {"APIError"}
    assert billing_on.subscriptions[sub["id"]]["items"]["data"][0]["quantity"] == 1

    assert stripe_commands_run() == 0  # not due yet: it waits before retrying
    assert stripe_commands_run(now=timezone.now() + timedelta(minutes=5)) == 1
    assert billing_on.subscriptions[sub["id"]]["items"]["data"][0]["quantity"] == 3
    with schema_context("public"):
        assert sorted(StripeCommand.objects.values_list("status", flat=True)) == ["done", "superseded"]


def test_plan_sync_is_idempotent_and_a_new_price_retires_the_old_one(billing_on):
    from billing.models import Plan
    from billing.services import plans_stripe_sync

    with schema_context("public"):
        before = dict(Plan.objects.values_list("code", "stripe_price_monthly_id"))
        prices = len(billing_on.prices)
        plans_stripe_sync()
        assert len(billing_on.prices) == prices
        assert dict(Plan.objects.values_list("code", "stripe_price_monthly_id")) == before
        Plan.objects.filter(code="team").update(price_monthly=3100)
        plans_stripe_sync()
        team = Plan.objects.get(code="team")
    assert team.stripe_price_monthly_id != before["team"]
    assert billing_on.prices[team.stripe_price_monthly_id]["unit_amount"] == 3100
    assert billing_on.prices[before["team"]]["active"] is False
    assert billing_on.products["crm_plan_team"]["name"] == "Team"

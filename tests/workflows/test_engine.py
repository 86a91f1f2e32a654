"""The engine: rules, required fields, assignment, permissions, automations, the paused clock,
concurrent moves, audit."""
import threading
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.db import connections
from django_tenants.utils import schema_context

from accounts.models import User
from apps.audit.models import AuditEvent
from apps.deals.models import Deal
from apps.deals.services import deal_create, deal_move
from apps.tasks.models import Task
from workflows.services import engine
from workflows.services.definitions import pipeline_create
from tests.conftest import stages_of

# Monday 2026-11-23 10:00 UTC (tenant A's calendar: UTC, Mon-Fri 09:00-18:00).
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=dt_timezone.utc)


def new_deal(pipeline, actor, **fields):
    fields.setdefault("client_phone", "+380501234567")
    return deal_create(pipeline=pipeline, title="Windows for the Ivanenkos", actor=actor, **fields)


@pytest.mark.django_db
def test_deal_enters_the_first_stage_with_a_deadline_on_working_hours(tenant_a, window_pipeline, owner_of):
    owner = owner_of(tenant_a)
    with time_machine.travel(MONDAY_10, tick=False), schema_context(tenant_a.slug):
        deal = new_deal(window_pipeline, owner)
        visit = deal.current_visit
        assert deal.stage.key == "clarify"
        assert visit.due_at == MONDAY_10 + timedelta(hours=4)  # 4 working hours
        assert visit.warn_at == MONDAY_10 + timedelta(hours=3, minutes=12)  # 80%
        task = Task.objects.get(deal=deal)
        assert task.title.startswith("Call the client") and task.due_at == MONDAY_10 + timedelta(hours=1)


@pytest.mark.django_db
def test_friday_evening_deadline_lands_on_monday(tenant_a, window_pipeline, owner_of):
    friday_17 = datetime(2026, 11, 20, 17, 0, tzinfo=dt_timezone.utc)
    with time_machine.travel(friday_17, tick=False), schema_context(tenant_a.slug):
        deal = new_deal(window_pipeline, owner_of(tenant_a))
        assert deal.current_visit.due_at == datetime(2026, 11, 23, 12, 0, tzinfo=dt_timezone.utc)


@pytest.mark.django_db
def test_required_fields_are_named_exactly_and_can_be_supplied_with_the_move(tenant_a, window_pipeline, owner_of):
    owner = owner_of(tenant_a)
    with schema_context(tenant_a.slug):
        s = stages_of(window_pipeline)
        deal = new_deal(window_pipeline, owner)
        for key in ("assign-measurer", "schedule-measurement"):
            deal_move(deal=deal, to_stage=s[key], actor=owner)
        with pytest.raises(engine.RequiredFieldsMissing) as error:
            deal_move(deal=deal, to_stage=s["measurement"], actor=owner)
        assert error.value.extra["missing"] == ["data.measurement_date"]
        deal.refresh_from_db()
        assert deal.stage.key == "schedule-measurement", "a refused move changes nothing"
        deal_move(deal=deal, to_stage=s["measurement"], actor=owner, fields={"data.measurement_date": "2026-11-25"})
        deal.refresh_from_db()
        assert deal.stage.key == "measurement" and deal.data["measurement_date"] == "2026-11-25"


@pytest.mark.django_db
def test_forward_only_refuses_backward_moves_and_skipping_mandatory_stages(tenant_a, window_pipeline, owner_of):
    owner = owner_of(tenant_a)
    with schema_context(tenant_a.slug):
        s = stages_of(window_pipeline)
        deal = new_deal(window_pipeline, owner)
        deal_move(deal=deal, to_stage=s["assign-measurer"], actor=owner)
        with pytest.raises(engine.MoveNotAllowed) as back:
            deal_move(deal=deal, to_stage=s["clarify"], actor=owner)
        assert back.value.code == "backward_move"
        with pytest.raises(engine.MoveNotAllowed) as skip:
            deal_move(deal=deal, to_stage=s["contract-signed"], actor=owner, fields={"amount": 1000, "data.contract_number": "C-1"})
        assert skip.value.code == "stage_not_skippable" and "Measurement" in skip.value.message
        # Lost and on-hold are reachable from anywhere.
        deal_move(deal=deal, to_stage=s["lost"], actor=owner, fields={"close_reason": "Chose a competitor"})
        deal.refresh_from_db()
        assert deal.outcome == Deal.Outcome.LOST and deal.closed_at is not None


@pytest.mark.django_db
def test_explicit_transitions_and_roles_allowed_to_make_them(tenant_a, owner_of, make_user):
    owner = owner_of(tenant_a)
    doc = {
        "name": "Approvals",
        "transition_mode": "explicit",
        "stages": [{"key": "new", "name": "New"}, {"key": "review", "name": "Review"}, {"key": "done", "name": "Done", "kind": "won"}],
        "transitions": [{"from": "new", "to": "review"}, {"from": "review", "to": "done", "roles": ["manager"]}],
    }
    staff = make_user(tenant_a)
    with schema_context(tenant_a.slug):
        pipeline = pipeline_create(document=doc, actor=owner, publish=True)
        s = stages_of(pipeline)
        deal = deal_create(pipeline=pipeline, title="X", actor=staff)
        with pytest.raises(engine.MoveNotAllowed):
            deal_move(deal=deal, to_stage=s["done"], actor=staff)
        deal_move(deal=deal, to_stage=s["review"], actor=staff)
        with pytest.raises(engine.MoveForbidden):
            deal_move(deal=deal, to_stage=s["done"], actor=staff)
        manager = make_user(tenant_a, roles=["manager"])
        deal_move(deal=deal, to_stage=s["done"], actor=User.objects.get(pk=manager.pk))


@pytest.mark.django_db
def test_staff_cannot_move_a_deal_they_neither_own_nor_handle(tenant_a, window_pipeline, owner_of, make_user):
    stranger = make_user(tenant_a)
    with schema_context(tenant_a.slug):
        s = stages_of(window_pipeline)
        deal = new_deal(window_pipeline, owner_of(tenant_a))
        with pytest.raises(engine.MoveForbidden):
            deal_move(deal=deal, to_stage=s["assign-measurer"], actor=stranger)


@pytest.mark.django_db
def test_least_loaded_assignment_and_permissions_follow_the_responsible(tenant_a, window_pipeline, owner_of, make_user):
    owner = owner_of(tenant_a)
    busy = make_user(tenant_a, roles=["measurer"])
    free = make_user(tenant_a, roles=["measurer"])
    with schema_context(tenant_a.slug):
        s = stages_of(window_pipeline)
        first = new_deal(window_pipeline, owner)
        for key in ("assign-measurer", "schedule-measurement"):
            deal_move(deal=first, to_stage=s[key], actor=owner)
        first.refresh_from_db()
        assert first.responsible_id == busy.pk  # tie: the longest-standing holder
        second = new_deal(window_pipeline, owner)
        for key in ("assign-measurer", "schedule-measurement"):
            deal_move(deal=second, to_stage=s[key], actor=owner)
        second.refresh_from_db()
        assert second.responsible_id == free.pk  # busy already has one open deal
        busy = User.objects.get(pk=busy.pk)
        assert busy.has_perm("deals.change_deal", first) and not busy.has_perm("deals.view_deal", second)


@pytest.mark.django_db
def test_round_robin_cycles_through_the_role(tenant_a, owner_of, make_user):
    owner = owner_of(tenant_a)
    reps = [make_user(tenant_a, roles=["staff"]) for _ in range(3)]
    doc = {"name": "Leads", "stages": [{"key": "lead", "name": "Lead", "responsible_role": "staff", "assignment": "round_robin"}]}
    with schema_context(tenant_a.slug):
        pipeline = pipeline_create(document=doc, actor=owner, publish=True)
        holders = list(User.objects.filter(groups__role__code="staff", is_active=True).order_by("pk").values_list("pk", flat=True))
        chosen = [deal_create(pipeline=pipeline, title=f"L{n}", actor=owner).responsible_id for n in range(len(holders) + 1)]
        assert chosen[: len(holders)] == holders and chosen[-1] == holders[0]
        assert set(r.pk for r in reps) <= set(holders)


@pytest.mark.django_db
def test_previous_responsible_loses_access_unless_they_own_the_deal(tenant_a, window_pipeline, owner_of, make_user):
    owner = owner_of(tenant_a)
    measurer = make_user(tenant_a, roles=["measurer"])
    master = make_user(tenant_a, roles=["master"])
    with schema_context(tenant_a.slug):
        s = stages_of(window_pipeline)
        deal = new_deal(window_pipeline, owner)
        for key in ("assign-measurer", "schedule-measurement"):
            deal_move(deal=deal, to_stage=s[key], actor=owner)
        fields = {"data.measurement_date": "2026-11-25", "data.measurements": "3 windows", "amount": 900, "data.contract_number": "C-7"}
        for key in ("measurement", "price-calculation", "contract-signed", "production-order", "assign-master", "manufacturing"):
            deal_move(deal=deal, to_stage=s[key], actor=owner, fields=fields)
        deal.refresh_from_db()
        assert deal.responsible_id == master.pk
        assert not User.objects.get(pk=measurer.pk).has_perm("deals.view_deal", deal)
        assert User.objects.get(pk=master.pk).has_perm("deals.view_deal", deal)


@pytest.mark.django_db
def test_on_hold_pauses_the_clock_and_the_return_resumes_it(tenant_a, window_pipeline, owner_of):
    owner = owner_of(tenant_a)
    with schema_context(tenant_a.slug):
        s = stages_of(window_pipeline)
        with time_machine.travel(MONDAY_10, tick=False):
            deal = new_deal(window_pipeline, owner)  # due 14:00, 4 working hours
        with time_machine.travel(MONDAY_10 + timedelta(hours=1), tick=False):
            deal_move(deal=deal, to_stage=s["waiting-client"], actor=owner)
            deal.refresh_from_db()
            assert deal.current_visit.due_at is None  # no clock while waiting for the client
        with time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=dt_timezone.utc), tick=False):  # Wednesday
            deal_move(deal=deal, to_stage=s["clarify"], actor=owner)
            deal.refresh_from_db()
            assert deal.current_visit.due_at == datetime(2026, 11, 25, 12, 0, tzinfo=dt_timezone.utc)  # 3 h were left


@pytest.mark.django_db
def test_automation_creates_its_task_once_per_visit(tenant_a, window_pipeline, owner_of):
    with schema_context(tenant_a.slug):
        deal = new_deal(window_pipeline, owner_of(tenant_a))
        visit = deal.current_visit
        calendar = engine.calendar_for(window_pipeline)
        engine._run_automations(deal, deal.stage, visit, calendar, visit.entered_at)  # a second run
        assert Task.objects.filter(origin_visit=visit).count() == 1


@pytest.mark.django_db
def test_move_is_audited_with_stage_and_responsible(tenant_a, window_pipeline, owner_of):
    owner = owner_of(tenant_a)
    with schema_context(tenant_a.slug):
        s = stages_of(window_pipeline)
        deal = new_deal(window_pipeline, owner)
        deal_move(deal=deal, to_stage=s["assign-measurer"], actor=owner, note="client called back")
        event = AuditEvent.objects.filter(action="deal.moved", target_id=str(deal.pk)).get()
        assert event.changes["stage"] == ["clarify", "assign-measurer"] and event.changes["note"] == "client called back"


@pytest.mark.django_db
def test_stale_board_move_is_a_conflict(tenant_a, window_pipeline, owner_of):
    owner = owner_of(tenant_a)
    with schema_context(tenant_a.slug):
        s = stages_of(window_pipeline)
        deal = new_deal(window_pipeline, owner)
        deal_move(deal=deal, to_stage=s["assign-measurer"], actor=owner)
        with pytest.raises(engine.MoveConflict):
            deal_move(deal=deal, to_stage=s["schedule-measurement"], actor=owner, expected_stage_id=s["clarify"].pk)


@pytest.mark.django_db(transaction=False)
def test_two_concurrent_moves_of_one_deal_one_wins_one_conflicts(tenant_a, owner_of, django_db_blocker):
    """Committed data, two connections: the second mover finds the row locked and gets a conflict."""
    from django.db import transaction

    from workflows.services.definitions import pipeline_install_blueprint

    results, barrier = [], threading.Barrier(2)
    with django_db_blocker.unblock():
        def setup():
            with schema_context(tenant_a.slug):
                owner = User.objects.get(email=tenant_a.owner_email)
                pipeline = pipeline_install_blueprint(code="b2b-sale", actor=owner)
                deal = deal_create(pipeline=pipeline, title="Race", actor=owner)
                return owner.pk, deal.pk, {k: v.pk for k, v in stages_of(pipeline).items()}

        holder = []
        thread = threading.Thread(target=lambda: holder.append(setup()))
        thread.start()
        thread.join()
        owner_id, deal_id, stage_ids = holder[0]

        def mover(target_key):
            try:
                with schema_context(tenant_a.slug), transaction.atomic():
                    owner = User.objects.get(pk=owner_id)
                    deal = Deal.objects.get(pk=deal_id)
                    from workflows.models import Stage

                    stage = Stage.objects.get(pk=stage_ids[target_key])
                    barrier.wait()
                    deal_move(deal=deal, to_stage=stage, actor=owner)
                    # Hold the lock a moment so the other mover surely meets it.
                    import time

                    time.sleep(0.5)
                    results.append("moved")
            except engine.MoveConflict:
                results.append("conflict")
            except Exception as exc:  # e.g. the loser's stage check after the winner committed
                results.append(type(exc).__name__)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=mover, args=(key,)) for key in ("qualification", "on-hold")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(results) == ["conflict", "moved"]

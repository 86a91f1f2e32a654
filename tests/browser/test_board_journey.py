"""In a real browser: install the window template, create a deal, drag it across the board, get
asked for a required field instead of a silent failure, see the deadline and the stage history."""
import re

import pytest
from django_tenants.utils import schema_context

from apps.deals.models import Deal
from tests.browser.conftest import url
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def sign_in(page, server, handle, email, password=PASSWORD):
    page.goto(url(server, handle.host, "/login/"))
    page.fill("#id_email", email)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"localhost:\d+/$"))


def test_admin_installs_template_creates_and_drags_a_deal(live_server_url, page, tenant_b):
    server, handle = live_server_url, tenant_b
    sign_in(page, server, handle, handle.owner_email)

    page.click("nav >> text=Pipelines")
    page.click("[data-testid=install-window-installation]")
    page.wait_for_url(re.compile(r"/board/\d+/$"))
    assert page.locator("[data-column]").count() == 16

    page.click("text=New deal")
    page.fill("#id_title", "Browser balcony")
    page.fill("#id_client_name", "Hanna Browser")
    page.fill("#id_client_phone", "+380501112299")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/deals/\d+/$"))
    assert page.locator("[data-testid=deal-stage]").inner_text() == "Needs clarification"
    due = page.locator("[data-testid=deal-due]").inner_text()
    assert due.strip() not in ("", "—"), "a deadline was computed"
    deal_id = int(re.search(r"/deals/(\d+)/", page.url).group(1))

    page.click("text=Board")
    columns = {c.get_attribute("aria-label"): c for c in page.locator("[data-column]").all()}
    page.drag_and_drop(f"[data-testid=card-{deal_id}]", "[aria-label='Assign measurer']")
    page.wait_for_selector(f"[aria-label='Assign measurer'] [data-testid=card-{deal_id}]")
    page.drag_and_drop(f"[data-testid=card-{deal_id}]", "[aria-label='Schedule measurement']")
    page.wait_for_selector(f"[aria-label='Schedule measurement'] [data-testid=card-{deal_id}]")

    # Measurement needs the measurement date: the board asks for it instead of failing silently.
    page.drag_and_drop(f"[data-testid=card-{deal_id}]", "[aria-label='Measurement']")
    dialog = page.wait_for_selector("[data-testid=move-dialog]")
    assert "Measurement date" in dialog.inner_text()
    page.fill("[data-testid=move-dialog] input[name='data.measurement_date']", "2026-12-03")
    page.click("[data-testid=move-dialog] button[type=submit]")
    page.wait_for_selector(f"[aria-label='Measurement'] [data-testid=card-{deal_id}]")
    assert page.locator("[data-testid=move-dialog]").count() == 0

    # A backward move is refused with a visible reason.
    page.drag_and_drop(f"[data-testid=card-{deal_id}]", "[aria-label='Needs clarification']")
    assert "only moves forward" in page.wait_for_selector("[data-testid=board-error]").inner_text()

    page.goto(url(server, handle.host, f"/deals/{deal_id}/"))
    history = page.locator("[data-testid=history] tbody tr")
    assert history.count() == 4
    assert "On time" in history.nth(0).inner_text()
    with schema_context(handle.slug):
        deal = Deal.objects.get(pk=deal_id)
        assert deal.stage.key == "measurement" and deal.data["measurement_date"] == "2026-12-03"
    assert columns  # the board rendered all columns

    # The clock moves past the deadline: the monitor tells the responsible, once.
    from datetime import timedelta

    from workflows.services import monitor

    import threading

    from django.db import connections

    def sweep_twice():  # its own connection: committed, so the live server sees the result
        try:
            with schema_context(handle.slug):
                due_at = Deal.objects.get(pk=deal_id).current_visit.due_at
                for _ in range(2):
                    monitor.sla_process(schema_name=handle.slug, version=None, now=due_at + timedelta(minutes=1))
        finally:
            connections.close_all()

    worker = threading.Thread(target=sweep_twice)
    worker.start()
    worker.join()
    page.goto(url(server, handle.host, "/notifications/"))
    items = page.locator("[data-testid=notifications] li").all_inner_texts()
    assert sum("Deadline missed: Browser balcony" in item for item in items) == 1
    assert sum("Deadline approaching: Browser balcony" in item for item in items) == 1
    assert int(page.locator("[data-testid=unread-count]").inner_text()) >= 2

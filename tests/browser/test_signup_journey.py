"""In a real browser: sign up, land signed in on the new company's site, invite a colleague,
the colleague accepts and signs in."""
import re

import pytest
from django.core import mail

from tests.browser.conftest import url
from tests.conftest import PASSWORD, unique_slug

# django_db makes the test database exist; the server thread commits on its own connection.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_signup_then_invite_a_colleague_who_joins(live_server_url, page):
    server = live_server_url
    slug = unique_slug("journey")

    page.goto(url(server, "localhost", "/signup/"))
    page.fill("#id_company", "Journey Windows")
    page.fill("#id_slug", slug)
    page.fill("#id_full_name", "Iryna Founder")
    page.fill("#id_email", f"iryna@{slug}.test")
    page.fill("#id_password", PASSWORD)
    page.select_option("#id_time_zone", "Europe/Kyiv")
    page.click("button[type=submit]")

    page.wait_for_url(re.compile(rf"http://{slug}\.localhost:\d+/$"))
    assert "Good to see you, Iryna" in page.content()
    assert page.locator("[data-testid=team-size]").inner_text() == "1"

    page.click("text=Team")
    page.fill("#id_email", f"colleague@{slug}.test")
    page.fill("#id_full_name", "Petro Colleague")
    page.check("input[name=roles][value=manager]")
    page.click("text=Send invitation")
    page.wait_for_selector("text=Invitation sent")
    assert f"colleague@{slug}.test" in page.locator("[data-testid=invitations]").inner_text()

    message = next(m for m in reversed(mail.outbox) if f"colleague@{slug}.test" in m.to)
    link = re.search(r"http://\S+/invite/\S+/", message.body).group(0)

    colleague = page.context.browser.new_context().new_page()
    colleague.goto(link)
    assert f"colleague@{slug}.test" in colleague.content()
    colleague.fill("#id_full_name", "Petro Colleague")
    colleague.fill("#id_password", "An0ther-Good-Pass")
    colleague.click("button[type=submit]")
    colleague.wait_for_url(re.compile(rf"http://{slug}\.localhost:\d+/$"))
    assert "Good to see you, Petro" in colleague.content()

    colleague.click("text=Sign out")
    colleague.wait_for_url(re.compile(r"/login/$"))
    colleague.fill("#id_email", f"colleague@{slug}.test")
    colleague.fill("#id_password", "An0ther-Good-Pass")
    colleague.click("button[type=submit]")
    colleague.wait_for_url(re.compile(rf"http://{slug}\.localhost:\d+/$"))
    # A manager is not an admin: no Team entry in the navigation.
    assert colleague.locator("nav >> text=Team").count() == 0


def test_signup_page_shows_field_errors_without_creating_anything(live_server_url, page):
    from tenants.models import Tenant

    before = Tenant.objects.count()
    page.goto(url(live_server_url, "localhost", "/signup/"))
    page.fill("#id_company", "Bad Co")
    page.fill("#id_slug", "admin")
    page.fill("#id_email", "bad@example.test")
    page.fill("#id_password", "short")
    page.click("button[type=submit]")
    content = page.content()
    assert "This address is reserved" in content
    assert "too short" in content
    assert Tenant.objects.count() == before

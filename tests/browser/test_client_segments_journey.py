"""In a real browser: an admin adds a custom field, fills it on a new card with a relative, filters
the list by it, saves the view as a segment and opens it again."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_client_export_journey import create_client, signup

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_a_custom_field_filters_the_list_and_the_view_is_kept_as_a_segment(live_server_url, page):
    signup(page, live_server_url)

    page.click("nav >> text=Custom fields")
    page.fill("#id_label", "Windows in the home")
    page.fill("#id_key", "windows")
    page.select_option("#id_type", "number")
    page.click("main button[type=submit]")
    expect(page.locator("[data-testid=custom-field-windows]")).to_be_visible()

    page.click("nav >> text=Clients")
    page.click("text=New client")
    page.fill("#id_surname", "Гончаренко")
    page.fill("#id_phones", "+380 67 555 77 01")
    page.fill("#id_custom__windows", "9")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/clients/\d+/$"))
    expect(page.locator("[data-testid=custom-windows]")).to_have_text("9")
    form = page.locator("[data-testid=family-form]")
    form.locator("input[name=name]").fill("Соломія")
    form.locator("select[name=relation]").select_option("child")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=family-member]")).to_contain_text("Соломія")

    create_client(page, "Лисенко", "+380 67 555 77 02")
    page.click("nav >> text=Clients")
    expect(page.locator("[data-testid=client-row]")).to_have_count(2)
    page.click("#client-filters summary")
    page.fill("[data-testid=filter-custom-windows-gte]", "5")
    page.click("[data-testid=filter-apply]")
    page.wait_for_url(re.compile(r"custom\.windows\.gte=5"))
    expect(page.locator("[data-testid=client-row]")).to_have_count(1)
    expect(page.locator("[data-testid=client-row]")).to_contain_text("Гончаренко")

    page.fill("[data-testid=segment-name]", "Big homes")
    page.click("[data-testid=segment-save] button[type=submit]")
    page.wait_for_url(re.compile(r"\?segment=\d+$"))
    expect(page.locator("[data-testid=client-row]")).to_have_count(1)
    page.click("nav >> text=Clients")
    expect(page.locator("[data-testid=client-row]")).to_have_count(2)
    page.select_option("[data-testid=segment-select]", label="Big homes")
    page.wait_for_url(re.compile(r"segment=\d+"))
    expect(page.locator("[data-testid=client-row]")).to_have_count(1)

"""In a real browser: find a client by the last digits of a phone, register an appeal in one form
for them, and see it on the client card's timeline; register one for a brand-new client too."""
import re

import pytest
from playwright.sync_api import expect
from django_tenants.utils import schema_context

from tests.browser.conftest import url
from tests.browser.test_board_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_find_by_phone_digits_register_an_appeal_and_see_it_on_the_timeline(live_server_url, page, tenant_b):
    server, handle = live_server_url, tenant_b
    sign_in(page, server, handle, handle.owner_email)

    page.click("nav >> text=Clients")
    page.click("text=New client")
    page.fill("#id_surname", "Коваленко")
    page.fill("#id_first_name", "Ірина")
    page.fill("#id_phones", "+380 67 555 40 21")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/clients/\d+/$"))
    assert page.locator("[data-testid=client-phones]").inner_text() == "+380675554021"

    page.click("nav >> text=Clients")
    page.fill("[data-testid=client-search]", "4021")
    # The unfiltered list may already show the card: wait for the search's answer, one row.
    expect(page.locator("[data-testid=client-row]")).to_have_count(1)
    expect(page.locator("[data-testid=client-row]")).to_contain_text("Коваленко Ірина")

    page.click("nav >> text=Appeals")
    page.click("text=Register an appeal")
    page.fill("[data-testid=appeal-client-search]", "5554021")
    page.click("[data-testid=client-option] >> text=Коваленко Ірина")
    assert page.locator("#appeal-chosen").inner_text() == "Коваленко Ірина"
    page.select_option("#id_channel", "phone")
    page.select_option("#id_kind", "complaint")
    page.fill("#id_subject", "Window sill")
    page.fill("#id_summary", "The sill is cracked after installation.")
    page.fill("#id_result", "Promised a replacement visit.")
    page.click("[data-testid=appeal-form] button[type=submit]")
    page.wait_for_url(re.compile(r"/clients/\d+/$"))
    assert "Window sill" in page.locator("main").inner_text()
    assert "The sill is cracked" in page.locator("main").inner_text()

    # A caller nobody knows yet: the same form creates the client card.
    page.goto(url(server, handle.host, "/appeals/new/"))
    page.fill("#id_new_surname", "Новенький")
    page.fill("#id_new_phone", "+380931234500")
    page.select_option("#id_kind", "inquiry")
    page.fill("#id_subject", "Balcony glazing")
    page.click("[data-testid=appeal-form] button[type=submit]")
    page.wait_for_url(re.compile(r"/clients/\d+/$"))
    assert "Новенький" in page.locator("h1").inner_text()
    assert "Balcony glazing" in page.locator("main").inner_text()
    with schema_context(handle.slug):
        from apps.interactions.models import Interaction

        assert Interaction.objects.filter(subject__in=["Window sill", "Balcony glazing"]).count() == 2


def test_import_a_spreadsheet_with_bad_rows_reported_then_find_an_imported_client(live_server_url, page, tenant_b, tmp_path):
    server, handle = live_server_url, tenant_b
    sheet = tmp_path / "clients.csv"
    sheet.write_text(
        "Прізвище;Ім'я;Телефон;E-mail\n"
        "Мельник;Оксана;+380501110071;oksana@example.com\n"
        "Бойко;Петро;+380501110072;\n"
        "Ткачук;Ніна;not a phone;\n"
        "Савчук;Ігор;+380501110074;broken@\n"
        "Лисенко;Марта;+380501110075;marta@example.com\n",
        encoding="utf-8",
    )
    sign_in(page, server, handle, handle.owner_email)
    page.click("nav >> text=Clients")
    page.click("text=Import")
    page.set_input_files("[data-testid=import-upload] input[type=file]", str(sheet))
    page.click("[data-testid=import-upload] button[type=submit]")
    page.wait_for_selector("[data-testid=import-mapping]")
    assert page.locator("select[aria-label='Телефон']").input_value() == "phones"

    page.click("[data-testid=import-mapping] button[value=check]")
    page.wait_for_selector("[data-testid=import-rejected]")
    rejected = page.locator("[data-testid=import-rejected]").inner_text()
    # Rows are numbered as in the spreadsheet (the header is row 1).
    assert "4\tPhones\tnot a phone is not a phone number." in rejected
    assert "5\tE-mails\tEnter a valid email address." in rejected
    page.click("button:has-text('Import the good rows')")
    page.wait_for_selector("[data-testid=import-progress][data-status=done]", timeout=30_000)
    assert "Rows that were not imported" in page.content()

    page.click("[data-testid=import-to-clients]")
    page.fill("[data-testid=client-search]", "0075")
    page.wait_for_selector("[data-testid=client-row] >> text=Лисенко Марта")
    with schema_context(handle.slug):
        from apps.clients.models import Client

        assert Client.objects.filter(phones__overlap=[f"+38050111007{n}" for n in (1, 2, 5)]).count() == 3
        assert not Client.objects.filter(surname__in=["Ткачук", "Савчук"]).exists()

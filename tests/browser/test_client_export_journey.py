"""In a real browser: search the client list, export what it shows, download the file; tick a client
and tag it from the bulk bar."""
import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import url
from tests.conftest import PASSWORD, unique_slug

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def create_client(page, surname: str, phone: str) -> None:
    page.click("nav >> text=Clients")
    page.click("text=New client")
    page.fill("#id_surname", surname)
    page.fill("#id_phones", phone)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/clients/\d+/$"))


def signup(page, server) -> None:
    """A company of its own (committed by the server thread), so no other test sees its clients."""
    slug = unique_slug("export")
    page.goto(url(server, "localhost", "/signup/"))
    page.fill("#id_company", "Export Windows")
    page.fill("#id_slug", slug)
    page.fill("#id_full_name", "Olha Owner")
    page.fill("#id_email", f"olha@{slug}.test")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    try:
        page.wait_for_url(re.compile(rf"http://{slug}\.localhost:\d+/$"), timeout=30_000)
    except Exception as exc:
        # A refused signup shows the form again: say what it said, not just "timeout".
        errors = page.locator(".form-error, .errorlist").all_inner_texts()
        raise AssertionError(f"signup as {slug!r} did not finish at {page.url}: {errors}") from exc


def test_export_the_searched_clients_then_tag_one_from_the_bulk_bar(live_server_url, page):
    signup(page, live_server_url)
    create_client(page, "Експортенко", "+380 67 555 70 01")
    create_client(page, "Лишній", "+380 67 555 70 02")

    page.click("nav >> text=Clients")
    page.fill("[data-testid=client-search]", "експорт")
    page.wait_for_selector("[data-testid=client-row] >> text=Експортенко")
    # Typed, not submitted: the Export button takes the filter form as it is now (hx-include).
    page.select_option("[data-testid=client-export] select[name=format]", "csv")
    page.click("[data-testid=client-export] button[type=submit]")
    page.wait_for_selector("[data-testid=export-progress][data-status=done]", timeout=30_000)
    with page.expect_download() as info:
        page.click("[data-testid=export-download]")
    content = open(info.value.path(), "rb").read()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert [row[3] for row in rows[1:]] == ["Експортенко"]

    page.click("nav >> text=Clients")
    page.fill("[data-testid=client-search]", "лишн")
    page.wait_for_selector("[data-testid=client-row] >> text=Лишній")
    # The row arrived by htmx; its checkbox still belongs to the bulk bar's form.
    page.check("[data-testid=client-row] >> [data-testid=client-select]")
    page.select_option("[data-testid=bulk-action]", "tag_add")
    page.fill("[data-testid=client-bulk] input[name=tag]", "постійний")
    page.click("[data-testid=bulk-apply]")
    page.wait_for_selector("text=1 of 1 selected client changed.")
    # The URL still reads "q=лишн" from the reload; search again by typing (htmx updates the
    # address), then act on everything the list now matches, not on what the page first loaded.
    page.fill("[data-testid=client-search]", "експорт")
    expect(page.locator("[data-testid=client-row]")).to_have_count(1)
    page.select_option("[data-testid=bulk-action]", "tag_add")
    page.fill("[data-testid=client-bulk] input[name=tag]", "усі-знайдені")
    page.check("[data-testid=bulk-all-matching]")
    page.click("[data-testid=bulk-apply]")
    page.wait_for_selector("text=1 of 1 selected client changed.")
    page.fill("[data-testid=client-search]", "")
    page.click("#client-filters summary")
    page.fill("[data-testid=filter-tag]", "усі-знайдені")
    page.click("[data-testid=filter-apply]")
    expect(page.locator("[data-testid=client-row]")).to_have_count(1)
    expect(page.locator("[data-testid=client-row]")).to_contain_text("Експортенко")

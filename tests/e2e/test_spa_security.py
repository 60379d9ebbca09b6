"""The Security page in real Chromium (issue 16): an admin opens it, follows a finding's fix link, fixes the
configuration on the page it leads to, and the finding is gone; mutes; the CORS tester; the home summary."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.spa import log_in, open_area, suffix

pytestmark = pytest.mark.e2e

ADVISOR_WAIT = 30_000  # the advisor asks every service's database, each within its own timeout


def finding(page: Page, finding_id: str):
    return page.locator(f'[data-testid="finding"][data-finding-id="{finding_id}"]')


def test_follow_a_fix_link_fix_it_and_the_finding_is_gone(page, spa, live_server, api, screens):
    path = f"api/v2/shop-{suffix()}/*"
    rule = api.post(f"{live_server.url}/api/v2/system/cors", json={"path": path, "origins": ["*"]}).json()
    finding_id = f"cors-any-origin:cors:{rule['id']}"
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Security")
    item = finding(page, finding_id)
    expect(item).to_be_visible(timeout=ADVISOR_WAIT)
    expect(item).to_contain_text("allows any origin")
    screens.snap("security")
    item.get_by_role("link", name="Fix: ").click()
    expect(page).to_have_url(f"{spa.url}#/cors/{rule['id']}/edit")
    # exact: until the form replaces the Security page, its fix links' labels also mention origins
    page.get_by_label("Origins", exact=True).fill("https://shop.example.com")
    screens.snap("fixing")
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_role("link", name="New rule")).to_be_visible()
    open_area(page, "Security")
    expect(page.get_by_role("heading", name="Security")).to_be_visible()
    expect(page.get_by_test_id("finding").first).to_be_visible(timeout=ADVISOR_WAIT)
    expect(finding(page, finding_id)).to_have_count(0)
    screens.snap("fixed")


def test_mute_with_a_reason_and_unmute(page, spa, live_server, api, screens):
    app = api.post(f"{live_server.url}/api/v2/system/app", json={"name": f"orphan-{suffix()}"}).json()
    finding_id = f"app-without-role:app:{app['id']}"
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Security")
    item = finding(page, finding_id)
    expect(item).to_be_visible(timeout=ADVISOR_WAIT)
    item.get_by_role("button", name="Mute…").click()
    item.get_by_label("Reason for muting").fill("kept for the migration")
    item.get_by_role("button", name="Mute", exact=True).click()
    expect(item).to_contain_text(
        f"Muted by {live_server.admin_email}: kept for the migration", timeout=ADVISOR_WAIT
    )
    screens.snap("muted")
    item.get_by_role("button", name="Unmute").click()
    expect(item.get_by_role("button", name="Mute…")).to_be_visible(timeout=ADVISOR_WAIT)
    api.delete(f"{live_server.url}/api/v2/system/app/{app['id']}")


def test_home_summarises_the_findings_and_the_inventory(page, spa, live_server, api, screens):
    # The advisor asks every service's database on each run, so two runs may differ (a check that timed
    # out is an info finding): the page is compared with the very answer it was given.
    with page.expect_response(
        lambda r: r.url.endswith("/api/v2/system/advisor"), timeout=ADVISOR_WAIT
    ) as got:
        log_in(page, spa.url, live_server, screens)
    report = got.value.json()
    expect(page.get_by_test_id("findings-high")).to_have_text(str(report["counts"]["high"]))
    expect(page.get_by_test_id("inventory-admins")).to_have_text(str(report["inventory"]["admins"]))
    expect(page.get_by_test_id("inventory-cors_rules")).to_have_text(str(report["inventory"]["cors_rules"]))
    screens.snap("home")


def test_the_cors_tester_names_the_deciding_rule(page, spa, live_server, screens):
    log_in(page, spa.url, live_server, screens)
    open_area(page, "CORS")
    tester = page.get_by_role("form", name="CORS tester")
    tester.get_by_label("Origin").fill(spa.origin)
    tester.get_by_label("Path").fill("/api/v2/system/service")
    tester.get_by_label("Method").select_option("POST")
    tester.get_by_label("Request headers").fill("Authorization, Content-Type")
    tester.get_by_role("button", name="Test").click()
    expect(page.get_by_test_id("cors-verdict")).to_contain_text("Allowed")
    expect(page.get_by_test_id("cors-deciding-rule")).to_contain_text("api/v2/*")
    expect(page.get_by_test_id("cors-verdict")).to_contain_text(f"Access-Control-Allow-Origin{spa.origin}")
    screens.snap("tester")
    tester.get_by_label("Origin").fill("https://evil.example.net")
    tester.get_by_role("button", name="Test").click()
    expect(page.get_by_test_id("cors-verdict")).to_contain_text("Refused")


def test_home_lists_the_last_audit_events_each_opening_the_audit_page(page, spa, live_server, api, screens):
    name = f"audited-{suffix()}"
    app = api.post(f"{live_server.url}/api/v2/system/app", json={"name": name}).json()
    log_in(page, spa.url, live_server, screens)
    recent = page.get_by_test_id("recent-audit")
    expect(recent.get_by_role("listitem")).to_have_count(5)  # logging in wrote one more: still the last 5
    # SQLite may give a new app the id of one an earlier test deleted: look for this app's creation.
    link = page.get_by_role("link", name=f"app #{app['id']}", exact=True)
    entry = recent.get_by_role("listitem").filter(has_text="create").filter(has=link)
    expect(entry).to_contain_text("create")
    expect(entry).to_contain_text(live_server.admin_email)
    screens.snap("home-audit")
    entry.get_by_role("link", name=f"app #{app['id']}", exact=True).click()
    expect(page).to_have_url(f"{spa.url}#/audit?resource_type=app&resource_id={app['id']}")
    table = page.get_by_role("table", name="Audit events")
    # The header and the app's events (an earlier app with the same id, if SQLite reused it, adds its own).
    expect(table.get_by_role("row").nth(1)).to_be_visible()
    expect(table).to_contain_text("create")
    api.delete(f"{live_server.url}/api/v2/system/app/{app['id']}")

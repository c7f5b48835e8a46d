"""axe-core on every HTML page and its states, at desk and phone widths: no serious or critical violation.

- The list of pages comes from the URL configuration: every URL pattern is either in PAGES (checked here) or
  answers a GET with something other than a 200 HTML page (POST-only actions, downloads, the JSON API) —
  a new page that is in neither fails `test_every_html_page_is_in_the_list`.
- A deliberately broken canary page proves axe is wired (it must report violations).
- axe does not check the contrast of input borders and highlights (WCAG 1.4.11, 3:1): measured here from
  computed styles.

axe-core comes from the npm registry into tests/browser/axe/node_modules (`make browser`); it is injected by
the test into the page and never served to users.
"""

from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import expect

from balances.directory.sync import rewalk
from balances.wix.connection import get_client
from sandbox import DEMO_MEMBER_ID, DEMO_POOL_ID
from tests.browser.conftest import PAGE_TIMEOUT_MS, log_in, screenshot

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1440, 390)
BLOCKING = ("serious", "critical")


def _patterns(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, prefix + str(p.pattern), namespace + (f"{p.namespace}:" if p.namespace else ""))
        elif isinstance(p, URLPattern):
            yield namespace + (p.name or ""), prefix + str(p.pattern)


SAMPLE = {
    "<uuid:member_id>": DEMO_MEMBER_ID,
    "<uuid:pool_id>": DEMO_POOL_ID,
    "<slug:category>": "out",
    "<int:entry_id>": "1",
    "<int:token_id>": "1",
    "<int:user_id>": "1",
    "<str:token>": "not-a-signed-token",
}


def _sample_url(route: str) -> str:
    for placeholder, value in SAMPLE.items():
        route = route.replace(placeholder, value)
    assert "<" not in route, route
    return "/" + route


# Every HTML page (URL name → the states it is checked in). States are set up by `_enter_state`.
PAGES = {
    "home": ["normal"],
    "members:list": ["normal", "empty", "panel open", "form error", "stale", "error"],
    "members:detail": ["normal", "error"],
    "members:adjust": ["normal", "form error"],
    "members:explain": ["normal"],
    "members:transactions": ["normal"],
    "members:attention": ["normal"],
    "audit:list": ["normal"],
    "api_tokens": ["normal"],
    "wix:settings": ["normal"],
    "staff:list": ["normal"],
    "ai:credits": ["normal"],
    "brevo:settings": ["normal"],
    "brevo:member": ["normal"],
    "jobs": ["normal"],
    "today": ["normal"],
    "members:drift": ["normal"],
    "members:drift_member": ["normal"],
    "activity": ["normal"],
    "digest:settings": ["normal"],
    "digest:preview": ["normal"],
    "password_change": ["normal"],
    "password_change_done": ["normal"],
    "login": ["normal", "form error"],
}


@pytest.fixture
def scheme(request):
    return getattr(request, "param", "light")


@pytest.fixture
def axe_page(browser, site, scheme):
    """A page of its own that may run the injected axe script (the site's CSP rightly forbids it otherwise), in the
    light or dark colour scheme (the stylesheet has both)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=site, bypass_csp=True, color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    yield page
    context.close()


def run_axe(page) -> list[dict]:
    page.evaluate(AXE.read_text())
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in BLOCKING]


def test_axe_is_wired_a_broken_canary_page_fails(axe_page):
    axe_page.set_content(
        """<!doctype html><html><head><title>Canary</title></head><body><main>
        <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
        <p style="color:#bbb;background:#fff">Pale text nobody can read</p>
        <input type="text"><button></button></main></body></html>"""
    )
    found = {v["id"] for v in blocking(run_axe(axe_page))}
    assert {"image-alt", "color-contrast", "label", "button-name"} <= found


def test_every_html_page_is_in_the_list(client, owner, wix):
    client.force_login(owner)
    missing = []
    for name, route in _patterns(get_resolver().url_patterns):
        if name in PAGES:
            continue
        response = client.get(_sample_url(route))
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            missing.append(f"{name} ({route})")
    assert not missing, f"HTML pages missing from PAGES in {__file__}: {', '.join(missing)}"
    names = {name for name, _ in _patterns(get_resolver().url_patterns)}
    assert set(PAGES) <= names


def _enter_state(page, name: str, state: str, url: str, wix) -> None:
    if name == "login":
        page.context.clear_cookies()
        page.goto(url)
        if state == "form error":
            page.fill("input[name=username]", "nobody")
            page.fill("input[name=password]", "wrong")
            page.click("button[type=submit]")
            expect(page.locator("main .errorlist, main .banner-error, main [role=alert]").first).to_be_visible()
        return
    if state == "normal":
        page.goto(url)
        if name == "home":
            expect(page.locator(".attention-grid, .banner-stale").first).to_be_visible()
        return
    if state == "empty":
        page.goto(url + "?q=zzzz-no-such-member")
        expect(page.locator("td.empty")).to_be_visible()
    elif state == "panel open":
        page.goto(url + "?q=Maya")
        page.locator(f"a.member-link[href$='{DEMO_MEMBER_ID}/']").first.click()
        expect(page.locator("#panel .panel-heading")).to_be_focused()
        page.locator("#panel a.quick-btn").first.click()  # the quick reason picker open too
        expect(page.locator(".reason-picks button").first).to_be_visible()
    elif state == "form error" and name == "members:list":
        page.goto(url + "?size=7")
        expect(page.locator("main .banner-error")).to_be_visible()
    elif state == "form error" and name == "members:adjust":
        page.goto(url)
        page.get_by_label("Credits").fill("1e9")
        page.get_by_label("Reason (required)").fill("Checking the form's errors")
        page.locator("form.adjust-form button[type=submit]").click()
        expect(page.get_by_role("alert").first).to_be_visible()
    elif state == "stale":
        page.goto(url)  # a good copy in the cache …
        wix.faults.script("status", times=200, status=503, path_prefix="/members")
        page.goto(url + "?refresh=1")  # … shown marked stale when Wix fails
        expect(page.locator(".banner-stale")).to_be_visible()
    elif state == "error":
        cache.clear()
        wix.faults.script("status", times=200, status=503, path_prefix="/members")
        page.goto(
            url + ("?q=Maya" if name == "members:list" else "").replace(DEMO_MEMBER_ID, "00000000-0000-4000-8000-000000000000")
        )
        if name == "members:detail":
            page.goto(url.replace(DEMO_MEMBER_ID, "00000000-0000-4000-8000-000000000000"))
        expect(page.locator("main .banner-error").first).to_be_visible()
    else:
        raise AssertionError(f"no set-up for {name} / {state}")


# Dark mode at desk width only: the layout is the same in both schemes, only the colours change.
@pytest.mark.parametrize(("width", "scheme"), [(1440, "light"), (390, "light"), (1440, "dark")], indirect=["scheme"])
def test_no_serious_or_critical_violations_on_any_page_or_state(axe_page, wix, width, scheme):
    rewalk(get_client())
    axe_page.set_viewport_size({"width": width, "height": 900})
    routes = dict(_patterns(get_resolver().url_patterns))
    found = {}
    for name, states in PAGES.items():
        for state in states:
            if name != "login":
                if not axe_page.context.cookies():
                    log_in(axe_page, "Owner")
            url = _sample_url(routes[name])
            _enter_state(axe_page, name, state, url, wix)
            problems = blocking(run_axe(axe_page))
            if problems:
                found[f"{name} [{state}]"] = [f"{v['id']} ({v['impact']}): {v['nodes']}" for v in problems]
            wix.faults.reset()
    assert found == {}


# An expression calling the measuring function (comments dropped), for page.evaluate.
CONTRAST = "".join(
    line for line in (Path(__file__).resolve().parent / "contrast.js").read_text().splitlines(True) if not line.startswith("//")
)
CONTRAST = f"{CONTRAST.strip()}()"


@pytest.mark.parametrize("width", WIDTHS)
def test_input_borders_and_highlights_have_3_to_1_contrast(page, wix, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "Owner")
    measured = []
    for url in ("/members/?q=Maya", "/", "/settings/", "/staff/", f"/members/{DEMO_MEMBER_ID}/pools/{DEMO_POOL_ID}/adjust/"):
        page.goto(url)
        if width == 390 and url == "/":
            page.get_by_role("button", name="Menu").click()
        measured += page.evaluate(CONTRAST)
    kinds = {what.split()[0] for what, _ in measured}
    assert {"border", "low", "active"} <= kinds  # each kind was found and measured
    weak = [(what, round(value, 2)) for what, value in measured if value < 3]
    assert weak == []
    if width == 1440:
        screenshot(page, "adjust-form")

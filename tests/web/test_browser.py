"""The dashboard in a real browser: Debian's chromium driven by Playwright.

One test, on purpose (a browser costs seconds): the app is served by uvicorn on
a free loopback port inside the test; a coordinator logs in with a link, opens
the overview and a chart page at a phone's size, downloads the Excel export and
opens it; a dialogue is walked in the preview and its diagram is on screen; a
coordinator of a larger organisation sees where people drop off; and a trainer
gives feedback. Set STRAATWIJS_SCREENSHOT=path.png to keep a screenshot of that
larger organisation's overview (docs/dashboard-coordinator.png is its top 1400 pixels).
"""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from openpyxl import load_workbook
from starlette.applications import Starlette

from bot.bootstrap import App
from tests.web.conftest import World, link_for
from tests.web.test_disclosure import NEVER, City, Member, build_city, oost, west

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
#: Members of the larger organisation who never started anything.
AWAY = [Member("oost", NEVER)] * 5
#: Runs of more exercises for the larger organisation, so its overview has figures
#: in every training part: dialogue -> (members who started, who finished).
MORE = {
    "drijfveren": ([*range(22), 30, 31], range(14)),
    "beroepsgeheim": (range(20, 42), range(20, 34)),
    "outreachend": (range(16), range(9)),
    "aannames": (range(10, 36), range(10, 28)),
    "rugdekking": (range(10), range(5)),
    "haven": (range(3, 21), range(3, 11)),
    "zolder": (range(25, 41), range(25, 33)),
    "bankpas": (range(12), range(6)),
    "futsal": (range(30, 42), range(30, 38)),
}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="chromium is not installed (apt-get install -y chromium)"
)


async def serve(web: Starlette) -> tuple[Any, asyncio.Task[None], str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(web, log_level="warning", lifespan="off", ws="none", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    assert server.started
    return server, task, f"http://127.0.0.1:{port}"


@pytest.mark.slow
async def test_both_roles_in_a_real_browser(
    app: App, web: Starlette, world: World, tmp_path: Path
) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    server, task, base = await serve(web)
    try:
        async with playwright_api.async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                context = await browser.new_context(
                    viewport=PHONE, is_mobile=True, has_touch=True, accept_downloads=True
                )
                page = await context.new_page()
                await coordinator(page, base, app, world, tmp_path)
                city = await build_city(
                    app, [*west(), *oost(), *AWAY], {"rita": ("west", "oost")}, others=MORE
                )
                await drop_offs(page, base, app, city)  # a new login replaces the session
                await trainer(page, base, app, world)
                await context.close()
            finally:
                await browser.close()
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def coordinator(page: Any, base: str, app: App, world: World, tmp_path: Path) -> None:
    await page.goto(base + await link_for(app, world.people["cora"]))
    await page.get_by_role("button", name="Inloggen").click()
    await page.wait_for_url(base + "/")
    await page.get_by_role("link", name="Amsterdam").click()
    await page.wait_for_url(f"{base}/orgs/{world.orgs['amsterdam']}")
    charts = page.locator("svg.chart")
    assert await charts.count() >= 3
    box = await charts.first.bounding_box()
    assert box is not None
    assert 0 < box["width"] <= PHONE["width"]
    # Readable on a phone: nothing wider than the screen.
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]

    # A chart page of one exercise, with its text alternative.
    await page.goto(f"{base}/orgs/{world.orgs['amsterdam']}/exercises/scooter")
    chart = page.get_by_role("img").first
    assert "Begonnen" in (await chart.locator("desc").text_content() or "")
    assert await page.locator("td.num").count() > 0

    # The Excel export opens with openpyxl.
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="Excel").first.click()
    download = await waiting.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    book = load_workbook(saved)
    assert book.sheetnames[-1] == "Toelichting"
    header = next(book["Stappen"].iter_rows(values_only=True))
    assert header == ("Eenheid", "Stap", "Bereikt", "Afgehaakt", "Afgehaakt sinds")

    # The preview, walked by tapping buttons.
    await page.goto(f"{base}/preview/scooter")
    await page.locator("a.key", has_text="3").click()
    await page.locator("a.key").first.click()  # continue
    options = page.locator("a.key:not(.nav)")
    assert await options.count() == 3
    chosen = (await options.nth(2).text_content() or "").strip()
    await options.nth(2).click()
    assert chosen in (await page.locator(".bubble.me").last.text_content() or "")

    # Its diagram: drawn on the server, visible, the current state marked; wider
    # than a phone, it scrolls in its own box and the page stays phone-wide.
    diagram = page.locator("svg.flow")
    await diagram.scroll_into_view_if_needed()
    assert await diagram.is_visible()
    assert await page.locator("svg.flow g.node").count() == len(
        app.engine.dialogue("scooter").spec.states
    )
    current = page.locator("svg.flow g.node.current")
    assert await current.get_attribute("data-state") == "gevolg_melden"  # the third option
    box = await current.bounding_box()
    assert box is not None
    assert box["width"] > 100  # drawn at its own size, text readable
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


async def drop_offs(page: Any, base: str, app: App, city: City) -> None:
    """A coordinator of an organisation large enough for figures: the overview, and
    the exercise page's drop-off chart with its text alternative."""
    await page.goto(base + await link_for(app, city.people["rita"]))
    await page.get_by_role("button", name="Inloggen").click()
    await page.wait_for_url(base + "/")
    await page.goto(f"{base}/orgs/{city.org}")
    assert await page.locator("td.num").count() > 0
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if target := os.environ.get("STRAATWIJS_SCREENSHOT"):
        await page.screenshot(path=target, full_page=True)
    await page.goto(f"{base}/orgs/{city.org}/exercises/scooter")
    drops = page.get_by_role("img", name="Waar haken mensen af?")
    assert await drops.is_visible()
    described = await drops.locator("desc").text_content() or ""
    assert "Wat doe je, daar en in de uren erna?" in described  # a step named by its question
    assert "Afgemaakt: " in described


async def trainer(page: Any, base: str, app: App, world: World) -> None:
    await page.goto(base + await link_for(app, world.people["tess"]))
    await page.get_by_role("button", name="Inloggen").click()
    await page.wait_for_url(base + "/")
    await page.goto(f"{base}/groups/{world.groups['noord']}/members/{world.people['p1']}")
    await page.locator("details.feedback-form summary").last.click()
    await page.locator("details.feedback-form[open] textarea").fill("Goed benoemd!")
    await page.locator("details.feedback-form[open] button").click()
    await page.wait_for_selector("p.notice")
    assert "Goed benoemd!" in await page.content()

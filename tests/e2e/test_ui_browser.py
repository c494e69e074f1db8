"""``spreadsim ui`` end to end: the real server, driven by Playwright in Debian's chromium.

One server (``spreadsim ui`` on a free loopback port, default scenario) serves every test of
this module. The browser runs headless with no network of its own: every request to an address
other than the loopback one is logged and aborted, and the test fails if there was any. Requests
the server makes on the browser's behalf (Solara fetches front-end files missing from
``<venv>/share/solara/cdn/`` from a CDN) are caught by checking that every asset answered 200
from the venv and that no file was added to that folder.

Screenshots go to a temporary folder (printed, and kept by pytest for the last three runs).
Timing: the step latency (click to the redrawn network) is measured and printed; the only
assertion on it is a loose ceiling (5 s median) that a broken render would exceed, since exact
speeds belong to benchmarks, not tests.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from spreadsim.cli.ui import ASSET_FOLDERS

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CDN = Path(sys.prefix) / "share" / "solara" / "cdn"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
START_TIMEOUT_S = 90
MONTHS = 84  # horizon of scenarios/default_hub.toml
GREY = {"#d9d9d9", "#ffffff"}  # unaware and not-eligible fills


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serving(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _cdn_files() -> set[Path]:
    return {p for p in CDN.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """``spreadsim ui`` (default scenario) on a free loopback port; yields its URL."""
    missing = [name for name in ASSET_FOLDERS if not (CDN / name).is_dir()]
    assert not missing, f"UI assets missing from {CDN}: {missing}; run scripts/install_ui_assets.sh"
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "spreadsim", "ui", "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    start = time.monotonic()
    try:
        while not _serving(port):
            if proc.poll() is not None:
                pytest.fail(f"spreadsim ui exited with {proc.returncode}:\n{proc.stdout.read()}")
            if time.monotonic() - start > START_TIMEOUT_S:
                pytest.fail(f"spreadsim ui did not serve within {START_TIMEOUT_S} s")
            time.sleep(0.25)
        print(f"\nserver up in {time.monotonic() - start:.1f} s on port {port}")
        yield f"http://127.0.0.1:{port}/"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        proc.stdout.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's chromium through Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium not found on PATH: apt-get install chromium (.ci/run does this)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost" or not host:
        return url.startswith(("data:", "blob:", "about:")) or host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class PageLog:
    """Requests leaving the machine (aborted) and failed asset responses."""

    def __init__(self) -> None:
        self.outside: list[str] = []
        self.bad_assets: list[tuple[int, str]] = []
        self.errors: list[str] = []

    def route(self, route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if _is_loopback(url) or url.startswith(("data:", "blob:")):
            route.continue_()  # type: ignore[attr-defined]
        else:
            self.outside.append(url)
            route.abort()  # type: ignore[attr-defined]

    def response(self, response: object) -> None:
        url, status = response.url, response.status  # type: ignore[attr-defined]
        if "/_solara/cdn/" in url and status != 200:
            self.bad_assets.append((status, url))


def _network_fills(page: object) -> list[str]:
    """Fill colours of the provider circles in the network chart."""
    return page.locator(".vega-embed").first.evaluate(  # type: ignore[attr-defined]
        "el => Array.from(el.querySelectorAll('g.providers_marks path'))"
        ".map(p => (p.getAttribute('fill') || '').toLowerCase())")


def _area_shapes(page: object) -> list[str]:
    """Outlines of the stacked areas in the adoption chart."""
    return page.locator(".vega-embed").nth(1).evaluate(  # type: ignore[attr-defined]
        "el => Array.from(el.querySelectorAll('g.states_marks path'))"
        ".map(p => p.getAttribute('d'))")


def _shown_month(page: object) -> int:
    text = page.get_by_text("Time: ").inner_text()  # type: ignore[attr-defined]
    return int(float(text.split()[1]))


def _wait_month(page: object, month: int) -> None:
    page.get_by_text(f"Time: {month}.0", exact=True).wait_for(timeout=20_000)  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "m => Array.from(document.querySelectorAll('.vega-embed svg text'))"
        ".some(t => t.textContent.includes(m))", arg=f"month {month} of {MONTHS}",
        polling="raf", timeout=20_000)


def test_page_renders_steps_and_changes_offline(server: str, browser: object,
                                                tmp_path_factory: pytest.TempPathFactory
                                                ) -> None:
    shots = tmp_path_factory.mktemp("ui_screenshots")
    before_files = _cdn_files()
    log = PageLog()
    context = browser.new_context(viewport={"width": 1600, "height": 1000})  # type: ignore[attr-defined]
    context.route("**/*", log.route)
    page = context.new_page()
    page.on("response", log.response)
    page.on("pageerror", lambda exc: log.errors.append(str(exc)))
    t0 = time.perf_counter()
    page.goto(server)
    _wait_month(page, 0)
    print(f"first render {time.perf_counter() - t0:.1f} s")

    # renders: three charts, the guide, no error box
    assert page.locator(".vega-embed").count() == 3
    page.get_by_text("What you see.").wait_for()
    assert page.locator(".v-alert.error").count() == 0
    assert "Traceback" not in page.inner_text("body")
    fills0, areas0 = _network_fills(page), _area_shapes(page)
    assert len(fills0) >= 55 and set(fills0) <= GREY, "month 0: every provider unaware"
    page.screenshot(path=shots / "ui_month0.png")

    # a slider: 3 -> 5 core FTE, then Reset rebuilds the model with it
    slider = page.get_by_role("slider", name="Hub core staff (FTE)")
    assert slider.get_attribute("aria-valuenow") == "3"
    slider.focus()
    for _ in range(4):
        slider.press("ArrowRight")
    assert slider.get_attribute("aria-valuenow") == "5"
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("hub 5 core + 1 in-kind FTE").wait_for(timeout=20_000)

    # step several times; each step must redraw the network
    latencies = []
    for month in range(1, 7):
        start = time.perf_counter()
        page.get_by_role("button", name="Step").click()
        _wait_month(page, month)
        latencies.append(time.perf_counter() - start)
    print("step latencies (s): " + ", ".join(f"{t:.2f}" for t in latencies)
          + f"; median {statistics.median(latencies):.2f}")
    page.wait_for_timeout(300)  # let the debounced charts settle before reading them
    fills6, areas6 = _network_fills(page), _area_shapes(page)
    assert set(fills6) - GREY, "after 6 months some providers are aware or further"
    assert areas6 != areas0, "the adoption curve has not changed"
    page.screenshot(path=shots / "ui_month6.png")

    # the innovation shown is a view setting: it redraws without a reset
    page.locator(".v-select", has_text="Innovation shown").locator(".v-select__slot").click()
    page.get_by_role("option", name="care home hydration pathway").click()
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.vega-embed svg text'))"
        ".some(t => t.textContent.includes('care home hydration pathway: month 6'))",
        timeout=20_000)
    page.screenshot(path=shots / "ui_second_innovation.png")

    # back to the scenario's 3 core FTE, Reset, then play (one step per ~0.1 s) past the end of
    # the hub's funding, and pause
    page.get_by_role("option", name="care home hydration pathway").wait_for(state="hidden")
    page.locator(".v-select", has_text="Innovation shown").locator(".v-select__slot").click()
    page.get_by_role("option", name="digital remote monitoring").click()
    page.get_by_role("option", name="digital remote monitoring").wait_for(state="hidden")
    slider.focus()
    for _ in range(4):
        slider.press("ArrowLeft")
    assert slider.get_attribute("aria-valuenow") == "3"
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("hub 3 core + 1 in-kind FTE").wait_for(timeout=20_000)
    _wait_month(page, 0)
    interval = page.get_by_role("slider", name="Play Interval (ms)")
    interval.focus()
    interval.press("Home")  # 1 ms: the server would outrun the browser; 101 ms is brisk
    for _ in range(10):
        interval.press("ArrowRight")
    assert interval.get_attribute("aria-valuenow") == "101"
    page.get_by_role("button", name="▶").click()
    page.wait_for_function(
        "() => { const m = document.body.innerText.match(/Time: (\\d+)\\.0/);"
        " return m && Number(m[1]) >= 33; }", timeout=40_000)
    page.get_by_role("button", name="❚❚").click()
    page.get_by_role("button", name="Step").wait_for()  # enabled again once paused
    readings = [_shown_month(page)]
    for _ in range(12):  # the page may still be drawing steps taken before the pause
        page.wait_for_timeout(700)
        readings.append(_shown_month(page))
        if readings[-1] == readings[-2]:
            break
    month = readings[-1]
    assert readings[-1] == readings[-2], f"still stepping after pause: months {readings}"
    assert month >= 33
    _wait_month(page, month)
    page.screenshot(path=shots / "ui_after_funding.png")
    print(f"played to month {month}; screenshots in {shots}")

    assert statistics.median(latencies) < 5.0
    assert not log.errors, f"JavaScript errors: {log.errors}"
    assert not log.outside, f"requests to the internet: {log.outside}"
    assert not log.bad_assets, f"front-end files not served from the venv: {log.bad_assets}"
    assert _cdn_files() == before_files, "the server fetched front-end files from the internet"
    context.close()


def _non_loopback_addresses() -> list[str]:
    """This machine's addresses other than loopback (from `hostname -I` and the resolver)."""
    found: set[str] = set()
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5)
        found.update(out.stdout.split())
    except (OSError, subprocess.SubprocessError):
        pass
    with contextlib.suppress(OSError):
        found.update(info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None))
    usable = []
    for text in found:
        try:
            address = ipaddress.ip_address(text.split("%")[0])
        except ValueError:
            continue
        if not (address.is_loopback or address.is_link_local or address.is_unspecified):
            usable.append(str(address))
    return sorted(usable)


def _refused(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(3)
        try:
            s.connect((host, port))
        except (ConnectionRefusedError, TimeoutError, OSError):
            return True
    return False


def test_server_is_not_reachable_beyond_loopback(server: str) -> None:
    """Bound to 127.0.0.1 only: the machine's other addresses refuse the connection.

    127.0.0.2 (loopback, but not the bound address) is checked too: a server listening on every
    interface (0.0.0.0) would accept it, so the check means something even on a machine with no
    network address at all. A machine with none fails loudly instead of passing on 127.0.0.2
    alone.
    """
    port = urlsplit(server).port
    assert port is not None
    assert not _refused("127.0.0.1", port), "control: the server must answer on 127.0.0.1"
    assert _refused("127.0.0.2", port), "listening beyond 127.0.0.1 (answers on 127.0.0.2)"
    addresses = _non_loopback_addresses()
    assert addresses, ("this machine has no non-loopback address to test from; the 127.0.0.2 "
                       "check above passed, but run this test on a machine with a network")
    reachable = [a for a in addresses if not _refused(a, port)]
    assert not reachable, f"the app answers on non-loopback addresses: {reachable}"

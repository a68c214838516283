"""Start the app with `streamlit run` and drive it in Debian's Chromium with Playwright.

Shared by the browser tests (tests/test_browser.py) and the start-up benchmark
(bench/app_startup.py). Chromium comes from apt (/usr/bin/chromium); `playwright
install` cannot download browsers on machines without internet.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
# The script is idle and the browser has drawn what it sent: Streamlit loads a chart's code (Plotly: 4.7 MB) only
# when a page first shows one, and holds a skeleton in its place meanwhile.
DRAWN = f"""() => document.querySelector('{IDLE}') !== null
  && document.querySelector('[data-testid=stSkeleton]') === null
  && [...document.querySelectorAll('[data-testid=stPlotlyChart]')].every(c => c.querySelector('.main-svg'))"""
SERVER_PIDS: dict[str, int] = {}  # base URL -> the running server's process id (for its memory use)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(script: str | Path = ROOT / "app.py", env: dict | None = None, timeout: float = 90):
    """Run `streamlit run script` on a free loopback port (the app through its launcher, ui.serve, as `make run`
    does); yield its base URL."""
    port = free_port()
    run = ["-m", "ui.serve"] if Path(script).resolve() == ROOT / "app.py" else ["-m", "streamlit", "run", str(script)]
    cmd = [
        sys.executable,
        *run,
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]  # the rest, file watcher included, from .streamlit/config.toml
    log = open(os.environ.get("STREAMLIT_LOG", os.devnull), "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    SERVER_PIDS[url] = proc.pid
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with status {proc.returncode}")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("streamlit did not become healthy")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished the current script run."""
    page.wait_for_timeout(150)
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_timeout(100)
    page.wait_for_selector(IDLE, timeout=timeout)

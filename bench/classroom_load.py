"""A class on one server: N simulated students in Chromium, one of them training.

One `streamlit run app.py` (the project's own .streamlit/config.toml) on the shipped
models. Each student is its own browser context: it opens the app, then visits every
page in its own random order by clicking the sidebar link, and on the latent map
picks t-SNE. A page render is timed from the click until the script is idle, the
page's heading shows and every element is drawn: no skeleton left (Streamlit loads an
element's code the first time a page shows one) and every chart drawn. Meanwhile one
more student starts a training from the Train page and watches its progress bar: its
page notes each change of the bar's text.

The floor, in the same run: the same N students on a bare replay of the same pages
(bench/class_reference.py: every element and figure that app.py showed, drawn again by
a server of its own that does no work), while the trainer trains on app.py beside them
as before. The two runs differ only in the server that draws the students' pages: what
the replay takes is what Streamlit, the simulated browsers and the training alone take
on this machine.

Printed for each N: median, p95 and maximum render, errors (an exception box or a
timeout), the server's peak RSS (VmHWM) and that of the trainings and their fork server,
the trainer's largest gap between progress updates (with the two texts around it), and
where the CPU went while the class browsed: the server, the training, each kind of
Chromium process, Playwright. Then app.py's median and p95 over the replay's.

    .venv/bin/python -m bench.classroom_load --students 1 10 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.browser import CHROMIUM, CHROMIUM_ARGS, DRAWN, IDLE, ROOT, SERVER_PIDS, streamlit_server
from ui.navigation import NAVIGATION

HEADINGS = {  # each page's st.title, where it differs from its sidebar title
    "home": "VAE latent-space explorer",
    "train": "Train a VAE",
    "strong_decoders": "Strong decoders ignore z",
    "text_decoders": "Text VAEs ignore z",
}
PAGES = [
    (key, title, HEADINGS.get(key, title))  # page (ui.navigation.PAGE), sidebar title, heading; the sidebar's order
    for entries in NAVIGATION.values()
    for key, title, _ in entries
]
TIMEOUT_MS = 120_000


async def idle(page, timeout=TIMEOUT_MS) -> None:
    await page.wait_for_timeout(150)
    await page.wait_for_selector(IDLE, timeout=timeout)
    await page.wait_for_timeout(100)
    await page.wait_for_selector(IDLE, timeout=timeout)


async def drawn(page, timeout=TIMEOUT_MS) -> None:
    """Idle, and every chart on the page drawn."""
    await idle(page, timeout)
    await page.wait_for_function(DRAWN, polling=100, timeout=timeout)


async def student(browser, url: str, seed: int, renders: list, errors: list) -> None:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await ctx.new_page()
    try:
        t = time.perf_counter()
        await page.goto(url, timeout=TIMEOUT_MS)  # Playwright's default is 30 s; a timeout here means 120 s
        await drawn(page)
        await page.get_by_role("heading", name=PAGES[0][2]).first.wait_for(timeout=TIMEOUT_MS)
        renders.append(("open", time.perf_counter() - t))
        order = PAGES[1:]
        random.Random(seed).shuffle(order)
        for _, label, heading in order:
            t = time.perf_counter()
            await page.locator("[data-testid=stSidebarNav]").get_by_text(label, exact=True).click(timeout=TIMEOUT_MS)
            await drawn(page)
            await page.get_by_role("heading", name=heading).first.wait_for(timeout=TIMEOUT_MS)
            if label == "Latent map":
                await (
                    page.locator("[data-testid=stSelectbox]")
                    .filter(has_text="projection")
                    .first.click(timeout=TIMEOUT_MS)
                )
                await page.get_by_role("option", name="TSNE", exact=True).click(timeout=TIMEOUT_MS)
                await drawn(page)
            renders.append((label, time.perf_counter() - t))
            if await page.locator("[data-testid=stException]").count():
                errors.append(f"student {seed}: exception on {label}")
    except Exception as e:  # noqa: BLE001 - a timeout is a result here
        errors.append(f"student {seed}: {type(e).__name__}: {str(e).splitlines()[0][:120]}")
    finally:
        await ctx.close()


# In the trainer's page: the time (ms since the epoch) and text of each change of the progress bar's text, noted by
# the page itself when its DOM changes. Polling from Playwright would add the loaded browser's round trips to the gaps.
WATCH_PROGRESS = """() => {
  window.__progress = [];
  const note = () => {
    const bar = document.querySelector('[data-testid=stProgress]');
    const last = window.__progress[window.__progress.length - 1];
    if (bar && (!last || last[1] !== bar.innerText)) window.__progress.push([Date.now(), bar.innerText]);
  };
  new MutationObserver(note).observe(document.body, {subtree: true, childList: true, characterData: true});
  note();
}"""


async def trainer(browser, url: str, stop: asyncio.Event, updates: list, notes: list) -> None:
    """Start a training (digits, 32-unit MLP, 4,000 epochs: longer than the browsing, also at N = 20) and record
    when the progress text changes (wall-clock seconds, text)."""
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await ctx.new_page()
    try:
        await page.goto(
            f"{url}/train?dataset=digits&hidden=32&latent_dim=2&epochs=4000&batch_size=64", timeout=TIMEOUT_MS
        )
        await idle(page)
        await page.get_by_label("Model name", exact=True).fill("load-trainer")
        await page.get_by_label("Model name", exact=True).press("Enter")
        await idle(page)
        await page.get_by_role("button", name="Start training").click()
        bar = page.locator("[data-testid=stProgress]")
        try:
            await bar.wait_for(timeout=TIMEOUT_MS)
        except Exception:  # noqa: BLE001 - say why: refused (over the budget) or still queued
            said = await page.locator("[data-testid=stAlert]").all_inner_texts()
            raise RuntimeError(f"no progress bar; the page says {said}") from None
        await page.evaluate(WATCH_PROGRESS)
        await stop.wait()
        seen = await page.evaluate("window.__progress")
        updates += [(t / 1000, text) for t, text in seen]
        notes.append(seen[-1][1] if seen else "")
        if not await bar.count():
            notes.append("the training had ended before the class did: its gaps cover part of the class only")
    except Exception as e:  # noqa: BLE001
        notes.append(f"trainer: {type(e).__name__}: {str(e).splitlines()[0][:120]}")
        await page.screenshot(path=str(Path(tempfile.gettempdir()) / "classroom-trainer-error.png"), full_page=True)
    finally:
        await ctx.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_quiet(pid: int, below: float = 0.1, window: float = 2.0, timeout: float = 300) -> float:
    """Wait until the server uses less than ``below`` of a core over ``window`` s (its start-up warm-up done)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        a = cpu_seconds(pid)
        time.sleep(window)
        if (cpu_seconds(pid) - a) / window < below:
            break
    return time.perf_counter() - t0


def busy_cpu() -> float:
    """CPU seconds the whole machine has been busy (all cores; /proc/stat less idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def process_kind(pid: int, server: int, trainers_server: int | None = None) -> str | None:
    """Which part of the class a process is: the server of the students' pages, the trainer's server when that is
    another, a Chromium process by its --type, Playwright's driver or this bench; None for anything else."""
    if pid == server:
        return "server"
    if pid == trainers_server and pid != server:
        return "trainer's server (app.py)"
    if pid == os.getpid():
        return "bench (Python)"
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").split()  # Chromium
        # writes its whole command line into argv[0], separated by spaces
    except OSError:
        return None
    exe = argv[0].decode(errors="replace")
    if "chrom" in exe:
        kind = next((a.decode()[7:] for a in argv if a.startswith(b"--type=")), "browser")
        return f"Chromium {kind}"
    if exe.endswith("node") and any(b"playwright" in a for a in argv):
        return "Playwright driver"
    if any(b"vae.service.worker" in a or b"multiprocessing" in a for a in argv):
        return "training processes"
    return None


class CpuSampler:
    """CPU seconds by process kind over a window. Chromium starts and ends a renderer per browser context, so
    every process is sampled every half second and its last reading kept."""

    def __init__(self, server: int, trainers_server: int | None = None):
        self.server, self.trainers_server, self.first, self.last = server, trainers_server, {}, {}
        self._stop = threading.Event()
        self._read()
        self.first = dict(self.last)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            pid = int(d.name)
            try:
                kind = self.last[pid][0] if pid in self.last else process_kind(pid, self.server, self.trainers_server)
                if kind is not None:
                    self.last[pid] = (kind, cpu_seconds(pid))
            except (OSError, IndexError, ValueError):
                pass

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._read()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        self._read()
        used: dict[str, float] = {}
        for pid, (kind, t) in self.last.items():
            used[kind] = used.get(kind, 0.0) + t - self.first.get(pid, (kind, 0.0))[1]
        return dict(sorted(used.items(), key=lambda kv: -kv[1]))


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``: children of each of its threads (a training's fork server is started from a
    queue thread), their children (the trainings), and so on."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        for kid in kids:
            found += [kid, *descendants(kid)]
    return found


def peak_rss_mb(pid: int) -> tuple[float, list[float]]:
    """The peak resident set (VmHWM) of the server process and of each process below it (the trainings' fork
    server, then the trainings), in MB. A training shares its parent's pages (torch's libraries) until it
    writes them, so the sum overstates the memory used."""

    def hwm(p: int) -> float:
        try:
            m = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{p}/status").read_text())
        except OSError:
            return 0.0
        return int(m.group(1)) / 1024 if m else 0.0

    return hwm(pid), [hwm(c) for c in descendants(pid)]


def training_clock(texts: str) -> str:
    """How far the training's own clock ("epoch 140.0 of 4000 · 17 s · ...") moved across a gap: as far as the
    wall clock when the training kept running and only the browser drew late."""
    seconds = [int(m) for m in re.findall(r"of \d+ · (\d+) s", texts)]
    return f"(the training's clock moved {seconds[1] - seconds[0]} s)" if len(seconds) == 2 else ""


async def one_class(n: int, folder: Path, class_folder: Path, replayed: Path | None = None) -> dict:
    """N students on app.py while one more trains on it. Given ``replayed`` (bench.class_reference's capture): the
    N students browse the bare replay of its pages instead, on a server of its own, and the training runs on app.py
    beside them as before, so that the two runs differ only in the server that draws the students' pages."""
    from playwright.async_api import async_playwright

    shutil.rmtree(class_folder, ignore_errors=True)
    env = {"VAE_CHECKPOINTS": str(folder), "VAE_CLASS_MODELS": str(class_folder)}
    with contextlib.ExitStack() as servers:
        app_url = url = servers.enter_context(streamlit_server(env=env))
        if replayed is not None:
            url = servers.enter_context(
                streamlit_server(ROOT / "bench" / "class_reference.py", env={"CLASS_REFERENCE_PAGES": str(replayed)})
            )
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            teacher = await browser.new_page()  # the first session starts the app's warm-up...
            await teacher.goto(app_url)
            await idle(teacher)
            await teacher.close()
            warm = wait_until_quiet(SERVER_PIDS[app_url])  # ...which the teacher's server finishes before class
            renders, errors, updates, notes = [], [], [], []
            stop = asyncio.Event()
            train_task = asyncio.create_task(trainer(browser, app_url, stop, updates, notes))
            await asyncio.sleep(3)
            t0, t0_wall = time.perf_counter(), time.time()
            pid = SERVER_PIDS[url]
            busy0, sampler = busy_cpu(), CpuSampler(pid, SERVER_PIDS[app_url])
            await asyncio.gather(*(student(browser, url, s, renders, errors) for s in range(n)))
            browse_end, end_wall = time.perf_counter(), time.time()
            busy, by_kind = busy_cpu() - busy0, sampler.stop()
            stop.set()
            await train_task
            await browser.close()
        rss, _ = peak_rss_mb(SERVER_PIDS[url])  # before the servers stop
        _, rss_kids = peak_rss_mb(SERVER_PIDS[app_url])
    times = sorted(t for _, t in renders)
    gaps = [
        (b - a, f"{ta!r} -> {tb!r}") for (a, ta), (b, tb) in zip(updates, updates[1:]) if a >= t0_wall and b <= end_wall
    ]
    per_page: dict[str, list[float]] = {}
    for label, t in renders:
        per_page.setdefault(label, []).append(t)
    return {
        "n": n,
        "app": "app.py" if replayed is None else "bare replay",
        "renders": len(times),
        "median": statistics.median(times) if times else float("nan"),
        "p95": times[min(len(times) - 1, int(0.95 * len(times)))] if times else float("nan"),
        "max": times[-1] if times else float("nan"),
        "errors": errors,
        "timeouts": sum("Timeout" in e for e in errors),
        "rss_mb": rss,
        "rss_training_mb": rss_kids,
        "updates": len(updates),
        "max_gap": max(gaps)[0] if gaps else float("nan"),
        "max_gap_texts": max(gaps)[1] if gaps else "",
        "median_gap": statistics.median(g for g, _ in gaps) if gaps else float("nan"),
        "trainer": notes,
        "per_page": {k: statistics.median(v) for k, v in per_page.items()},
        "warm_up": warm,
        "browse_s": browse_end - t0,
        "busy_cpu": busy,
        "cpu_by_kind": by_kind,
    }


def capture_pages(folder: Path, out: Path) -> None:
    """bench.class_reference.capture in a process of its own (AppTest imports the app and computes its pages)."""
    code = (
        "import json, sys; from pathlib import Path; from bench.class_reference import capture; "
        "Path(sys.argv[3]).write_text(json.dumps(capture(Path(sys.argv[1]), Path(sys.argv[2]))))"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(folder), str(out.parent / "capture-class"), str(out)],
        cwd=ROOT,
        check=True,
        stderr=subprocess.DEVNULL,
    )


def print_row(r: dict) -> None:
    print(
        f"{r['n']:8d} | {r['app']:11s} | {r['renders']:7d} | {r['median']:5.2f} s | {r['p95']:5.2f} s | "
        f"{r['max']:5.2f} s | {len(r['errors']):6d} | {r['timeouts']:8d} | {r['rss_mb']:7.0f} MB (training "
        f"processes {' + '.join(f'{m:.0f}' for m in r['rss_training_mb']) or 'none'} MB) | {r['updates']} updates, "
        f"{r['max_gap']:.2f} s ({r['median_gap']:.2f} s)"
    )
    print("         per page (median): " + ", ".join(f"{k} {v:.2f} s" for k, v in r["per_page"].items()))
    for e in r["errors"][:5]:
        print("         error:", e)
    print("         trainer's largest gap:", r["max_gap_texts"], training_clock(r["max_gap_texts"]))
    print("         trainer:", r["trainer"], f"(server warm-up before the class: {r['warm_up']:.0f} s)")
    busy, by_kind = r["busy_cpu"], r["cpu_by_kind"]
    srv, kids = by_kind.get("server", 0.0), by_kind.get("training processes", 0.0)
    cores = os.cpu_count() or 1
    print(
        f"         CPU while the class browsed ({r['browse_s']:.0f} s x {cores} cores = "
        f"{cores * r['browse_s']:.0f} core-s): machine busy {busy:.0f} s, of which server {srv:.0f} s, "
        f"training processes {kids:.0f} s, the rest mostly Chromium (the students' browsers) and Playwright; "
        f"server per page view {srv / max(1, r['renders']):.2f} s"
    )
    print("         by process: " + ", ".join(f"{k} {v:.0f} s" for k, v in r["cpu_by_kind"].items() if v >= 0.5))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, nargs="+", default=[1, 10, 20])
    ap.add_argument("--no-reference", action="store_true", help="skip the bare replay of the pages")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "checkpoints"
        shutil.copytree(ROOT / "checkpoints", folder)
        replayed = Path(tmp) / "pages.json"
        if not args.no_reference:
            capture_pages(folder, replayed)
        for n in args.students:
            rows.append(asyncio.run(one_class(n, folder, Path(tmp) / f"class-{n}")))
            if not args.no_reference:
                rows.append(asyncio.run(one_class(n, folder, Path(tmp) / f"class-{n}", replayed)))
    print(
        "students | app         | renders | median | p95 | max | errors | timeouts | server peak RSS | "
        "trainer updates, largest gap (median) while others browse"
    )
    for r in rows:
        print_row(r)
    if args.no_reference:
        return
    print(
        "\napp.py against its bare replay (the students' pages drawn by a server that does no work; the same "
        "training beside):"
    )
    for app, ref in zip(rows[::2], rows[1::2]):
        print(
            f"  N = {app['n']:2d}: median {app['median']:.2f} s / {ref['median']:.2f} s = "
            f"{app['median'] / ref['median']:.2f}x, p95 {app['p95']:.2f} s / {ref['p95']:.2f} s = "
            f"{app['p95'] / ref['p95']:.2f}x"
        )


if __name__ == "__main__":
    main()

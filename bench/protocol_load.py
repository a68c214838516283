"""A class at the WebSocket protocol level: N simulated students that speak Streamlit's protocol, no browser.

A browser drawing the page costs its own machine, not the server; on one 2-core machine
the Chromium bench (bench/classroom_load.py) spends most of the CPU in the browsers.
Here each student is a WebSocket client that sends what a browser sends (``BackMsg``
protobufs: a script run of a page, with the widget values it changed and the model in
its URL) and reads what the server answers (``ForwardMsg``: elements, until
``script_finished``), then fetches the media files the page names. The server is
`make run`'s own (ui.serve, .streamlit/config.toml) on the shipped models.

Scenario "browse": each student opens the app on a shipped model of its own and visits
every page (the teacher's aside) in its own random order; on the latent map it picks
t-SNE. It clicks back to back (``--think 0``, the worst case: every student always waiting
for a page), or reads each page for about ``--think`` seconds first. A page run is timed
from the request until the script has finished and its media are fetched.

Scenario "pick" (a class that reads and picks): each student visits every page in its own
order, reading each for 1 to 3 s (``--think 2``), and on each page picks another shipped model in
the sidebar, so every view is drawn for a model the session had not shown a moment before.

Scenario "train": each student presses Start on the Train page within ``--spread``
seconds (the form's default, or a preset a teacher would use, drawn per student), then
keeps browsing; as soon as its own model is saved it opens its traversal and latent-map
pages. Printed per student: seconds from the first Start until its own model's pages
were shown; and the page runs throughout.

Printed for each N: median, p95 and maximum page run, errors (an exception element, a
script that did not finish, a refused training), the server's peak RSS, and the server's CPU seconds
per page run. ``--floor`` then runs the same class (as many runs per student, as far apart) against a bare
Streamlit page (bench/bare_page.py: Streamlit's own cost of a page run, the floor) and prints the
ratios.

    .venv/bin/python -m bench.protocol_load --students 10 20 40
    .venv/bin/python -m bench.protocol_load --students 40 --think 5
    .venv/bin/python -m bench.protocol_load --scenario pick --think 2 --students 10 20 40 --floor
    .venv/bin/python -m bench.protocol_load --scenario train --students 10 --spread 30
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.browser import ROOT, SERVER_PIDS, streamlit_server
from bench.classroom_load import cpu_seconds, peak_rss_mb, wait_until_quiet

TRAIN_PRESETS = (None, "digits in seconds", "CNN on MNIST")  # None: the form as it opens
FINISHED = {0, 1, 3}  # ScriptFinishedStatus: success, compile error, fragment run (2 = stopped early for a rerun)


@dataclass
class PageRun:
    seconds: float
    elements: list = field(default_factory=list)  # the new elements' protos (for widget ids, texts, media)
    errors: list[str] = field(default_factory=list)


def _urls(message, out: list[str]) -> None:
    """Media URLs anywhere in a protobuf message (``/media/...``)."""
    for desc, value in message.ListFields():
        if desc.type == desc.TYPE_MESSAGE:
            for v in value if desc.is_repeated else [value]:
                _urls(v, out)
        elif desc.type == desc.TYPE_STRING and desc.name == "url":
            for v in value if desc.is_repeated else [value]:
                if v.startswith("/media/"):
                    out.append(v)


class Student:
    """One browser session, as the server sees it: a WebSocket that runs pages."""

    def __init__(self, url: str, model: str, locale: str = "en-US"):
        self.url, self.model, self.locale = url, model, locale
        self.pages: dict[str, str] = {}  # url path -> page_script_hash
        self.ws = None

    async def __aenter__(self):
        import websockets

        self.ws = await websockets.connect(
            self.url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"], max_size=None
        )
        return self

    async def __aexit__(self, *exc):
        await self.ws.close()

    async def run(self, path: str = "", widgets: list | None = None) -> PageRun:
        """Run page ``path`` (its URL path, "" for home) with ``widgets`` (WidgetState protos) changed."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = f"model={self.model}" if self.model else ""
        state.page_script_hash = self.pages.get(path, "")
        state.page_name = path
        state.context_info.locale = self.locale
        for w in widgets or []:
            state.widget_states.widgets.append(w)
        t = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        out = PageRun(0.0)
        while True:
            fm = ForwardMsg()
            fm.ParseFromString(await asyncio.wait_for(self.ws.recv(), timeout=600))
            kind = fm.WhichOneof("type")
            if kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in fm.navigation.app_pages}
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                out.elements.append(el)
                if el.WhichOneof("type") == "exception":
                    out.errors.append(f"{path}: {el.exception.message[:200]}")
            elif kind == "script_finished" and fm.script_finished in FINISHED:
                if fm.script_finished == 1:
                    out.errors.append(f"{path}: script error")
                break
        urls: list[str] = []
        for el in out.elements:
            _urls(el, urls)
        for u in urls:  # what the browser fetches next
            await asyncio.to_thread(lambda u=u: urllib.request.urlopen(self.url + u, timeout=120).read())
        out.seconds = time.perf_counter() - t
        return out


def widget(elements, kind: str, label: str):
    """The proto of the first ``kind`` widget labelled ``label`` among a page's elements."""
    for el in elements:
        if el.WhichOneof("type") == kind and getattr(el, kind).label == label:
            return getattr(el, kind)
    raise LookupError(f"no {kind} labelled {label!r}")


def pick(el, option: str):
    """A selectbox's new value, as the browser sends it."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    return WidgetState(id=el.id, string_value=option)


def click(el):
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    return WidgetState(id=el.id, trigger_value=True)


def texts(elements) -> str:
    return " ".join(str(el) for el in elements)


async def browse(student: Student, times: list, errors: list, rng: random.Random, think: float = 0.0) -> None:
    """Every page but the teacher's, in this student's own order; t-SNE on the latent map. ``times`` gets
    (page, seconds) pairs. Between two clicks the student reads the page for about ``think`` seconds
    (uniform from half to one and a half times; 0: clicks back to back, the worst case)."""
    first = await student.run("")
    times.append(("home", first.seconds))
    errors += first.errors
    paths = [p for p in student.pages if p not in ("", "teacher")]
    rng.shuffle(paths)
    for path in paths:
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))
        r = await student.run(path)
        times.append((path, r.seconds))
        errors += r.errors
        if path == "latent_map":
            r = await student.run(path, [pick(widget(r.elements, "selectbox", "projection"), "TSNE")])
            times.append(("latent_map t-SNE", r.seconds))
            errors += r.errors


async def browse_and_pick(
    student: Student, times: list, errors: list, rng: random.Random, think: float, models: list[str]
) -> None:
    """Every page (the teacher's aside) in this student's order, about ``think`` s apart (half to one and a half
    times), and on each a pick of another of ``models`` in the sidebar; t-SNE on the latent map."""
    first = await student.run("")
    times.append(("home", first.seconds))
    errors += first.errors
    paths = [p for p in student.pages if p != "teacher"]
    rng.shuffle(paths)
    for path in paths:
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))
        r = await student.run(path)
        times.append((path or "home", r.seconds))
        errors += r.errors
        if path == "latent_map":
            r = await student.run(path, [pick(widget(r.elements, "selectbox", "projection"), "TSNE")])
            times.append(("latent_map t-SNE", r.seconds))
            errors += r.errors
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))
        other = rng.choice([m for m in models if m != student.model] or models)
        r = await student.run(path, [pick(widget(r.elements, "selectbox", "Current model"), other)])
        student.model = other
        times.append((f"{path or 'home'} after a pick", r.seconds))
        errors += r.errors


async def bare_page(student: Student, times: list, errors: list, rng: random.Random, think: float, runs: int) -> None:
    """The floor: ``runs`` runs of a bare page, about ``think`` s apart."""
    for _ in range(runs):
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))
        r = await student.run("")
        times.append(("bare page", r.seconds))
        errors += r.errors


async def train_then_explore(
    student: Student, delay: float, preset: str | None, t0: float, times: list, errors: list, ready: list
) -> None:
    """Start a training after ``delay`` s, browse while it trains, then open the traversals and the latent map
    of the model it made; ``ready`` gets the seconds from ``t0`` (the first Start) until both were shown."""
    await asyncio.sleep(delay)
    r = await student.run("")
    r = await student.run("train")
    if preset is not None:  # pick it and press Apply: one run, as the browser sends both
        widgets = [
            pick(widget(r.elements, "selectbox", "Start from a preset"), preset),
            click(widget(r.elements, "button", "Apply preset")),
        ]
        r = await student.run("train", widgets)
    r = await student.run("train", [click(widget(r.elements, "button", "Start training"))])
    times.append(("train: Start", r.seconds))
    if "Cannot start" in texts(r.elements):
        errors.append("training refused: " + texts(r.elements)[:200])
        return
    pages = ["samples", "compare", "collapse", "strong_decoders"]
    i = 0
    while True:  # the Train page says when the model is saved; in between, the student browses
        r = await student.run("train")
        times.append(("train (watching)", r.seconds))
        errors += r.errors
        page = texts(r.elements)
        if "It is now the current model" in page:
            break
        if "Training failed" in page or "Stopped." in page:
            errors.append("training ended without a model")
            return
        r = await student.run(pages[i % len(pages)])
        times.append((pages[i % len(pages)], r.seconds))
        errors += r.errors
        i += 1
    student.model = ""  # its own model is now the session's current one (the sidebar adopts it)
    for path in ("traversals", "latent_map"):
        r = await student.run(path)
        times.append((f"{path} (own model)", r.seconds))
        errors += r.errors
    ready.append(time.perf_counter() - t0)


async def first_visit(url: str, locale: str) -> None:
    async with Student(url, "", locale) as s:
        await s.run("")


def summary(times: list[float]) -> str:
    q = statistics.quantiles(times, n=20) if len(times) >= 2 else times * 19
    return f"median {statistics.median(times):.2f} s, p95 {q[18]:.2f} s, max {max(times):.2f} s ({len(times)} runs)"


def by_page(times: list[tuple[str, float]]) -> str:
    """Where the time goes: each page's median and maximum, slowest first."""
    pages: dict[str, list[float]] = {}
    for page, t in times:
        pages.setdefault(page, []).append(t)
    rows = sorted(pages.items(), key=lambda kv: -max(kv[1]))
    return "\n".join(
        f"    {p:<30} median {statistics.median(ts):6.2f} s  max {max(ts):6.2f} s  ({len(ts)})" for p, ts in rows
    )


async def class_of(
    url: str,
    models: list[str],
    n: int,
    scenario: str,
    spread: float,
    seed: int,
    presets=TRAIN_PRESETS,
    think: float = 0.0,
    runs: int = 0,
) -> dict:
    """Run ``n`` students of ``scenario`` against the server at ``url``; their page times, errors and (train)
    the seconds from the first Start until each student's own model was explorable. ``runs``: the bare page's
    runs per student."""
    rng = random.Random(seed)
    times: list[tuple[str, float]] = []
    errors: list[str] = []
    ready: list[float] = []
    students = [Student(url, models[i % len(models)] if models else "") for i in range(n)]
    t0 = time.perf_counter()
    async with contextlib_async_exit(students):
        if scenario == "browse":
            await asyncio.gather(*(browse(s, times, errors, random.Random(rng.random()), think) for s in students))
        elif scenario == "pick":
            await asyncio.gather(
                *(browse_and_pick(s, times, errors, random.Random(rng.random()), think, models) for s in students)
            )
        elif scenario == "bare":
            await asyncio.gather(
                *(bare_page(s, times, errors, random.Random(rng.random()), think, runs) for s in students)
            )
        else:
            delays = sorted(rng.uniform(0, spread) for _ in students)
            t0 = time.perf_counter() + delays[0]
            await asyncio.gather(
                *(
                    train_then_explore(s, d, rng.choice(presets), t0, times, errors, ready)
                    for s, d in zip(students, delays)
                )
            )
    return {"times": times, "errors": errors, "ready": ready, "wall": time.perf_counter() - t0}


class contextlib_async_exit:
    """Enter every student's connection; close them all at the end."""

    def __init__(self, students):
        self.students = students

    async def __aenter__(self):
        for s in self.students:
            await s.__aenter__()

    async def __aexit__(self, *exc):
        for s in self.students:
            await s.__aexit__(*exc)


def report(n: int, label: str, res: dict, cpu: float) -> dict:
    """Print one class's page runs (all, then per page), errors, and the server's CPU per page run; return the
    numbers :func:`main` compares with the floor."""
    all_times = [t for _, t in res["times"]]
    print(f"N = {n} ({label}, {res['wall']:.0f} s)")
    print(f"  page runs: {summary(all_times)}")
    print(by_page(res["times"]))
    print(f"  errors: {len(res['errors'])}" + "".join(f"\n    {e}" for e in res["errors"][:5]))
    per_run = cpu / max(len(all_times), 1)
    print(f"  server CPU: {cpu:.1f} s, {per_run * 1000:.0f} ms per page run")
    q = statistics.quantiles(all_times, n=20) if len(all_times) >= 2 else all_times * 19
    return {"median": statistics.median(all_times), "p95": q[18], "cpu": per_run}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, nargs="+", default=[10, 20, 40])
    ap.add_argument("--scenario", choices=("browse", "pick", "train"), default="browse")
    ap.add_argument("--spread", type=float, default=30.0, help="train: the Starts fall within this many seconds")
    ap.add_argument("--checkpoints", type=Path, default=ROOT / "checkpoints")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--think", type=float, default=0.0, help="seconds a student reads a page before the next click")
    ap.add_argument("--floor", action="store_true", help="then the same class against a bare Streamlit page")
    args = ap.parse_args(argv)
    for n in args.students:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "checkpoints"
            shutil.copytree(args.checkpoints, folder)
            models = sorted(p.stem for p in folder.glob("*.safetensors"))
            env = {"VAE_CHECKPOINTS": str(folder), "VAE_CLASS_MODELS": str(Path(tmp) / "class")}
            with streamlit_server(env=env) as url:
                pid = SERVER_PIDS[url]
                asyncio.run(first_visit(url, "en-US"))  # the server warms its caches after its first page
                quiet = wait_until_quiet(pid, timeout=1800)
                c0 = cpu_seconds(pid)
                res = asyncio.run(class_of(url, models, n, args.scenario, args.spread, args.seed, think=args.think))
                app = report(
                    n,
                    f"{args.scenario}, think {args.think:g} s, after a warm-up of {quiet:.0f} s",
                    res,
                    cpu_seconds(pid) - c0,
                )
                rss, _ = peak_rss_mb(pid)
            floor = None
            if args.floor:  # as many runs per student as the app's class made, as far apart
                runs = round(len(res["times"]) / n)
                with streamlit_server(ROOT / "bench" / "bare_page.py") as url:
                    pid = SERVER_PIDS[url]
                    c0 = cpu_seconds(pid)
                    bare = asyncio.run(class_of(url, models, n, "bare", 0, args.seed, think=args.think, runs=runs))
                    floor = report(n, f"a bare page, think {args.think:g} s", bare, cpu_seconds(pid) - c0)
        print(f"  server peak RSS: {rss:,.0f} MB")
        if floor is not None:
            print(
                "  against the bare page: "
                + ", ".join(f"{k} {app[k] / max(floor[k], 1e-9):.1f}x" for k in ("median", "p95", "cpu"))
            )
        if args.scenario == "train":
            r = sorted(res["ready"])
            print(
                f"  own model explorable after the first Start: {len(r)} of {n} students; "
                + (f"first {r[0]:.0f} s, median {statistics.median(r):.0f} s, last {r[-1]:.0f} s" if r else "none")
            )


if __name__ == "__main__":
    main()

"""What one page run costs the server once its results are cached (N = 1), against a bare page.

Every page of the app, on the shipped models, in one AppTest session: the first visit fills the
caches, then ``--repeats`` reruns are timed (the script run only: no WebSocket, no browser). The
floor, in the same run: a page with a title and one sentence, run the same way. Printed per
page: the median warm run, its ratio to the floor, and with ``--profile`` the functions that took
the most time over one more warm round of every page (cProfile).

    .venv/bin/python -m bench.page_runs --repeats 5
    .venv/bin/python -m bench.page_runs --profile 25
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import tempfile
import time
from pathlib import Path

from bench.browser import ROOT

BARE = 'import streamlit as st\nst.title("A bare page")\nst.write("One sentence.")\n'


def timed_runs(at, repeats: int) -> float:
    """The median of ``repeats`` reruns of the page ``at`` shows."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--profile", type=int, default=0, help="print this many functions of a profiled round")
    args = ap.parse_args()
    os.environ.setdefault("VAE_CHECKPOINTS", str(ROOT / "checkpoints"))
    os.environ.setdefault("VAE_CLASS_MODELS", tempfile.mkdtemp(prefix="page-runs-"))
    os.environ["VAE_WARM_UP"] = "0"  # the first visit of each page fills its caches, in this thread
    from streamlit.navigation.page import StreamlitPage
    from streamlit.testing.v1 import AppTest

    from ui.navigation import PAGE

    with tempfile.TemporaryDirectory() as d:
        bare = Path(d) / "bare.py"
        bare.write_text(BARE)
        floor_at = AppTest.from_file(str(bare), default_timeout=60)
        floor_at.run()
        floor = timed_runs(floor_at, args.repeats)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    print(f"{'page':18s} {'warm run':>9s} {'x floor':>8s}   (floor: a bare page, {floor * 1000:.1f} ms)")
    runs = {}
    for key in PAGE:
        at.switch_page(PAGE[key]).run()  # the first visit computes what the page caches
        runs[key] = timed_runs(at, args.repeats)
        print(f"{key:18s} {runs[key] * 1000:7.1f} ms {runs[key] / floor:7.1f}x", flush=True)
    print(f"{'median':18s} {statistics.median(runs.values()) * 1000:7.1f} ms")
    if args.profile:
        prof = cProfile.Profile()
        real = StreamlitPage.run

        def profiled(self):  # the page's script, in the script thread that AppTest runs
            prof.enable()
            try:
                return real(self)
            finally:
                prof.disable()

        StreamlitPage.run = profiled
        try:
            for key in PAGE:
                at.switch_page(PAGE[key]).run()
        finally:
            StreamlitPage.run = real
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(args.profile)
        print(out.getvalue())


if __name__ == "__main__":
    main()

"""Time from `streamlit run` to the first rendered traversal figure, in Chromium.

Reference, in the same run: a minimal Streamlit script that draws one Plotly image
figure (the floor set by Streamlit, the browser and Plotly themselves). Also times
widget changes on the traversal page: a key press on the "steps" slider, until the
figure in the browser has the new number of steps and the script run has finished
(Streamlit's own slider debounce included); the median of --changes presses.

    .venv/bin/python -m bench.app_startup --repeats 3 --changes 10
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.browser import IDLE, launch, streamlit_server, wait_idle

REFERENCE = """
import numpy as np, plotly.express as px, streamlit as st
st.title("reference")
st.plotly_chart(px.imshow(np.random.rand(11, 16, 28, 28), animation_frame=0, facet_col=1, facet_col_wrap=8,
                          binary_string=True))
"""


STEP_LABELS = "document.querySelector('.js-plotly-plot').querySelectorAll('.slider-label').length"


def widget_changes(page, n: int) -> list[float]:
    """Seconds from a key press on the "steps" slider until the figure shows the new steps and the app is idle."""
    slider = page.locator("[data-testid=stSlider]").filter(has_text="steps").first.get_by_role("slider")
    times = []
    for i in range(n):
        before = page.evaluate(STEP_LABELS)
        t = time.perf_counter()
        slider.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        page.wait_for_function(f"{STEP_LABELS} !== {before}", timeout=30_000)
        page.wait_for_selector(IDLE, timeout=30_000)
        times.append(time.perf_counter() - t)
        page.wait_for_timeout(300)
    return times


def first_figure(playwright, script: Path, path: str, changes: int = 0) -> tuple[float, list[float]]:
    """Seconds from server start to the first figure's images; then each widget change's re-render."""
    t0 = time.perf_counter()
    with streamlit_server(script) as url:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/{path}")
        page.locator(".js-plotly-plot image").first.wait_for(timeout=120_000)
        first = time.perf_counter() - t0
        times = []
        if changes:
            wait_idle(page)
            times = widget_changes(page, changes)
        browser.close()
    return first, times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--changes", type=int, default=10, help="widget changes timed (in the first repeat)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        ref = Path(tmp) / "reference_app.py"
        ref.write_text(REFERENCE)
        ours, theirs, changes = [], [], []
        for r in range(args.repeats):
            t, c = first_figure(
                p, Path(__file__).resolve().parent.parent / "app.py", "traversals", args.changes if r == 0 else 0
            )
            ours.append(t)
            changes += c
            theirs.append(first_figure(p, ref, "")[0])
    o, r = statistics.median(ours), statistics.median(theirs)
    print(f"server start -> first traversal figure rendered (median of {args.repeats}):")
    print(f"  our app (cold: imports, model load, decode): {o:.2f} s   runs {', '.join(f'{v:.2f}' for v in ours)}")
    print(f"  reference (one Plotly figure, no model):     {r:.2f} s   runs {', '.join(f'{v:.2f}' for v in theirs)}")
    print(f"  ratio ours/reference: {o / r:.2f}x   (extra {o - r:.2f} s)")
    if changes:
        print(
            f"widget change (traversal steps) -> re-rendered and idle: median of {len(changes)} "
            f"{statistics.median(changes):.2f} s   runs {', '.join(f'{v:.2f}' for v in changes)}"
        )


if __name__ == "__main__":
    main()

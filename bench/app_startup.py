"""Time from `streamlit run` to the first rendered traversal figure, in Chromium.

Reference, in the same run: a minimal Streamlit script that draws one Plotly image
figure (the floor set by Streamlit, the browser and Plotly themselves). Also times
how long one widget change (a key press on the "steps" slider) takes in the browser
until the script run has finished, including Streamlit's own slider debounce.

    .venv/bin/python -m bench.app_startup --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.browser import launch, streamlit_server, wait_idle

REFERENCE = '''
import numpy as np, plotly.express as px, streamlit as st
st.title("reference")
st.plotly_chart(px.imshow(np.random.rand(11, 16, 28, 28), animation_frame=0, facet_col=1, facet_col_wrap=8,
                          binary_string=True))
'''


def first_figure(playwright, script: Path, path: str) -> tuple[float, float]:
    """Seconds from server start to the first figure's images; then to re-render after a widget change."""
    t0 = time.perf_counter()
    with streamlit_server(script) as url:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/{path}")
        page.locator(".js-plotly-plot image").first.wait_for(timeout=120_000)
        first = time.perf_counter() - t0
        change = float("nan")
        if path == "traversals":
            wait_idle(page)
            page.locator("[data-testid=stSlider]").filter(has_text="steps").first.get_by_role("slider").press("ArrowRight")
            t1 = time.perf_counter()
            page.wait_for_selector("[data-testid=stApp][data-test-script-state=running]", timeout=10_000)
            page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=30_000)
            change = time.perf_counter() - t1
        browser.close()
    return first, change


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        ref = Path(tmp) / "reference_app.py"
        ref.write_text(REFERENCE)
        ours, theirs, changes = [], [], []
        for _ in range(args.repeats):
            t, c = first_figure(p, Path(__file__).resolve().parent.parent / "app.py", "traversals")
            ours.append(t)
            changes.append(c)
            theirs.append(first_figure(p, ref, "")[0])
    o, r = statistics.median(ours), statistics.median(theirs)
    print(f"server start -> first traversal figure rendered (median of {args.repeats}):")
    print(f"  our app (cold: imports, model load, decode): {o:.2f} s   runs {', '.join(f'{v:.2f}' for v in ours)}")
    print(f"  reference (one Plotly figure, no model):     {r:.2f} s   runs {', '.join(f'{v:.2f}' for v in theirs)}")
    print(f"  ratio ours/reference: {o / r:.2f}x   (extra {o - r:.2f} s)")
    print(f"widget change (traversal steps) -> re-rendered, cached model: median {statistics.median(changes):.2f} s")


if __name__ == "__main__":
    main()

"""What reading a page in Chinese costs: the same page runs in English (the reference) and in Chinese.

Each page is rendered headlessly (Streamlit's AppTest) on the shipped models, once to fill
the caches, then ``--repeats`` times per language, alternating; the median script-run time
per language and the ratio zh / en are printed. Every visible word goes through a catalog
lookup (``ui.i18n.tr``) and the cached figures are kept per language, so the ratio is the
whole per-page cost of the translation.

    .venv/bin/python -m bench.i18n_cost --repeats 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("home", "train", "samples", "traversals", "collapse", "compare", "strong_decoders")


def page_runs(pages, repeats: int, checkpoints: Path) -> dict[str, dict[str, float]]:
    """Median seconds of a page's script run per language: {page: {"en": s, "zh": s}}."""
    from streamlit.testing.v1 import AppTest

    from ui.navigation import PAGE

    os.environ.setdefault("VAE_WARM_UP", "0")
    os.environ["VAE_CHECKPOINTS"] = str(checkpoints)
    apps = {}
    for lang in ("en", "zh"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.context["locale"] = {"en": "en-US", "zh": "zh-CN"}[lang]
        at.run()
        apps[lang] = at
    out = {}
    for page in pages:
        times = {"en": [], "zh": []}
        for at in apps.values():  # the first run of each language fills its caches
            at.switch_page(PAGE[page]).run()
        for _ in range(repeats):
            for lang, at in apps.items():
                t = time.perf_counter()
                at.run()
                times[lang].append(time.perf_counter() - t)
                assert not at.exception, (page, lang, [e.message for e in at.exception])
        out[page] = {lang: statistics.median(ts) for lang, ts in times.items()}
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--pages", nargs="+", default=list(PAGES))
    ap.add_argument("--checkpoints", type=Path, default=ROOT / "checkpoints")
    args = ap.parse_args(argv)
    res = page_runs(args.pages, args.repeats, args.checkpoints)
    print(f"{'page':<18}{'en (s)':>9}{'zh (s)':>9}{'zh/en':>8}")
    for page, r in res.items():
        print(f"{page:<18}{r['en']:>9.3f}{r['zh']:>9.3f}{r['zh'] / r['en']:>8.2f}")
    en, zh = sum(r["en"] for r in res.values()), sum(r["zh"] for r in res.values())
    print(f"{'all pages':<18}{en:>9.3f}{zh:>9.3f}{zh / en:>8.2f}")


if __name__ == "__main__":
    main()

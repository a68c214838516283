"""Home with many class models, at the WebSocket protocol level: does the listing scale?

For each N, a class folder of N models (links to one small shipped checkpoint under N names) beside
the shipped ones, `make run`'s server on it (no warm-up), and one simulated student
(bench.protocol_load.Student) who opens Home: the first run (every file hashed and its metadata
read once), then ``--repeats`` more, of which the median is printed, with the ratio to the
smallest N of the same run (aim: Home under 0.5 s at 2,000 models). Before the listing was keyed by
each file's stat, two caches of 256 entries were evicted by every walk past 256 models: Home took
5.4 s at 265 models.
Run: ``.venv/bin/python -m bench.listing_scale [--models 50 500 2000]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from pathlib import Path

from bench.browser import ROOT, streamlit_server
from bench.protocol_load import Student

SOURCE = ROOT / "checkpoints" / "waves-cnn-z6.safetensors"


async def home_runs(url: str, repeats: int) -> tuple[float, list[float], list[str]]:
    async with Student(url, "") as s:
        first = await s.run("")
        rest = [await s.run("") for _ in range(repeats)]
    return first.seconds, [r.seconds for r in rest], first.errors + [e for r in rest for e in r.errors]


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, nargs="+", default=[50, 500, 2000])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    out, base = {}, None
    print(f"{'class models':>12} {'first Home':>11} {'then (median)':>14} {'ratio':>6}  errors")
    for n in args.models:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "class"
            folder.mkdir()
            for i in range(n):
                os.link(SOURCE, folder / f"student-{i:04d}.safetensors")
            env = {"VAE_CLASS_MODELS": str(folder), "VAE_WARM_UP": "0"}
            with streamlit_server(env=env) as url:
                first, rest, errors = asyncio.run(home_runs(url, args.repeats))
        warm = statistics.median(rest)
        base = base or warm
        out[n] = warm
        print(f"{n:12d} {first:10.2f}s {warm:13.3f}s {warm / base:6.2f}  {len(errors)}")
    return out


if __name__ == "__main__":
    main()

"""CPU priority of background work on a shared server.

Training jobs and cache warm-ups run in threads of the web server's process. On
Linux a thread has a nice value of its own (``setpriority`` with its thread id), and
threads it starts (PyTorch's OpenMP workers) inherit it, so a higher nice value lets
the threads that render pages go first while background work still uses every idle
cycle. Training gets nice 5, not more: at nice 10 a class's page renders (and the
load generator's browsers) starved a training to a tenth of its speed.
"""

from __future__ import annotations

import os
import threading

TRAINING_NICE = 5  # CFS weight 335 against 1024 for the pages: a training slows down, but keeps going
WARM_UP_NICE = 10  # cache warm-up: only idle cycles
UPLOAD_CHECK_NICE = 5  # an upload's check, in its own process: as a training, after the pages
REPORTS_NICE = 10  # a saved model's heavy reports, computed after its training: after the pages and the trainings


def lower_this_thread(nice: int) -> int | None:
    """Raise the calling thread's nice value to ``nice``; return it (None where unsupported)."""
    try:
        tid = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, tid) < nice:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
        return os.getpriority(os.PRIO_PROCESS, tid)
    except (AttributeError, OSError):
        return None


def lower_process(nice: int) -> int | None:
    """Raise the whole calling process's nice value to ``nice`` (a training's own process)."""
    try:
        current = os.getpriority(os.PRIO_PROCESS, 0)
        if current < nice:
            os.nice(nice - current)
        return os.getpriority(os.PRIO_PROCESS, 0)
    except (AttributeError, OSError):
        return None

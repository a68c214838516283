"""CPU priority of background work on a shared server.

Training jobs and cache warm-ups run in threads of the web server's process. On
Linux a thread has a nice value of its own (``setpriority`` with its thread id), and
threads it starts (PyTorch's OpenMP workers) inherit it, so nice 10 lets the threads
that render pages go first while background work still uses every idle cycle.
"""

from __future__ import annotations

import os
import threading

BACKGROUND_NICE = 10


def lower_this_thread(nice: int = BACKGROUND_NICE) -> int | None:
    """Raise the calling thread's nice value to ``nice``; return it (None where unsupported)."""
    try:
        tid = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, tid) < nice:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
        return os.getpriority(os.PRIO_PROCESS, tid)
    except (AttributeError, OSError):
        return None

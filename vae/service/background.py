"""The reports of saved models (IWAE bound, I(x;z), disentanglement), computed in the background, one
model at a time, after their trainings: a model is usable the moment it is saved."""

from __future__ import annotations

import threading
import time
from pathlib import Path


class BackgroundReports:
    """Computes saved models' heavy reports (IWAE bound, I(x;z), disentanglement) one at a time, after
    their trainings, in a child process at ``REPORTS_NICE`` on one thread: outside the training slots, so
    the next student's training starts at once, and below the pages. A model is usable as soon as it is
    saved; pages that show the reports say they are being computed until :meth:`pending` is False.
    """

    def __init__(self) -> None:
        self._queue: list[Path] = []
        self._current: Path | None = None
        self._cond = threading.Condition()
        self.done: dict[str, float] = {}  # path -> seconds its reports took
        threading.Thread(target=self._loop, name="reports", daemon=True).start()

    def submit(self, path: Path) -> None:
        with self._cond:
            self._queue.append(Path(path))
            self._cond.notify_all()

    def pending(self, path: Path | str) -> bool:
        """True while the reports of the model at ``path`` wait or are being computed."""
        p = Path(path)
        with self._cond:
            return p == self._current or p in self._queue

    def wait(self, path: Path | str, timeout: float | None = None) -> bool:
        """Block until ``path``'s reports are done; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self.pending(path), timeout)

    def _loop(self) -> None:
        import logging
        import os

        from vae.service import worker
        from vae.service.priority import REPORTS_NICE

        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                self._current = self._queue.pop(0)
            t = time.perf_counter()
            try:
                proc = worker.context().Process(
                    target=worker.add_reports,
                    args=(str(self._current), REPORTS_NICE, dict(os.environ)),
                    name="vae-reports",
                    daemon=True,
                )
                proc.start()
                proc.join()
                if proc.exitcode:  # the model stays usable; its pages compute the reports when asked
                    logging.getLogger(__name__).warning("reports of %s failed (%s)", self._current, proc.exitcode)
            except Exception as e:  # noqa: BLE001 - one model's reports must not stop the others'
                logging.getLogger(__name__).warning("reports of %s failed: %r", self._current, e)
            with self._cond:
                self.done[str(self._current)] = time.perf_counter() - t
                self._current = None
                self._cond.notify_all()

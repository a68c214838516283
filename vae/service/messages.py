"""What a training process tells the queue, and what the queue asks of it.

The training (``vae.service.worker.run``, in a child process or a Ray task) sends these messages, in this
order: Started, then Step and Epochs as it goes, then Saving and Saved, or Empty (stopped before the first
epoch ended), or Failed at any point. ``vae.service.jobs.TrainingQueue`` applies them to the job. Each is a
small picklable dataclass: a pipe and Ray carry them as they are.

RunSpec is what a run needs (the same for a local process and for a Ray task).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vae.config.records import EpochRecord


@dataclass(frozen=True)
class RunSpec:
    """One training to run: its configuration (``VAEConfig.to_dict()``), where to save it (``partial``: the
    queue moves it to its final name), whose it is, the server's time limit in seconds (None: none), the
    niceness it runs at, and whether the reports are computed before saving (else in the background)."""

    config: dict[str, Any]
    partial: str
    owner: str | None = None
    seconds_left: float | None = None
    nice: int = 0
    with_reports: bool = True


@dataclass(frozen=True)
class Started:
    nice: int  # the niceness the process got
    threads: int  # its PyTorch threads


@dataclass(frozen=True)
class Step:
    epoch: float  # epochs done, fractional
    seconds: float  # of training so far


@dataclass(frozen=True)
class Epochs:
    records: list[EpochRecord]  # the epochs ended since the last Epochs message
    original: Any  # a few test examples (arrays; strings for text) ...
    reconstruction: Any  # ... and their reconstructions by the model now


@dataclass(frozen=True)
class Saving:
    with_reports: bool  # the reports are being computed before the file is written


@dataclass(frozen=True)
class Saved:
    metrics: dict[str, Any]  # the test metrics (vae.config.records.Metrics)
    stopped: bool  # asked to stop before its last epoch
    at_limit: bool  # stopped by the server's time limit


@dataclass(frozen=True)
class Empty:
    at_limit: bool  # stopped (by the server's limit when True) before the first epoch ended: nothing saved


@dataclass(frozen=True)
class Failed:
    error: Any  # the VAEError (worded in the reader's language by the page), or its English message


Message = Started | Step | Epochs | Saving | Saved | Empty | Failed
ENDS = (Saved, Empty, Failed)  # the messages after which the run sends nothing more
__all__ = ["ENDS", "Empty", "Epochs", "Failed", "Message", "RunSpec", "Saved", "Saving", "Started", "Step"]

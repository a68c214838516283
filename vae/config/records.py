"""What a training reports: the per-step progress, the per-epoch history record, the final metrics.

These dictionaries are a schema shared by the trainer, the training worker and queue, the command
line, the figures and every checkpoint (stored as JSON in its metadata). They are declared here once,
as ``TypedDict`` so that they stay plain JSON and old checkpoints read as before.

All losses are in nats per example; ``-ELBO = reconstruction + KL``.
"""

from __future__ import annotations

from typing import Any, TypedDict


class StepInfo(TypedDict):
    """Progress of a training, every ``step_every`` steps: ``progress`` counts epochs (fractional)."""

    step: int
    epoch: int
    progress: float
    loss: float  # the objective being minimised (beta, warm-up, free bits... applied), this batch
    kl_weight: float
    seconds: float
    steps_per_epoch: int
    epochs: int


class EpochRecord(TypedDict):
    """One record of a model's history, appended at the end of each epoch.

    ``train_*`` are summed from the steps' own forward passes over the epoch (the parameters change
    while they are summed); ``test_*``, ``kl_per_dim`` and ``active_units`` score the first
    ``test_examples`` test examples after the epoch's last step. ``epoch`` is fractional for a run
    stopped within an epoch. ``kl_per_dim`` is None where the KL does not split over dimensions (a
    flow posterior, the VampPrior).
    """

    epoch: float
    step: int
    seconds: float
    kl_weight: float
    train_loss: float
    train_elbo: float
    train_reconstruction: float
    train_kl: float
    test_elbo: float
    test_reconstruction: float
    test_kl: float
    kl_per_dim: list[float] | None
    active_units: int
    test_examples: int  # optional: files made before it was recorded lack it (OPTIONAL_HISTORY_KEYS)
    sigma: float  # optional: a Gaussian likelihood's standard deviation (see Metrics), absent for the others
    valid_elbo: float  # optional: with early stopping, the -ELBO of the examples held out of the training split
    gradient_flow: dict[str, list]  # optional: the steps of the epoch recorded (vae/training/gradient_flow.py)


class Metrics(TypedDict, total=False):
    """An evaluation of a split (:func:`vae.analysis.evaluation.evaluate`); the final metrics of a run.

    ``au_variance`` holds Var_x(E_q[z_u]) per dimension (active when > 0.01). ``evaluate_full`` adds
    the IWAE estimate of -log p(x) with ``iwae_k`` samples over the first ``iwae_num`` examples.
    """

    elbo: float
    reconstruction: float
    kl: float
    kl_per_dim: list[float] | None
    au_variance: list[float]
    active_units: int
    num: int
    sigma: float  # Gaussian p(x|z): exp(mean log sigma) over pixels and examples (a learned scalar: itself)
    iwae_nll: float
    iwae_k: int
    iwae_num: int
    num_test: int
    kept_epoch: int  # with early stopping: the epoch whose parameters the model kept (the best held-out -ELBO)


HISTORY_KEYS: frozenset[str] = frozenset(EpochRecord.__annotations__)
OPTIONAL_HISTORY_KEYS = frozenset({"test_examples", "sigma", "valid_elbo", "gradient_flow"})
FLOW_KEYS = ("step", "grad_norm", "act_mean", "act_std", "dead")  # a record's gradient_flow: lists, one per step
MAX_RECORDED_STEPS = 64  # recorded steps a stored record may hold (the trainer takes at most 4 an epoch)
MAX_FLOW_WIDTH = 512  # layers or activations a recorded step may hold
REQUIRED_HISTORY_KEYS: frozenset[str] = HISTORY_KEYS - OPTIONAL_HISTORY_KEYS
LEGACY_HISTORY_KEYS = frozenset({"index_code_mi", "total_correlation", "dimwise_kl"})  # per epoch, until 2026-11
METRIC_KEYS: frozenset[str] = frozenset(Metrics.__annotations__)
PER_DIMENSION = frozenset({"kl_per_dim", "au_variance"})  # lists of latent_dim numbers (kl_per_dim may be null)
COUNTS = frozenset({"step", "active_units", "test_examples", "num", "iwae_k", "iwae_num", "num_test", "kept_epoch"})


def _value_problem(key: str, value: Any, latent_dim: int) -> str | None:
    if key == "gradient_flow":
        return flow_problem(value)
    if key in PER_DIMENSION:
        if value is None and key == "kl_per_dim":
            return None
        if not isinstance(value, list) or len(value) != latent_dim or not all(_is_number(v) for v in value):
            return f"{key} is not a list of {latent_dim} numbers"
        return None
    if key in COUNTS:
        return (
            None
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53
            else (f"{key} is not a count")
        )
    return None if value is None or _is_number(value) else f"{key} is not a number"


def _is_number(v: Any) -> bool:
    """A JSON number within float range (JSON's NaN and Infinity included: a stopped run may hold them)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    return isinstance(v, float) or abs(v) < 2**1023


def flow_problem(value: Any) -> str | None:
    """What is wrong with a stored ``gradient_flow`` record, or None: the keys of FLOW_KEYS, at most MAX_RECORDED_STEPS
    steps (counts), and for each other key one list of at most MAX_FLOW_WIDTH numbers per step."""
    if not isinstance(value, dict) or set(value) != set(FLOW_KEYS):
        return "gradient_flow is not an object of the gradient-flow records"
    steps = value["step"]
    if not isinstance(steps, list) or len(steps) > MAX_RECORDED_STEPS:
        return "gradient_flow's steps are not a short list"
    if not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**53 for s in steps):
        return "gradient_flow's steps are not counts"
    for key in FLOW_KEYS[1:]:
        rows = value[key]
        if not isinstance(rows, list) or len(rows) != len(steps):
            return f"gradient_flow's {key} does not have one row per step"
        for row in rows:
            if not isinstance(row, list) or len(row) > MAX_FLOW_WIDTH:
                return f"gradient_flow's {key} rows are not short lists"
            if not all(_is_number(v) for v in row):
                return f"gradient_flow's {key} holds something other than numbers"
    return None


def record_problem(record: Any, latent_dim: int) -> str | None:
    """What is wrong with one stored history record, or None: it maps the keys of :class:`EpochRecord`
    (``test_examples`` and the older per-epoch KL decomposition optional) to values of their types."""
    if not isinstance(record, dict):
        return "a history record is not a JSON object"
    missing = REQUIRED_HISTORY_KEYS - record.keys()
    unknown = record.keys() - HISTORY_KEYS - LEGACY_HISTORY_KEYS
    if missing or unknown:
        return f"a history record lacks {sorted(missing)[:3]} or has unknown keys {sorted(unknown)[:3]}"
    for key, value in record.items():
        problem = _value_problem(key, value, latent_dim)
        if problem:
            return f"in a history record, {problem}"
    return None


def metrics_problem(metrics: Any, latent_dim: int) -> str | None:
    """What is wrong with stored final metrics, or None: keys of :class:`Metrics`, values of their types."""
    if not isinstance(metrics, dict):
        return "its metrics are not a JSON object"
    unknown = metrics.keys() - METRIC_KEYS
    if unknown:
        return f"its metrics have unknown keys {sorted(unknown)[:3]}"
    for key, value in metrics.items():
        problem = _value_problem(key, value, latent_dim)
        if problem:
            return f"in its metrics, {problem}"
    return None


def epoch_record(
    *,
    epoch: float,
    step: int,
    seconds: float,
    kl_weight: float,
    train_loss: float,
    train_reconstruction: float,
    train_kl: float,
    test: Metrics,
) -> EpochRecord:
    """The history record of one epoch, from the training sums and the test evaluation ``test``."""
    record = EpochRecord(
        epoch=epoch,
        step=step,
        seconds=seconds,
        kl_weight=kl_weight,
        train_loss=train_loss,
        train_elbo=train_reconstruction + train_kl,
        train_reconstruction=train_reconstruction,
        train_kl=train_kl,
        test_elbo=test["elbo"],
        test_reconstruction=test["reconstruction"],
        test_kl=test["kl"],
        kl_per_dim=test["kl_per_dim"],
        active_units=test["active_units"],
        test_examples=test["num"],
    )
    if "sigma" in test:
        record["sigma"] = test["sigma"]
    return record

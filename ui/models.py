"""The models a page can show: the listing, cached loaders, and the current model.

Caching: a checkpoint is identified by its path *and* the SHA-256 of its bytes, so
a retrained or replaced file gets a new cache entry and is never shown stale.
Models and datasets are shared read-only resources (``st.cache_resource``); arrays
and reports computed from them are ``st.cache_data`` keyed by that digest.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import streamlit as st

from ui.i18n import error_text, spinning, tr
from ui.navigation import PAGE
from ui.owner import owner_id
from ui.training_queue import training_queue
from vae.analysis.evaluation import checkpoint_split
from vae.analysis.reports import stored_reports
from vae.config import VAEConfig
from vae.errors import CheckpointError, DataError, VAEError
from vae.i18n import N_
from vae.models.checkpoints import file_digest, load_checkpoint, read_metadata
from vae.models.likelihoods import nats_scale
from vae.service import storage
from vae.service.storage import is_shared, model_files, uploads_dir
from vae.service.uploads import confine_data

MODEL_KEY = "model"  # sidebar selectbox key, mirrored in the ?model= query parameter


PENDING_KEY = "_pending_model"  # a model to make current on the next full run


def checkpoint_paths() -> list[Path]:
    """The models every page offers: :func:`vae.service.storage.model_files` whose metadata passes validation.

    One bad file (foreign, damaged, or with text where numbers belong) is left out and
    named by :func:`skipped_models`; it never breaks a page for the class.
    """
    return [p for p, entry in _listing() if entry.summary is not None]


def model_summaries() -> list[dict[str, Any]]:
    """:func:`summary` of every model :func:`checkpoint_paths` lists, in its order: what a table of models shows."""
    return [entry.summary for _, entry in _listing() if entry.summary is not None]


def table_row(r: dict[str, Any], **more: Any) -> dict[str, Any]:
    """A model's row in a table of models (Home, the teacher's view), headed in the reader's language;
    ``more`` are extra columns (already headed), put after the name."""
    return {
        tr("model"): r["name"],
        **more,
        tr("dataset"): r["dataset"],
        tr("architecture"): r["architecture"],
        tr("latent"): r["latent"],
        "beta": r["beta"],
        tr("likelihood"): r["likelihood"],
        tr("test -ELBO"): r["test_elbo"],
        tr("-log p(x)"): nll_cell(r),
        tr("rate (KL)"): r["rate"],
        tr("active units"): r["active_units"],
    }


def comparable_groups(rows: list[dict[str, Any]]) -> list[tuple[str, Any, list[dict[str, Any]]]]:
    """(dataset, scale, rows) for each data set and :func:`vae.models.likelihoods.nats_scale`, in the order the rows
    first name them: nats are compared only within one group (a density and a probability of the same images are
    hundreds of nats apart, and other data are on other scales)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["dataset"], str(r["scale"])), []).append(r)
    return [(dataset, members[0]["scale"], members) for (dataset, _), members in groups.items()]


def same_scale(r: dict[str, Any], other: dict[str, Any]) -> bool:
    """True when two models' nats may be compared: the same data set and the same :func:`nats_scale`."""
    return r["dataset"] == other["dataset"] and str(r["scale"]) == str(other["scale"])


def nll_cell(r: dict[str, Any]) -> str:
    """-log p(x) on the test split as the stored reports give it: exact (integrated on a grid) for a 2-D latent,
    else the IWAE bound (above the true value), said beside the number; "-" before the reports are in."""
    if r.get("nll") is None:
        return "-"
    return f"{r['nll']:.2f} " + (tr("(exact)") if r["nll_exact"] else tr("(IWAE bound, k={k})", k=r["iwae_k"]))


def skipped_models() -> list[tuple[str, str]]:
    """(name, reason) of the model files that :func:`checkpoint_paths` leaves out."""
    return [(p.stem, entry.reason) for p, entry in _listing() if entry.summary is None]


@dataclasses.dataclass(frozen=True)
class _Listed:
    stat: tuple[int, int]  # (mtime_ns, size) of the file when it was read
    digest: str  # SHA-256 of its bytes
    summary: dict[str, Any] | None  # None: not a valid checkpoint...
    reason: str  # ...and why, worded in each reader's language where shown


_LISTED: dict[str, _Listed] = {}  # path -> what the listing knows of the file, for as long as its stat holds


def _listed(path: Path) -> _Listed:
    """The file's digest and :func:`_summary` (or why it has none), read once per version of the file.

    One entry per file, in this process, checked against the file's stat on every use: a page run
    lists every model, and the listing costs a stat and a dictionary lookup per file at 2,000 models
    as at 20. (It was two ``st.cache_data`` of 256 entries: past 256 models every walk evicted the
    next file's entry, and every Home run hashed and parsed every file again: 5.4 s at 265 models.)
    """
    try:
        st_ = path.stat()
    except OSError:  # removed since it was listed
        return _Listed((0, 0), "", None, "")
    stat = (st_.st_mtime_ns, st_.st_size)
    hit = _LISTED.get(str(path))
    if hit is None or hit.stat != stat:
        digest_ = file_digest(path)
        try:
            hit = _Listed(stat, digest_, _summary(str(path)), "")
        except VAEError as e:
            hit = _Listed(stat, digest_, None, e.as_text())
        _LISTED[str(path)] = hit
    return hit


def _listing() -> list[tuple[Path, _Listed]]:
    """Every model file with :func:`_listed`, files removed meanwhile left out; the entries of removed files are
    forgotten once they outnumber the files listed."""
    out = [(p, entry) for p in model_files() for entry in [_listed(p)] if entry.digest]
    if len(_LISTED) > 2 * len(out) + 64:
        for key in _LISTED.keys() - {str(p) for p, _ in out}:
            _LISTED.pop(key, None)
    return out


def owned(path: Path) -> bool:
    """True when this session made the (class) model at ``path``."""
    if is_shared(path):
        return False
    return summary(str(path), digest(path)).get("owner") == owner_id()


def delete_model(path: Path) -> str | None:
    """Delete a class model this session owns; the reason when refused."""
    file_owner = None if is_shared(path) else summary(str(path), digest(path)).get("owner")
    err = storage.delete_model(path, owner_id(), file_owner)
    return None if err is None else error_text(err)


def save_upload(filename: str, data: bytes, owner: str | None = None) -> tuple[bool, str]:
    """:func:`vae.service.storage.save_upload` into this server's class folder, named by its queue; (False, why)
    in the reader's language when refused (a quota included)."""
    full = quota_problem(1, len(data))
    if full:
        return False, tr("{file} was not added: {why}", file=filename, why=full)
    ok, result = storage.save_upload(filename, data, owner, training_queue().place)
    return ok, result if ok else error_text(result)


def quota_problem(adding_models: int, adding_bytes: int, tidy_first: bool = True) -> str | None:
    """Why this student may not add ``adding_models`` models (or a data upload) of about ``adding_bytes`` bytes to
    the class folder (:func:`quota_error`), in the reader's language; None when they may."""
    me = owner_id()
    err = quota_error(me, training_queue().active_of(me), adding_models, adding_bytes, tidy_first)
    return None if err is None else error_text(err)


def quota_error(owner: str, on_the_way: int, adding_models: int = 1, adding_bytes: int = 0, tidy_first: bool = True):
    """:func:`vae.service.storage.quota_problem` for ``owner``, whose models are those of the class folder marked
    with it and ``on_the_way`` trainings; the training queue asks it before every run
    (:class:`vae.service.jobs.TrainingQueue`'s ``quota``). First removes what nobody will read again
    (:func:`vae.service.storage.clean_class_folder`: uploads no model or training uses, half-written files);
    with ``tidy_first=False`` (a page that only shows whether Start would work, on every rerun) only when the
    check refuses: tidying only ever frees room, so the answer is the same."""
    rows = model_summaries()
    owned = sum(r["owner"] == owner for r in rows) + on_the_way
    if not tidy_first and storage.quota_problem(owned, adding_models, adding_bytes) is None:
        return None
    referenced = {r["data_file"] for r in rows} | {
        Path(str(j.config.data.path)).name for j in training_queue().jobs() if j.active and j.config.data.path
    }
    storage.clean_class_folder(referenced)
    return storage.quota_problem(owned, adding_models, adding_bytes)


def digest(path: Path) -> str:
    """The SHA-256 of the file as it is now (read once per version of the file)."""
    return _listed(path).digest


def summary(path: str, digest_: str) -> dict[str, Any]:
    """Key numbers from a checkpoint's metadata (no weights are read); only for files checkpoint_paths lists."""
    entry = _listed(Path(path))
    if entry.summary is None:
        raise CheckpointError(entry.reason)  # a Text: the error keeps its wording
    return entry.summary


def _summary(path: str) -> dict[str, Any]:
    meta = read_metadata(path)
    cfg = VAEConfig.from_dict(meta["config"]).validate()
    m = meta.get("metrics") or {}
    history = meta.get("history") or []
    return {
        "name": Path(path).stem,
        "kind": (meta.get("modality") or {}).get("kind", "image"),  # what x is: image, tokens
        "dataset": meta.get("dataset", cfg.data.name),
        "architecture": f"{cfg.encoder.arch} {'-'.join(map(str, cfg.encoder.hidden))}"
        + (
            f" / {cfg.decoder.arch} decoder {len(cfg.decoder.hidden)}x{cfg.decoder.hidden[0]}"
            if cfg.decoder.arch != cfg.encoder.arch
            else ""
        ),
        "latent": cfg.latent_dim,
        "beta": cfg.objective.beta,
        "likelihood": cfg.likelihood.name,
        "free_bits": cfg.objective.free_bits,
        "epochs": len(history),
        "test_elbo": m.get("elbo"),
        "rate": m.get("kl"),
        "distortion": m.get("reconstruction"),
        "active_units": m.get("active_units"),
        "owner": (meta.get("extra") or {}).get("owner"),
        "scale": nats_scale(cfg, (meta.get("modality") or {}).get("kind", "image")),  # what its nats are nats of
        "data_file": Path(str(cfg.data.path)).name if cfg.data.path else None,  # an upload's stored name
        **_nll(meta.get("extra")),
    }


def _nll(extra: dict[str, Any] | None) -> dict[str, Any]:
    rep = stored_reports(extra)
    c = rep["collapse"] if rep else {}
    return {"nll": c.get("nll"), "nll_exact": bool(c.get("nll_exact")), "iwae_k": c.get("iwae_k")}


@spinning(N_("Loading the model..."))
@st.cache_resource(show_spinner=False, max_entries=16)
def _load(path: str, digest_: str):
    """The checkpoint, its data confined to the operator's data folder and the class's uploads (vae.service.uploads)."""
    ck = load_checkpoint(path, device=os.environ.get("VAE_DEVICE", "cpu"))
    try:
        ck.config.data = confine_data(ck.config.data, uploads_dir())
    except DataError as e:  # the model is still shown; its data pages say why there are no data
        ck.config.data = dataclasses.replace(ck.config.data, path=None, data_root=None)
        ck.extra[DATA_REFUSED] = str(e)
    return ck


DATA_REFUSED = "_data_refused"  # key of ck.extra (this server's, never stored): why the model's data are not read


def load(path: Path):
    """The checkpoint at ``path`` (cached by content)."""
    return _load(str(path), digest(path))


@spinning(N_("Loading the data..."))
@st.cache_resource(show_spinner=False, max_entries=16)
def _split(path: str, digest_: str, split: str):
    ck = _load(path, digest_)
    if DATA_REFUSED in ck.extra:
        raise DataError(ck.extra[DATA_REFUSED])
    return checkpoint_split(ck, split)


def data_split(ck, split: str = "test"):
    """(dataset, x as the likelihood sees it, labels, factors or None) for the model's data."""
    return _split(str(ck.path), ck.digest, split)


# ------------------------------------------------------------- current model
def set_current(name: str) -> None:
    """Make ``name`` the current model from the next full run on (safe from fragments and callbacks)."""
    st.session_state[PENDING_KEY] = name


def current_path() -> Path | None:
    name = st.session_state.get(MODEL_KEY)
    paths = {p.stem: p for p in checkpoint_paths()}
    if name in paths:
        return paths[name]
    return next(iter(paths.values()), None)


def current():
    """The current checkpoint, or stop the page with a pointer to the Train page."""
    path = current_path()
    if path is None:
        st.info(tr("There is no model yet. Train one on the Train page, or upload a checkpoint in the sidebar."))
        st.page_link(PAGE["train"], label=tr("Train a model"), icon=":material/model_training:")
        st.stop()
    try:
        return load(path)
    except VAEError as e:
        st.error(tr("Cannot open {name}: {why}", name=path.name, why=error_text(e)))
        st.stop()


def split_or_stop(ck, split: str = "test"):
    """data_split, or a clear message (e.g. a torchvision dataset missing offline) and stop."""
    try:
        return data_split(ck, split)
    except VAEError as e:
        st.error(tr("The data of {name} cannot be loaded: {why}", name=ck.name, why=error_text(e)))
        st.stop()

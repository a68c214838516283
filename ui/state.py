"""What every page of the web app shares: the checkpoint folder, cached loaders, the
current model, the training queue and the sidebar.

Sharing a server with a class: the models in ``checkpoint_dir()`` (shipped, or
published there by the teacher) are read-only from the web. Models trained or
uploaded from the web go to ``class_dir()``; each records the browser session that
made it (its *owner*), and only that session may delete it. Names never clash: a
taken name gets the next free one. The form never takes a server path.

Caching: a checkpoint is identified by its path *and* the SHA-256 of its bytes, so
a retrained or replaced file gets a new cache entry and is never shown stale.
Models and datasets are shared read-only resources (``st.cache_resource``); arrays
and reports computed from them are ``st.cache_data`` keyed by that digest.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
PAGE = {  # page scripts, for st.page_link / st.switch_page
    "home": "pages/start/home.py",
    "train": "pages/build/train.py",
    "samples": "pages/explore/samples.py",
    "traversals": "pages/explore/traversals.py",
    "latent_map": "pages/explore/latent_map.py",
    "collapse": "pages/diagnose/collapse.py",
    "compare": "pages/diagnose/compare.py",
    "strong_decoders": "pages/diagnose/strong_decoders.py",
    "disentanglement": "pages/diagnose/disentanglement.py",
}
NAVIGATION = {  # the sidebar: section -> its pages as (key of PAGE, title, Material icon), in order
    "Start": [("home", "Home", "home")],
    "Build": [("train", "Train", "model_training")],
    "Explore": [("samples", "Reconstructions & samples", "image"), ("traversals", "Latent traversals", "linear_scale"),
                ("latent_map", "Latent map", "scatter_plot")],
    "Diagnose": [("collapse", "Posterior collapse", "compress"), ("compare", "Compare runs", "compare"),
                 ("strong_decoders", "Strong decoders", "grain"), ("disentanglement", "Disentanglement", "view_column")],
}
MODEL_KEY = "model"  # sidebar selectbox key, mirrored in the ?model= query parameter
PENDING_KEY = "_pending_model"  # a model to make current on the next full run


def checkpoint_dir() -> Path:
    """The shared, read-only models: ``$VAE_CHECKPOINTS`` or the project's ``checkpoints/`` folder."""
    env = os.environ.get("VAE_CHECKPOINTS")
    return Path(env) if env else ROOT / "checkpoints"


def class_dir() -> Path:
    """Models trained or uploaded from the web: ``$VAE_CLASS_MODELS`` or ``runs/class/``."""
    env = os.environ.get("VAE_CLASS_MODELS")
    return Path(env) if env else ROOT / "runs" / "class"


def uploads_dir() -> Path:
    """Students' uploaded datasets, stored under their content digest: ``class_dir()/uploads``."""
    return class_dir() / "uploads"


def _model_files() -> list[Path]:
    """Shared models, then the class's, by name (a shared model hides a class one of the same name)."""
    found: dict[str, Path] = {}
    for d in (checkpoint_dir(), class_dir()):
        if d.is_dir():
            for p in sorted(d.glob("*.safetensors")):
                found.setdefault(p.stem, p)
    return list(found.values())


def checkpoint_paths() -> list[Path]:
    """The models every page offers: :func:`_model_files` whose metadata passes validation.

    One bad file (foreign, damaged, or with text where numbers belong) is left out and
    named by :func:`skipped_models`; it never breaks a page for the class.
    """
    return [p for p in _model_files() if _checked(p)[0] is not None]


def skipped_models() -> list[tuple[str, str]]:
    """(name, reason) of the model files that :func:`checkpoint_paths` leaves out."""
    return [(p.stem, reason) for p in _model_files() for s, reason in [_checked(p)] if s is None]


_CHECKED: dict[tuple[str, int, int], tuple[dict[str, Any] | None, str]] = {}  # (path, mtime, size) -> result


def _checked(path: Path) -> tuple[dict[str, Any] | None, str]:
    """:func:`_checked_summary` of the file as it is now, memoised by its stat in this process.

    Every page run lists every model; through Streamlit's caches (a digest and a summary per
    file, each hit unpickled) that cost 4.8 ms for the 11 shipped models, against 0.2 ms to list
    the folder. A changed file has a new stat, hence a new digest and a new check.
    """
    key = _stat_key(path)
    hit = _CHECKED.get(key)
    if hit is None:
        if len(_CHECKED) > 4096:  # a long-running class server: forget old file versions
            _CHECKED.clear()
        hit = _CHECKED[key] = _checked_summary(str(path), digest(path))
    return hit


def is_shared(path: Path) -> bool:
    return path.parent.resolve() == checkpoint_dir().resolve()


OWNER_COOKIE = "vae_owner"  # the browser keeps its owner token here across reloads and tabs; never in a URL


def owner_token() -> str:
    """This browser's opaque owner token (models it trains or uploads carry it).

    Kept in a cookie (:func:`remember_owner`), so that a reload or a second tab is still
    the same owner: a token held only by the session made a student's model "a
    classmate's", undeletable, after a reload. 128 random bits, hex; a cookie that is not
    a plain token (``vae.models.checkpoints.OWNER``) is ignored.
    """
    if "_owner" not in st.session_state:
        from vae.models.checkpoints import OWNER

        cookie = st.context.cookies.get(OWNER_COOKIE)
        ok = isinstance(cookie, str) and OWNER.fullmatch(cookie)  # (AppTest has no browser: no str there)
        st.session_state["_owner"] = cookie if ok else secrets.token_hex(16)
    return st.session_state["_owner"]


def remember_owner() -> None:
    """Store the owner token in the browser (a year, this site only) unless the browser sent it already."""
    token = owner_token()
    if st.context.cookies.get(OWNER_COOKIE) != token:
        st.html(f"<script>document.cookie = '{OWNER_COOKIE}={token}; path=/; max-age=31536000; SameSite=Strict';"
                "</script>", unsafe_allow_javascript=True)


def owned(path: Path) -> bool:
    """True when this session made the (class) model at ``path``."""
    if is_shared(path):
        return False
    return summary(str(path), digest(path)).get("owner") == owner_token()


def delete_model(path: Path) -> str | None:
    """Delete a class model this session owns; the reason when refused."""
    if not owned(path):
        return f"{path.stem} is not yours to delete (only the session that trained or uploaded it can)"
    path.unlink(missing_ok=True)
    return None


def _stat_key(path: Path) -> tuple[str, int, int]:
    s = path.stat()
    return str(path), s.st_mtime_ns, s.st_size


@st.cache_data(show_spinner=False, max_entries=256)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    from vae.models.checkpoints import file_digest

    return file_digest(path)


def digest(path: Path) -> str:
    return _digest(*_stat_key(path))


@st.cache_data(show_spinner=False, max_entries=256)
def _checked_summary(path: str, digest_: str) -> tuple[dict[str, Any] | None, str]:
    """(summary, "") for a valid checkpoint, (None, why not) for any other file."""
    from vae.errors import VAEError

    try:
        return _summary(path), ""
    except VAEError as e:
        return None, str(e)


def summary(path: str, digest_: str) -> dict[str, Any]:
    """Key numbers from a checkpoint's metadata (no weights are read); only for files checkpoint_paths lists."""
    s, reason = _checked_summary(path, digest_)
    if s is None:
        from vae.errors import CheckpointError

        raise CheckpointError(reason)
    return s


def _summary(path: str) -> dict[str, Any]:
    from vae.models.checkpoints import read_metadata
    from vae.config import VAEConfig

    meta = read_metadata(path)
    cfg = VAEConfig.from_dict(meta["config"]).validate()
    m = meta.get("metrics") or {}
    history = meta.get("history") or []
    return {
        "name": Path(path).stem, "dataset": meta.get("dataset", cfg.data.name),
        "architecture": f"{cfg.encoder.arch} {'-'.join(map(str, cfg.encoder.hidden))}" + (
            f" / {cfg.decoder.arch} decoder {len(cfg.decoder.hidden)}x{cfg.decoder.hidden[0]}"
            if cfg.decoder.arch == "pixelcnn" else ""),
        "latent": cfg.latent_dim, "beta": cfg.objective.beta, "likelihood": cfg.likelihood.name,
        "free_bits": cfg.objective.free_bits, "epochs": len(history),
        "test_elbo": m.get("elbo"), "rate": m.get("kl"), "distortion": m.get("reconstruction"),
        "active_units": m.get("active_units"), "owner": (meta.get("extra") or {}).get("owner"),
    }


@st.cache_resource(show_spinner="Loading the model...", max_entries=16)
def _load(path: str, digest_: str):
    """The checkpoint, its data confined to the operator's data folder and the class's uploads (vae.service.uploads)."""
    import dataclasses

    from vae.models.checkpoints import load_checkpoint
    from vae.errors import DataError
    from vae.service.uploads import confine_data

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


@st.cache_resource(show_spinner="Loading the data...", max_entries=16)
def _split(path: str, digest_: str, split: str):
    from vae.errors import DataError
    from vae.analysis.evaluation import checkpoint_split

    ck = _load(path, digest_)
    if DATA_REFUSED in ck.extra:
        raise DataError(ck.extra[DATA_REFUSED])
    return checkpoint_split(ck, split)


def data_split(ck, split: str = "test"):
    """(dataset, x as the likelihood sees it, labels, factors or None) for the model's data."""
    return _split(str(ck.path), ck.digest, split)


@st.cache_resource
def _queue(folder: str, shared: str, max_running: int, max_seconds: float | None):
    from vae.service.jobs import TrainingQueue

    return TrainingQueue(folder, max_running=max_running, max_seconds=max_seconds, shared_dirs=(shared,))


def max_trainings() -> int:
    """``$VAE_MAX_TRAININGS``, else one training per 4 cores (at least 1): the rest serve the pages."""
    env = os.environ.get("VAE_MAX_TRAININGS")
    return int(env) if env else max(1, (os.cpu_count() or 1) // 4)


def train_budget() -> float | None:
    """Seconds one web training may take: ``$VAE_MAX_TRAIN_SECONDS`` (default 300; 0 = none)."""
    from vae.service.cost import budget_from_env

    return budget_from_env(300.0)


def training_queue():
    """One queue per server: a classroom shares the machine.

    At most :func:`max_trainings` run at once; the others wait in line. Each is
    bounded by :func:`train_budget` and saves into :func:`class_dir`.
    """
    return _queue(str(class_dir()), str(checkpoint_dir()), max_trainings(), train_budget())


# ------------------------------------------------------------- current model
def set_current(name: str) -> None:
    """Make ``name`` the current model from the next full run on (safe from fragments and callbacks)."""
    st.session_state[PENDING_KEY] = name


def adopt_finished_training() -> bool:
    """When this session's training has ended, make its model current (once); True if it did."""
    job_id = st.session_state.get("train_job")
    if job_id is None or st.session_state.get("train_job_adopted") == job_id:
        return False
    job = training_queue().get(job_id)
    if job is None or job.active:
        return False
    st.session_state["train_job_adopted"] = job_id
    if job.checkpoint is not None:
        st.session_state[PENDING_KEY] = job.checkpoint.stem
    return True


def sidebar() -> None:
    """The model picker and checkpoint upload, drawn by app.py before every page."""
    adopt_finished_training()
    names = [p.stem for p in checkpoint_paths()]
    pending = st.session_state.pop(PENDING_KEY, None)
    if pending in names:
        st.session_state[MODEL_KEY] = pending
    with st.sidebar:
        if not names:
            st.warning(f"No models in {checkpoint_dir()}: train one on the Train page or upload a checkpoint.")
        else:
            linked = st.query_params.get("model")
            if MODEL_KEY not in st.session_state and linked is not None:
                if linked in names:
                    st.session_state[MODEL_KEY] = linked  # a shared link names the model
                else:  # said, not replaced silently; st.text: the name comes from the link
                    st.warning("The link's model is not on this server (or was deleted); showing another one:")
                    st.text(linked[:80])
            if st.session_state.get(MODEL_KEY) not in names:
                st.session_state.pop(MODEL_KEY, None)
            name = st.selectbox("Current model", names, key=MODEL_KEY,
                                help="The shared models (read-only) and those trained in class; every page shows this model.")
            # Not bind="query-params": a bound parameter would stop st.switch_page from changing the URL.
            st.query_params["model"] = name
            ck_path = current_path()
            if ck_path is not None:
                s = summary(str(ck_path), digest(ck_path))
                st.caption(f"**{s['dataset']}** · {s['architecture']} · z={s['latent']} · beta={s['beta']:g} · "
                           f"{s['likelihood']}" + (f" · test -ELBO {s['test_elbo']:.1f}" if s["test_elbo"] else "")
                           + (" · shared (read-only)" if is_shared(ck_path) else
                              " · yours" if owned(ck_path) else " · a classmate's"))
                if owned(ck_path) and st.button("Delete this model", key="delete_model", icon=":material/delete:",
                                                help="Only models you trained or uploaded can be deleted."):
                    err = delete_model(ck_path)
                    if err:
                        st.error(err)
                    else:
                        st.session_state.pop(MODEL_KEY, None)
                        st.rerun()
        with st.expander("Upload a checkpoint"):
            up = st.file_uploader("A .safetensors checkpoint made by this tool", type=["safetensors"],
                                  key="upload")
            if up is not None and st.session_state.get("_uploaded") != up.file_id:
                st.session_state["_uploaded"] = up.file_id
                ok, msg = save_upload(up.name, up.getvalue(), owner_token())
                if ok:
                    set_current(msg)
                    st.rerun()
                st.session_state["_upload_error"] = msg
            if st.session_state.get("_upload_error") and up is not None:
                st.error(st.session_state["_upload_error"])
        remember_owner()


MAX_CHECKPOINT_BYTES = 64 << 20


def save_upload(filename: str, data: bytes, owner: str | None = None) -> tuple[bool, str]:
    """Validate an uploaded checkpoint and store it among the class's models.

    Returns (True, model name) or (False, what is wrong). The file is read only as
    safetensors (never unpickled) and stored again with its ``owner``; an existing
    model is never replaced: a taken name gets the next free one.
    """
    from vae.models.checkpoints import load_checkpoint, save_checkpoint
    from vae.errors import VAEError

    if len(data) > MAX_CHECKPOINT_BYTES:
        return False, f"{filename} was not added: {len(data) >> 20} MB is over the {MAX_CHECKPOINT_BYTES >> 20} MB limit"
    stem = Path(filename).stem or "uploaded"
    stem = "".join(c if c.isalnum() or c in "._-" else "-" for c in stem)[:60].lstrip(".-_") or "uploaded"
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp) / f"{stem}.safetensors"
        tmp_path.write_bytes(data)
        try:
            ck = load_checkpoint(tmp_path)  # the metadata is validated and the model built within the budget
        except VAEError as e:
            return False, f"{filename} was not added: {e}"
    # only what this server vouches for: the owner, and no stored reports (computed here, once, when first shown)
    dest = save_checkpoint(training_queue().free_path(stem), ck.model, ck.history, ck.metrics,
                           dataset=ck.dataset, extra={"owner": owner, "stopped": bool(ck.extra.get("stopped", False))})
    return True, dest.stem


def current_path() -> Path | None:
    name = st.session_state.get(MODEL_KEY)
    paths = {p.stem: p for p in checkpoint_paths()}
    if name in paths:
        return paths[name]
    return next(iter(paths.values()), None)


def current():
    """The current checkpoint, or stop the page with a pointer to the Train page."""
    from vae.errors import VAEError

    path = current_path()
    if path is None:
        st.info("There is no model yet. Train one on the Train page, or upload a checkpoint in the sidebar.")
        st.page_link(PAGE["train"], label="Train a model", icon=":material/model_training:")
        st.stop()
    try:
        return load(path)
    except VAEError as e:
        st.error(f"Cannot open {path.name}: {e}")
        st.stop()


def split_or_stop(ck, split: str = "test"):
    """data_split, or a clear message (e.g. a torchvision dataset missing offline) and stop."""
    from vae.errors import VAEError

    try:
        return data_split(ck, split)
    except VAEError as e:
        st.error(f"The data of {ck.name} cannot be loaded: {e}")
        st.stop()

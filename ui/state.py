"""What every page of the web app shares: the checkpoint folder, cached loaders, the
current model, the training queue and the sidebar.

Caching: a checkpoint is identified by its path *and* the SHA-256 of its bytes, so
a retrained or replaced file gets a new cache entry and is never shown stale.
Models and datasets are shared read-only resources (``st.cache_resource``); arrays
and reports computed from them are ``st.cache_data`` keyed by that digest.
"""

from __future__ import annotations

import os
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
}
MODEL_KEY = "model"  # sidebar selectbox key, mirrored in the ?model= query parameter
PENDING_KEY = "_pending_model"  # a model to make current on the next full run


def checkpoint_dir() -> Path:
    """``$VAE_CHECKPOINTS`` or the project's ``checkpoints/`` folder."""
    env = os.environ.get("VAE_CHECKPOINTS")
    return Path(env) if env else ROOT / "checkpoints"


def checkpoint_paths() -> list[Path]:
    d = checkpoint_dir()
    return sorted(d.glob("*.safetensors")) if d.is_dir() else []


def _stat_key(path: Path) -> tuple[str, int, int]:
    s = path.stat()
    return str(path), s.st_mtime_ns, s.st_size


@st.cache_data(show_spinner=False, max_entries=256)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    from vae.checkpoints import file_digest

    return file_digest(path)


def digest(path: Path) -> str:
    return _digest(*_stat_key(path))


@st.cache_data(show_spinner=False, max_entries=256)
def summary(path: str, digest_: str) -> dict[str, Any]:
    """Key numbers from a checkpoint's metadata (no weights are read)."""
    from vae.checkpoints import read_metadata
    from vae.config import VAEConfig

    meta = read_metadata(path)
    cfg = VAEConfig.from_dict(meta["config"])
    m = meta.get("metrics") or {}
    history = meta.get("history") or []
    return {
        "name": Path(path).stem, "dataset": meta.get("dataset", cfg.data.name),
        "architecture": f"{cfg.encoder.arch} {'-'.join(map(str, cfg.encoder.hidden))}",
        "latent": cfg.latent_dim, "beta": cfg.objective.beta, "likelihood": cfg.likelihood.name,
        "free_bits": cfg.objective.free_bits, "epochs": len(history),
        "test_elbo": m.get("elbo"), "rate": m.get("kl"), "distortion": m.get("reconstruction"),
        "active_units": m.get("active_units"),
    }


@st.cache_resource(show_spinner="Loading the model...", max_entries=16)
def _load(path: str, digest_: str):
    from vae.checkpoints import load_checkpoint

    return load_checkpoint(path, device=os.environ.get("VAE_DEVICE", "cpu"))


def load(path: Path):
    """The checkpoint at ``path`` (cached by content)."""
    return _load(str(path), digest(path))


@st.cache_resource(show_spinner="Loading the data...", max_entries=16)
def _split(path: str, digest_: str, split: str):
    from vae.evaluation import checkpoint_split

    return checkpoint_split(_load(path, digest_), split)


def data_split(ck, split: str = "test"):
    """(dataset, x as the likelihood sees it, labels, factors or None) for the model's data."""
    return _split(str(ck.path), ck.digest, split)


@st.cache_resource
def _queue(folder: str, max_running: int):
    from vae.jobs import TrainingQueue

    return TrainingQueue(folder, max_running=max_running)


def training_queue():
    """One queue per server and checkpoint folder: a classroom shares the machine.

    ``$VAE_MAX_TRAININGS`` (default 1) trainings run at once; the others wait in line.
    """
    return _queue(str(checkpoint_dir()), int(os.environ.get("VAE_MAX_TRAININGS", "1")))


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
    """The model picker and checkpoint upload: the first call of every page."""
    adopt_finished_training()
    names = [p.stem for p in checkpoint_paths()]
    pending = st.session_state.pop(PENDING_KEY, None)
    if pending in names:
        st.session_state[MODEL_KEY] = pending
    with st.sidebar:
        if not names:
            st.warning(f"No models in {checkpoint_dir()}: train one on the Train page or upload a checkpoint.")
        else:
            if MODEL_KEY not in st.session_state and st.query_params.get("model") in names:
                st.session_state[MODEL_KEY] = st.query_params["model"]  # a shared link names the model
            if st.session_state.get(MODEL_KEY) not in names:
                st.session_state.pop(MODEL_KEY, None)
            name = st.selectbox("Current model", names, key=MODEL_KEY,
                                help="Checkpoints in the project's checkpoints/ folder; every page shows this model.")
            # Not bind="query-params": a bound parameter would stop st.switch_page from changing the URL.
            st.query_params["model"] = name
            ck_path = current_path()
            if ck_path is not None:
                s = summary(str(ck_path), digest(ck_path))
                st.caption(f"**{s['dataset']}** · {s['architecture']} · z={s['latent']} · beta={s['beta']:g} · "
                           f"{s['likelihood']}" + (f" · test -ELBO {s['test_elbo']:.1f}" if s["test_elbo"] else ""))
        with st.expander("Upload a checkpoint"):
            up = st.file_uploader("A .safetensors checkpoint made by this tool", type=["safetensors"],
                                  key="upload")
            if up is not None and st.session_state.get("_uploaded") != up.file_id:
                st.session_state["_uploaded"] = up.file_id
                ok, msg = save_upload(up.name, up.getvalue())
                if ok:
                    set_current(msg)
                    st.rerun()
                st.session_state["_upload_error"] = msg
            if st.session_state.get("_upload_error") and up is not None:
                st.error(st.session_state["_upload_error"])


def save_upload(filename: str, data: bytes) -> tuple[bool, str]:
    """Validate an uploaded checkpoint and copy it into the checkpoint folder.

    Returns (True, model name) or (False, what is wrong). The file is read only as
    safetensors (never unpickled); an existing model is never replaced.
    """
    from vae.checkpoints import file_digest, load_checkpoint
    from vae.errors import VAEError

    stem = Path(filename).stem or "uploaded"
    stem = "".join(c if c.isalnum() or c in "._-" else "-" for c in stem)[:60] or "uploaded"
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp) / f"{stem}.safetensors"
        tmp_path.write_bytes(data)
        try:
            load_checkpoint(tmp_path)
        except VAEError as e:
            return False, f"{filename} was not added: {e}"
        new_digest = file_digest(tmp_path)
        dest_dir = checkpoint_dir()
        dest_dir.mkdir(parents=True, exist_ok=True)
        dest = dest_dir / f"{stem}.safetensors"
        i = 2
        while dest.exists():
            if digest(dest) == new_digest:
                return True, dest.stem  # the same model is already here
            dest = dest_dir / f"{stem}-{i}.safetensors"
            i += 1
        dest.write_bytes(data)
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

"""Train: every knob of the backend, presets, and a live view of the training job."""

import streamlit as st

from ui.knob_widgets import from_widget, set_values, widget
from ui.state import adopt_finished_training, sidebar, training_queue
from vae.config import VAEConfig
from vae.errors import ConfigError
from vae.jobs import checkpoint_name_error
from vae.knobs import GROUPS, KNOBS, apply
from vae.presets import PRESETS

sidebar()
st.title("Train a VAE")
queue = training_queue()

# ------------------------------------------------------------------ presets
c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
preset = c1.selectbox("Start from a preset", list(PRESETS), key="preset",
                      help="Fills in the form below; change anything before you start.")
c2.button("Apply preset", on_click=lambda: set_values(PRESETS[st.session_state["preset"]]), key="apply_preset")

# ------------------------------------------------------------------ the form
raw: dict = {}
val = lambda name: st.session_state.get(name)  # noqa: E731  (widget values drawn so far)
titles = {"data": "Data", "latent": "Latent space", "encoder": "Encoder (the decoder mirrors it)",
          "decoder": "Decoder", "likelihood": "Likelihood p(x|z)",
          "objective": "Objective: beta, KL warm-up, free bits, capacity", "optimization": "Optimization"}
left, right = st.columns(2)
for i, group in enumerate(GROUPS):
    with (left if i % 2 == 0 else right).container(border=True):
        st.markdown(f"**{titles[group]}**")
        if group == "decoder":
            st.caption("Leave a field at 'same as encoder' (or empty) for the mirror image of the encoder.")
        for name, knob in KNOBS.items():
            if knob.group != group:
                continue
            dataset, lik, arch = val("dataset") or "mnist5k", val("likelihood") or "bernoulli", val("arch") or "mlp"
            off = {
                "data_path": dataset not in ("npz", "zip"),
                "data_root": dataset not in ("mnist", "fashion-mnist", "kmnist", "cifar10"),
                "sprites_size": dataset != "sprites", "sprites_num": dataset != "sprites",
                "binarize": lik != "bernoulli",
                "variance": lik != "gaussian", "sigma": lik != "gaussian", "bins": lik != "categorical",
                "blocks": arch != "resnet",
                "capacity_gamma": val("capacity") is None, "capacity_epochs": val("capacity") is None,
            }.get(name, False)
            raw[name] = widget(name, disabled=off)

st.subheader("Save as")
c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
suggested = f"{raw['dataset']}-{raw['arch']}-z{raw['latent_dim']}-beta{raw['beta']:g}"
name = c1.text_input("Model name", key="name", placeholder=suggested,
                     help=f"Saved as checkpoints/NAME.safetensors; empty = {suggested}").strip() or suggested
overwrite = c2.checkbox("overwrite", key="overwrite", help="Replace an existing model of the same name.")
start = c3.button("Start training", type="primary", key="start")

if start:
    try:
        values = {k: from_widget(k, v) for k, v in raw.items()}
        cfg = apply(VAEConfig(), values).validate()
        err = checkpoint_name_error(name)
        if err:
            raise ConfigError(err)
        job = queue.submit(cfg, name, overwrite=overwrite)
        st.session_state["train_job"] = job.id
    except ConfigError as e:
        st.error(f"Cannot start: {e}")


# ------------------------------------------------------------------ live view
def live_view() -> None:
    from vae.diagnostics import kl_history
    from vae.figures import image_grid, kl_heatmap, training_curves

    job = queue.get(st.session_state["train_job"])
    if job is None:
        return
    s = job.snapshot()
    st.subheader(f"Training {s['name']}")
    if s["state"] == "queued":
        running = ", ".join(j.name for j in queue.running()) or "none"
        st.info(f"Waiting in the queue: position {queue.position(job)} of {len(queue.waiting())} "
                f"(at most {queue.max_running} training(s) run at once; running now: {running}).")
    elif s["state"] == "running":
        eta = f"{s['eta']:.0f} s left" if s["eta"] is not None else "estimating time left"
        st.progress(s["progress"], text=f"epoch {s['epoch']:.1f} of {s['epochs']} · {s['seconds']:.0f} s · {eta}")
    elif s["state"] == "done":
        st.success(s["message"] + " It is now the current model.")
    elif s["state"] == "stopped":
        st.warning("Stopped. " + s["message"])
    else:
        st.error("Training failed: " + s["message"])
    if job.active:
        st.button("Stop", key="stop", on_click=job.request_stop, disabled=s["stop_requested"],
                  help="Ends training after the current step; the epochs finished so far are saved.")
    if s["history"]:
        h = s["history"]
        c1, c2 = st.columns(2)
        c1.plotly_chart(training_curves(h), key="curves")
        c2.plotly_chart(kl_heatmap(kl_history(h), [r["epoch"] for r in h]), key="kl_heat")
        if s["preview"] is not None:
            p = s["preview"]
            import numpy as np

            imgs = np.concatenate([p["original"], p["reconstruction"]])
            n = len(p["original"])
            st.plotly_chart(image_grid(imgs, ncols=n, titles=["test"] * n + ["reconstruction"] * n,
                                       title=f"Test reconstructions after epoch {h[-1]['epoch']:g}"),
                            key="preview")
    if adopt_finished_training():
        st.rerun()  # a full run: the sidebar shows the new model as current


if st.session_state.get("train_job") is not None:
    job = queue.get(st.session_state["train_job"])
    active = job is not None and job.active
    st.fragment(live_view, run_every=1.0 if active else None)()

others = [j.snapshot() for j in queue.jobs() if j.active]
if others:
    st.subheader("Server queue")
    st.dataframe([{"model": o["name"], "state": o["state"], "progress": round(100 * o["progress"]),
                   "epoch": f"{o['epoch']:.1f}/{o['epochs']}"} for o in others], hide_index=True, key="queue",
                 column_config={"progress": st.column_config.ProgressColumn(min_value=0, max_value=100,
                                                                            format="%d%%")})

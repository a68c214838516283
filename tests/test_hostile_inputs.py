"""What a careless or hostile student can send a class server: files and links that must not crash,
poison or read it. One test (or more) per kind of input; grow it with every new upload type.

Each test stays within a few hundred MB and a few seconds, and failed on the code before its fix.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.app_helpers import home_models, open_app
from vae.errors import CheckpointError, DataError
from vae.models.checkpoints import read_metadata
from vae.service.storage import owner_digest

ROOT = Path(__file__).resolve().parent.parent


def rewrite(src: Path, dst: Path, **meta_changes) -> Path:
    """A copy of checkpoint ``src`` whose JSON metadata fields are changed (tensors kept): what a student can forge."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(src), "pt") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
        meta = dict(f.metadata())
    for key, value in meta_changes.items():
        meta[key] = value if isinstance(value, str) else json.dumps(value)
    save_file(tensors, str(dst), metadata=meta)
    return dst


def config_of(path: Path) -> dict:
    return read_metadata(path)["config"]


# --------------------------------------------------------------- 1. a checkpoint that asks for a huge model
def test_a_checkpoint_asking_for_a_huge_model_is_refused_before_anything_is_allocated(app_models, tmp_path):
    cfg = config_of(app_models / "digits-z2.safetensors")
    cfg["encoder"]["hidden"] = cfg["decoder"]["hidden"] = [8192] * 8  # 941 M parameters: 3.8 GB of weights
    bomb = rewrite(app_models / "digits-z2.safetensors", tmp_path / "wide.safetensors", config=cfg)
    assert bomb.stat().st_size < 1_000_000
    probe = (
        "import resource, sys\n"
        "from vae.models.checkpoints import load_checkpoint\n"
        "from vae.errors import CheckpointError\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        f"    load_checkpoint({str(bomb)!r})\n"
        "except CheckpointError as e:\n"
        "    print(e)\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    message, grown_mb = p.stdout.strip().rsplit("\n", 1)
    assert "asks for 940.8 M" in message and "at most 50 M" in message and "$VAE_MAX_PARAMETERS" in message, p.stdout
    assert int(grown_mb) < 100, f"loading the refused file grew the process by {grown_mb} MB"


def test_tensors_that_do_not_match_the_configuration_are_refused_from_the_header(app_models, tmp_path):
    cfg = config_of(app_models / "digits-z2.safetensors")
    cfg["latent_dim"] = 3
    bad = rewrite(app_models / "digits-z2.safetensors", tmp_path / "z3.safetensors", config=cfg, metrics={}, history=[])
    with pytest.raises(CheckpointError, match=r"fc_mu.weight has shape \(2, 64\).*expected \(3, 64\)"):
        from vae.models.checkpoints import load_checkpoint

        load_checkpoint(bad)


def test_the_parameter_budget_is_the_operators(app_models, monkeypatch):
    from vae.models.checkpoints import load_checkpoint

    monkeypatch.setenv("VAE_MAX_PARAMETERS", "1000")
    with pytest.raises(CheckpointError, match="asks for 0.0 M parameters; this server loads at most 0 M"):
        load_checkpoint(app_models / "digits-z2.safetensors")


# --------------------------------------------------------------- 2. a checkpoint that names server paths
@pytest.fixture
def outside_npz(tmp_path) -> Path:
    """A real data file outside every allowed folder (a stand-in for a protected server file)."""
    secret = tmp_path / "outside" / "secret.npz"
    secret.parent.mkdir()
    np.savez(secret, x=np.random.RandomState(0).rand(300, 8, 8).astype(np.float32))
    return secret


def test_a_model_whose_data_names_a_server_file_never_reads_it(app_dir, class_dir, outside_npz, tmp_path):
    cfg = config_of(app_dir / "digits-z2.safetensors")
    cfg["data"].update(name="npz", path=str(outside_npz))
    forged = rewrite(app_dir / "digits-z2.safetensors", tmp_path / "forged.safetensors", config=cfg)
    at = open_app()
    at.sidebar.file_uploader(key="upload").upload("forged.safetensors", forged.read_bytes()).run()
    assert at.sidebar.selectbox(key="model").value == "forged"
    from ui.navigation import PAGE

    at.switch_page(PAGE["samples"]).run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error)
    assert "not one of this class's uploads" in shown
    texts = " ".join(str(getattr(e, "value", "")) for e in at.main)
    assert str(outside_npz) not in texts and "secret" not in texts  # nothing tells whether it exists
    assert not at.get("plotly_chart")  # its images never appeared


def test_a_model_whose_data_root_names_a_server_folder_creates_nothing_there(app_dir, tmp_path):
    from vae.config import DataConfig
    from vae.service.uploads import confine_data

    data = DataConfig(name="mnist", data_root=str(tmp_path / "elsewhere" / "deep"))
    assert confine_data(data, tmp_path / "uploads").data_root is None  # the operator's $VAE_DATA_ROOT instead
    upload = confine_data(DataConfig(name="zip", path="/anything/0123456789abcdef01234567.zip"), tmp_path / "up")
    assert upload.path == str(tmp_path / "up" / "0123456789abcdef01234567.zip")
    for bad in ("/etc/passwd", "../../0123456789abcdef01234567.npz/..", "0123456789abcdef01234567.npz"):
        with pytest.raises(Exception, match="not one of this class's uploads"):
            confine_data(DataConfig(name="zip", path=bad), tmp_path / "up")
    assert not (tmp_path / "elsewhere").exists()


def test_a_model_of_a_torchvision_dataset_never_makes_the_server_download_or_create_folders(
    app_dir, tmp_path, monkeypatch
):
    """A checkpoint naming `mnist` made the server create folders under the operator's data root and try to download
    it when any student opened the model, and the message named the server's path."""
    import vae.data.torchvision_sets as tv

    root = tmp_path / "operator-data"
    monkeypatch.setenv("VAE_DATA_ROOT", str(root))
    monkeypatch.setattr(tv, "_download", lambda *a: pytest.fail("the server tried to download"))
    tv.torchvision_cached.cache_clear()
    cfg = config_of(app_dir / "digits-z2.safetensors")
    cfg["data"]["name"] = "mnist"
    rewrite(app_dir / "digits-z2.safetensors", app_dir / "tv.safetensors", config=cfg)
    from ui.navigation import PAGE

    at = open_app(model="tv")
    at.switch_page(PAGE["samples"]).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = " ".join(e.value for e in at.error)
    assert "dataset 'mnist' is not on this server" in shown and str(tmp_path) not in shown
    assert not root.exists()


# --------------------------------------------------------------- 3. metadata that is not what it claims
RECORD = {  # a history record of a 2-dimensional model, as the trainer writes it
    "epoch": 1, "step": 10, "seconds": 0.5, "kl_weight": 1.0, "train_loss": 40.0, "train_elbo": 40.0,
    "train_reconstruction": 35.0, "train_kl": 5.0, "test_elbo": 41.0, "test_reconstruction": 36.0,
    "test_kl": 5.0, "kl_per_dim": [2.0, 3.0], "active_units": 2, "test_examples": 100,
}  # fmt: skip


@pytest.mark.parametrize(
    "field,value,why",
    [
        ("metrics", {"elbo": "lots", "kl": 1.0}, "elbo is not a number"),
        ("metrics", {"elbo": [1, 2], "kl": 1.0}, "elbo is not a number"),  # once broke Home for the class
        ("metrics", {"elbo": 1.0, "kl_per_dim": [1.0] * 65_536}, "kl_per_dim is not a list of 2 numbers"),
        ("history", [{"epoch": 1, "test_elbo": "<b>x</b>"}], "a history record lacks"),
        ("history", [{}], "a history record lacks"),  # once crashed `vae info`
        ("history", [{**RECORD, "test_elbo": "<b>x</b>"}], "test_elbo is not a number"),
        ("history", [{**RECORD, "active_units": 1.5}], "active_units is not a count"),
        ("history", [{}] * 70_000, "history is not a list of at most"),
        ("dataset", "[click](https://example.invalid) ![i](https://example.invalid/i.png)", "not a plain dataset name"),
        ("extra", {"owner": "[me](https://example.invalid)"}, "owner is not a token"),
    ],
)
def test_forged_metadata_is_refused_at_upload_and_skipped_with_a_note_if_it_is_there(
    app_dir, class_dir, tmp_path, field, value, why
):
    forged = rewrite(app_dir / "digits-z2.safetensors", tmp_path / "forged.safetensors", **{field: value})
    with pytest.raises(CheckpointError, match=why):
        read_metadata(forged)
    at = open_app()
    at.sidebar.file_uploader(key="upload").upload("forged.safetensors", forged.read_bytes()).run()
    assert any(why in e.value for e in at.sidebar.error)
    assert not list(class_dir.glob("forged*"))

    class_dir.mkdir(
        parents=True, exist_ok=True
    )  # the same file put there by other means: one bad model, no broken page
    (class_dir / "forged.safetensors").write_bytes(forged.read_bytes())
    home = open_app()
    assert not home.exception
    assert "forged" not in list(home_models(home)["model"]) and "digits-z2" in list(home_models(home)["model"])
    assert any("forged: " in t.value and why in t.value for t in home.text)  # plain text, never Markdown
    assert "forged" not in home.sidebar.selectbox(key="model").options
    from ui.navigation import PAGE

    for page in ("compare", "disentanglement", "strong_decoders"):
        home.switch_page(PAGE[page]).run()
        assert not home.exception, (page, [e.message for e in home.exception])


def test_an_upload_keeps_no_reports_or_flags_of_its_own(app_dir, class_dir, tmp_path):
    """Stored reports (verdicts, remedies) of an upload are the uploader's words: dropped, computed here instead."""
    forged = rewrite(
        app_dir / "digits-z2.safetensors",
        tmp_path / "r.safetensors",
        extra={"reports": {"version": 2, "collapse": {"verdict": "HEALTHY", "remedies": []}}},
    )
    at = open_app()
    at.sidebar.file_uploader(key="upload").upload("r.safetensors", forged.read_bytes()).run()
    extra = read_metadata(class_dir / "r.safetensors")["extra"]
    assert extra == {"owner": owner_digest(at.session_state["_owner"]), "stopped": False}


# --------------------------------------------------------------- 8. a shared link with values the form cannot take
def test_a_link_with_an_even_pixelcnn_kernel_shows_the_form_and_says_what_is_wrong(app_dir):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update(
        {
            "decoder_arch": "pixelcnn",
            "decoder_kernel": "4",
            "epochs": "9999999",
            "beta": "abc",
            "data_path": "/etc/passwd",
            "latent_dim": "8",
            "hidden": "1000000",
            "lr": "1e999",  # an OverflowError in Streamlit's own seeding of the bound widget, for anyone who opened it
        }
    )
    at.switch_page("pages/build/train.py").run()
    assert not at.exception, [e.message for e in at.exception]
    warned = " ".join(w.value for w in at.warning)
    assert "epochs=9999999 was not used: epochs must be from 1 to 100000" in warned
    assert "beta=abc was not used: beta must be a number" in warned
    assert "data_path was not used" in warned and "/etc/passwd" not in warned
    assert "decoder_kernel" not in warned  # 4 is in range: the form refuses it with its reason below
    assert any("odd kernel" in c.value for c in at.caption)
    assert at.number_input(key="latent_dim").value == 8  # the valid values of the link are kept
    # ...and the refused ones are not: a text field kept hidden=1000000 although the warning said the default
    assert "hidden=1000000 was not used" in warned and at.text_input(key="hidden").value != "1000000"
    assert "hidden" not in at.query_params and "latent_dim" in at.query_params
    assert "lr=1e999 was not used" in warned and at.number_input(key="lr").value == 1e-3


def test_a_link_to_a_model_that_is_not_there_says_so(app_dir):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["model"] = "[x](https://example.invalid)"
    at.run()
    assert not at.exception
    assert any("not on this server" in w.value for w in at.sidebar.warning)
    assert any("[x](https://example.invalid)" == t.value for t in at.sidebar.text)  # plain text, not a link


# --------------------------------------------------------------- 4. decompression bombs in data uploads
def test_a_compressed_npz_that_decodes_to_too_many_values_is_refused_from_its_header(tmp_path):
    import io

    from vae.errors import DataError
    from vae.service.uploads import store_dataset_upload

    buf = io.BytesIO()
    np.savez_compressed(buf, x=np.zeros((4000, 128, 128), dtype=np.uint8))  # 65.5 M values, about 70 KB
    assert len(buf.getvalue()) < 1_000_000
    with pytest.raises(DataError, match=r"4000 images of 16384 values each are 66 M values decoded; at most 50 M"):
        store_dataset_upload("zeros.npz", buf.getvalue(), tmp_path / "uploads")
    assert not list((tmp_path / "uploads").glob("*.npz"))  # nothing kept


def test_an_npz_member_that_dodges_the_header_check_is_refused(tmp_path):
    """np.load serves f["x"] from a member named "x" as well as "x.npy": a member "x" of 100,000 64x64 images
    (1.6 MB compressed, 3.1 GB decoded, 8x the value limit) was never checked, and was accepted. A dtype such as
    V40 passed the count of values while decoding to 2 GB. Only x.npy and y.npy of numbers are admitted now,
    every member checked from its header, and nothing refused is kept."""
    import io
    import zipfile

    from vae.errors import DataError
    from vae.service.uploads import store_dataset_upload

    def npz(members: dict[str, np.ndarray]) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, a in members.items():
                with zf.open(name, "w", force_zip64=True) as fp:
                    np.lib.format.write_array(fp, a)
        return buf.getvalue()

    big = np.zeros((20_000, 64, 64), dtype=np.uint8)  # 82 M values, over the 50 M limit
    for members, why in [
        ({"x": big}, "holds x: an .npz for this tool holds x.npy and, optionally, y.npy only"),
        ({"x.npy": np.zeros((100, 8, 8)), "z.npy": np.zeros(3)}, "holds z.npy"),
        ({"x.npy": np.zeros((1000,), dtype="V40")}, "holds |V40 values; save numbers"),
        ({"x.npy": np.array(["a", "b"])}, "holds <U1 values"),
    ]:
        with pytest.raises(DataError, match=re.escape(why)):
            store_dataset_upload("dodge.npz", npz(members), tmp_path / "uploads")
    assert not list((tmp_path / "uploads").glob("*"))  # nothing refused is kept
    kind, path = store_dataset_upload("fine.npz", npz({"x.npy": np.zeros((20, 8, 8), np.float32)}), tmp_path / "up")
    assert kind == "npz" and path.exists()


def test_a_zip_of_huge_one_bit_pngs_is_refused_before_any_is_decoded(tmp_path):
    import io
    import zipfile

    from PIL import Image

    from vae.errors import DataError
    from vae.service.uploads import store_dataset_upload

    png = io.BytesIO()
    Image.new("1", (6000, 6000)).save(png, format="PNG")  # 36 M pixels in a few KB
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(20):
            zf.writestr(f"a/{i}.png", png.getvalue())
    assert len(buf.getvalue()) < 200_000
    with pytest.raises(DataError, match="0.png is 6000x6000 pixels; images must be 8 to 128 pixels a side"):
        store_dataset_upload("bomb.zip", buf.getvalue(), tmp_path / "uploads")


def test_a_zip_whose_images_together_pass_the_budget_is_refused_from_the_first_header(tmp_path, monkeypatch):
    import io
    import zipfile

    from PIL import Image

    from vae.errors import DataError
    from vae.service.uploads import store_dataset_upload

    monkeypatch.setenv("VAE_MAX_UPLOAD_VALUES", "100000")  # the operator's budget
    png = io.BytesIO()
    Image.new("RGB", (64, 64)).save(png, format="PNG")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(12):
            zf.writestr(f"{i}.png", png.getvalue())
    with pytest.raises(DataError, match=r"12 images of 12288 values each are 0 M values decoded; at most 0 M"):
        store_dataset_upload("many.zip", buf.getvalue(), tmp_path / "uploads")


def test_a_valid_upload_is_not_kept_decoded_in_the_servers_memory(tmp_path):
    import io

    from vae.data.user_files import load_user_file
    from vae.service.uploads import store_dataset_upload

    load_user_file.cache_clear()
    buf = io.BytesIO()
    np.savez(buf, x=np.random.RandomState(0).rand(50, 8, 8).astype(np.float32))
    kind, path = store_dataset_upload("ok.npz", buf.getvalue(), tmp_path / "uploads")
    assert kind == "npz" and path.exists()
    assert load_user_file.cache_info().currsize == 0


# --------------------------------------------------------------- 5. the Train page never builds a student's model
def test_the_train_page_sizes_a_students_run_without_building_its_model_or_data(app_dir, monkeypatch):
    """A wide MLP and a huge sprites set in a link: estimated from FLOPs and headers, nothing allocated."""
    from streamlit.testing.v1 import AppTest

    import vae.data.sprites
    import vae.service.cost
    from ui import compute, warmup

    warmup.warm_train_form()  # the server's own reference models, timed once
    compute.cost_estimate.clear()
    built = []
    real_estimate = vae.service.cost.estimate
    monkeypatch.setattr(
        vae.service.cost, "estimate", lambda cfg, *a, **k: built.append(cfg) or real_estimate(cfg, *a, **k)
    )
    monkeypatch.setattr(vae.data.sprites, "make_sprites", lambda *a, **k: pytest.fail("the page generated the sprites"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update(
        {"dataset": "sprites", "sprites_num": "200000", "sprites_size": "128", "hidden": "1024 1024", "epochs": "2"}
    )  # 36 M parameters, 1,407 steps an epoch
    at.switch_page("pages/build/train.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert built == []  # no real step of the student's configuration was timed in the server
    assert any(e.value.startswith("Cannot start: this training would take") for e in at.error)
    wide = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    wide.query_params.update({"hidden": " ".join(["8192"] * 8)})  # 953 M parameters on mnist5k
    wide.switch_page("pages/build/train.py").run()
    assert any("953.0 M parameters; this server trains at most 50 M" in e.value for e in wide.error)
    assert built == []


def test_many_distinct_labels_are_indexed_at_once(tmp_path):
    """A text upload whose 50,000 lines have 50,000 labels: each example's label indexed through one sort (it was
    ``classes.index`` per example, quadratic: 100,000 labels took 220 s and a million about 4.5 hours of the page's
    thread). Classes are the sorted distinct labels and every y points back to its own."""
    from vae.data.dataset import index_labels
    from vae.data.user_text import read_text_file

    labels = [f"L{(i * 7919) % 50_000:05d}" for i in range(50_000)]
    path = tmp_path / "many.txt"
    path.write_text("".join(f"ab\t{lab}\n" for lab in labels))
    ds = read_text_file(path)
    assert ds.classes == sorted(set(labels)) and len(ds.classes) == 50_000
    y = np.concatenate([ds.y_train.numpy(), ds.y_test.numpy()])
    assert sorted(ds.classes[i] for i in y) == sorted(labels)
    classes, idx = index_labels(["b", "a", "b", "c"])
    assert classes == ["a", "b", "c"] and idx.tolist() == [1, 0, 1, 2] and idx.dtype == np.int64
    assert index_labels([])[0] == []


def test_uploads_of_the_same_name_at_the_same_moment_each_get_their_own_file(app_models, tmp_path, monkeypatch):
    """Eight students upload a model of the same name at once: each gets a name of its own and every file is there.
    The name was chosen under the queue's lock but written after it, so two uploads could take one name and one
    model silently replaced the other (4 of 5 trials with a 45 MB model). The writes are slowed here so that they
    overlap, as large uploads do."""
    import threading

    from vae.models import checkpoints
    from vae.models.checkpoints import read_metadata
    from vae.service.jobs import TrainingQueue
    from vae.service.storage import save_upload

    q = TrainingQueue(tmp_path / "class", max_running=1)
    data = (app_models / "digits-z2.safetensors").read_bytes()
    slow_save = checkpoints.save_checkpoint

    def save(*a, **kw):
        time.sleep(0.2)  # a large file takes this long to write: every upload has picked its name meanwhile
        return slow_save(*a, **kw)

    monkeypatch.setattr("vae.service.storage.save_checkpoint", save)
    start, results = threading.Barrier(8), []

    def upload(i):
        start.wait()
        results.append(save_upload("mine.safetensors", data, f"owner-{i}", q.place))

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    names = sorted(name for ok, name in results if ok)
    assert len(names) == 8 and len(set(names)) == 8 and "mine" in names
    owners = {read_metadata(tmp_path / "class" / f"{n}.safetensors")["extra"]["owner"] for n in names}
    assert owners == {f"owner-{i}" for i in range(8)}  # no file replaced another
    assert not list((tmp_path / "class" / ".partial").iterdir())


def test_a_dataset_name_like_a_web_address_is_never_a_link_in_the_sidebar(app_dir):
    """A model whose dataset is called www.example.com: the sidebar drew it in bold Markdown, where a web address
    becomes a clickable link; it is a code span now, never a link."""
    rewrite(app_dir / "digits-z2.safetensors", app_dir / "linky.safetensors", dataset="www.example.com")
    at = open_app(model="linky")
    caption = next(c.value for c in at.sidebar.caption if "example" in c.value)
    assert caption.startswith("`www.example.com` · ")


def test_a_crafted_canvas_state_is_no_drawing_not_a_traceback():
    """The drawing canvas's state comes from the browser: NaN, strings, nested lists or the wrong length read as no
    drawing yet (they raised in np.asarray, or NaN reached the encoder), a proper one as ink in [0, 1]."""
    from ui.drawing import SKETCH_SIDE, ink_of

    n = SKETCH_SIDE**2
    for bad in ([float("nan")] * n, ["a"] * n, [[0.1, 0.2]] * n, [0.5] * (n - 1), {"image": 1}, None, [1e999] * n):
        assert ink_of(bad) is None, str(bad)[:40]
    ink = ink_of([2.0] + [0.25] * (n - 1))
    assert ink.shape == (SKETCH_SIDE, SKETCH_SIDE) and ink.max() == 1.0 and ink[0, 1] == 0.25


def test_a_text_too_long_for_the_model_is_quoted_by_a_short_prefix():
    from vae.data.modality import Tokens
    from vae.errors import ConfigError

    tokens = Tokens((8,), ["<pad>", "<end>", "<unk>", "a"])
    with pytest.raises(ConfigError) as e:
        tokens.encode(["a" * 100_000])
    text = str(e.value)
    assert "100000 characters" in text and len(text) < 200


# --------------------------------------------------------------- 7. a run whose objective's work the estimate missed
def test_beta_tcvaes_batch_by_batch_work_and_memory_are_counted_before_it_starts(app_dir):
    """beta-TCVAE compares every pair of a batch (a (B, B, D) block, elementwise: no FLOPs for the counter). Batch
    4000, z 256 was estimated at 2 s for 5 epochs and its process asked for 16.4 GB; batch 1000, z 64 ran 50x
    slower than estimated. The block's values and its memory are counted now, and the first is refused."""
    from streamlit.testing.v1 import AppTest

    from vae.config import VAEConfig
    from vae.config.values import apply
    from vae.errors import ConfigError
    from vae.service.cost import count_work, server_estimate

    tc = apply(VAEConfig(), {"objective": "beta-tcvae", "latent_dim": 64, "batch_size": 1000})
    plain = apply(VAEConfig(), {"latent_dim": 64, "batch_size": 1000})
    work, base = count_work(tc, (1, 28, 28), 1000, 4000), count_work(plain, (1, 28, 28), 1000, 4000)
    block = 1000 * 1000 * 64
    assert work.flops == pytest.approx(base.flops, rel=0.05)  # the counter of FLOPs alone saw no difference
    assert work.elements > 3 * block and work.elements > 50 * base.elements
    assert work.peak_bytes > 2 * 4 * block > 10 * base.peak_bytes
    huge = apply(VAEConfig(), {"objective": "beta-tcvae", "latent_dim": 256, "batch_size": 4000, "epochs": 5})
    with pytest.raises(ConfigError, match=r"about \d+\.\d GB of memory at once; this server allows 4.0 GB"):
        server_estimate(huge, (1, 28, 28), 4000, 1000)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"objective": "beta-tcvae", "latent_dim": "256", "batch_size": "4000", "epochs": "5"})
    at.switch_page("pages/build/train.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("memory at once" in e.value and "beta-TCVAE compares every pair of a batch" in e.value for e in at.error)
    assert at.button(key="start").disabled


# --------------------------------------------------------------- 8. ownership that a file or a cookie could steal
def test_a_file_holds_only_a_digest_of_its_owners_token_and_publishing_drops_it(app_dir, class_dir, tmp_path):
    """The owner token (the cookie that deletes a student's models) was stored in plain text in every class model,
    world-readable, and kept when the teacher published it: a browser with that cookie could delete them all."""
    from vae.service.storage import publish

    at = open_app()
    at.sidebar.file_uploader(key="upload").upload("mine.safetensors", (app_dir / "digits-z2.safetensors").read_bytes())
    at.run()
    token = at.session_state["_owner"]
    stored = read_metadata(class_dir / "mine.safetensors")["extra"]["owner"]
    assert token not in (class_dir / "mine.safetensors").read_bytes().decode("latin-1")
    assert stored == owner_digest(token) != token
    assert at.sidebar.button(key="delete_model")  # the owner still deletes it...
    thief = open_app()
    thief.session_state["_owner"] = stored  # ...a browser whose cookie is the stored value does not
    thief.sidebar.selectbox(key="model").select("mine").run()
    assert not thief.sidebar.button or all(b.key != "delete_model" for b in thief.sidebar.button)
    shared = publish(class_dir / "mine.safetensors")
    assert "owner" not in read_metadata(shared)["extra"]


def test_wrong_teacher_tokens_make_the_server_wait_longer_before_the_next(app_dir, monkeypatch):
    """The teacher's sign-in took guesses as fast as a script could send them; after each wrong token the server now
    checks no other for 1, 2, 4... seconds, for every session (a new browser does not reset it)."""
    from ui.teacher import _Guard

    monkeypatch.setenv("VAE_TEACHER_TOKEN", "s3cret-token")
    at = open_app("teacher")
    at.text_input(key="teacher_token").input("guess-1")
    at.button[0].click().run()
    assert any("not the teacher's token" in e.value for e in at.error) and _Guard.failures == 1
    other = open_app("teacher")  # another browser, at once, with the right token: not even checked yet
    other.text_input(key="teacher_token").input("s3cret-token")
    other.button[0].click().run()
    assert any("Too many wrong tokens: try again in 1 s" in e.value for e in other.error)
    assert not other.dataframe and _Guard.failures == 1
    _Guard.until = 0.0  # the wait is over
    other.text_input(key="teacher_token").input("s3cret-token")
    other.button[0].click().run()
    assert not other.exception and _Guard.failures == 0 and any(s.value == "Training queue" for s in other.subheader)


# --------------------------------------------------------------- 5. a class of many models
def test_the_listing_reads_each_of_many_models_once_per_version(app_models, class_dir, monkeypatch):
    """Past 256 models every Home, Compare and Teacher view hashed and parsed every file again (two caches of 256
    entries, evicted by each walk): 5.4 s a Home run at 265 models. Each file is read once per version now."""
    import os
    import shutil

    import ui.models as models

    class_dir.mkdir(parents=True, exist_ok=True)
    src = app_models / "digits-z2.safetensors"
    for i in range(300):
        os.link(src, class_dir / f"s-{i:03d}.safetensors")
    reads = []
    real = models.file_digest
    monkeypatch.setattr(models, "file_digest", lambda p: reads.append(p) or real(p))
    assert len(models.model_summaries()) >= 300 and len(reads) >= 300
    reads.clear()
    for _ in range(2):
        models.model_summaries(), models.checkpoint_paths(), models.skipped_models()
    assert reads == []
    (class_dir / "s-007.safetensors").unlink()
    shutil.copy(app_models / "sprites-z4.safetensors", class_dir / "s-007.safetensors")  # a new version
    rows = {r["name"]: r for r in models.model_summaries()}
    assert [p.name for p in reads] == ["s-007.safetensors"] and rows["s-007"]["dataset"] == "sprites"


def test_a_student_and_the_class_stay_within_their_storage_quotas(app_dir, class_dir, monkeypatch):
    """One session uploaded 500 checkpoints (479 MB) in 384 s: there was no quota. Now a student keeps at most
    $VAE_MAX_MODELS_PER_STUDENT models (trainings on their way counted) and the class folder at most
    $VAE_MAX_CLASS_MB; a refusal says what to delete, and a classmate is not held back."""
    import io

    from ui.navigation import PAGE

    monkeypatch.setenv("VAE_MAX_MODELS_PER_STUDENT", "2")
    data = (app_dir / "digits-z2.safetensors").read_bytes()
    at = open_app()
    for name in ("a", "b", "c"):
        at.sidebar.file_uploader(key="upload").upload(f"{name}.safetensors", data).run()
    assert (class_dir / "a.safetensors").exists() and (class_dir / "b.safetensors").exists()
    assert not (class_dir / "c.safetensors").exists()
    assert any("c.safetensors was not added: you have 2 model(s)" in e.value for e in at.sidebar.error)
    at.switch_page(PAGE["train"]).run()
    assert any("each student may keep 2: delete one" in e.value for e in at.error) and at.button(key="start").disabled
    classmate = open_app()
    classmate.sidebar.file_uploader(key="upload").upload("d.safetensors", data).run()
    assert (class_dir / "d.safetensors").exists()
    monkeypatch.setenv("VAE_MAX_CLASS_MB", "1")
    buf = io.BytesIO()
    np.savez(buf, x=np.random.RandomState(0).rand(400, 28, 28).astype(np.float32))  # 1.25 MB
    classmate.switch_page(PAGE["train"]).run()
    classmate.selectbox(key="dataset").select("npz").run()
    classmate.file_uploader(key="data_upload").upload("big.npz", buf.getvalue()).run()
    assert any("the class folder is full" in e.value for e in classmate.error), [e.value for e in classmate.error]
    assert not list((class_dir / "uploads").glob("*.npz"))


def test_uploads_no_model_uses_and_half_written_files_are_cleaned_after_a_day(class_dir):
    """Data uploads were never removed, nor files a killed server left half-written; they count against the quota."""
    import os

    from vae.service.storage import clean_class_folder

    (class_dir / "uploads").mkdir(parents=True)
    (class_dir / ".partial").mkdir()
    old = time.time() - 2 * 24 * 3600
    files = {
        "used": class_dir / "uploads" / "0123456789abcdef01234567.npz",
        "orphan": class_dir / "uploads" / "76543210fedcba9876543210.npz",
        "new": class_dir / "uploads" / "aaaaaaaaaaaaaaaaaaaaaaaa.zip",
        "partial": class_dir / ".partial" / "3-abc.safetensors",
        "tmp": class_dir / ".m.safetensors.x1.tmp",
    }
    for name, p in files.items():
        p.write_bytes(b"x")
        if name != "new":
            os.utime(p, (old, old))
    removed = clean_class_folder({"0123456789abcdef01234567.npz"})
    assert sorted(p.name for p in removed) == sorted(files[k].name for k in ("orphan", "partial", "tmp"))
    assert files["used"].exists() and files["new"].exists()


# --------------------------------------------------------------- 9. values a file can carry
def test_metadata_with_a_huge_integer_or_deep_nesting_gets_a_sentence_and_exit_code_2(app_models, tmp_path):
    """A 5,001-digit integer (ValueError) or JSON nested 100,000 deep (RecursionError) in the metadata: the CLI said
    "internal error (please report this)" with exit code 4, and the sidebar upload a traceback."""
    src = app_models / "digits-z2.safetensors"
    cases = {
        "bigint": {"metrics": '{"elbo": ' + "9" * 5001 + "}"},
        "deep": {"extra": "[" * 100_000 + "]" * 100_000},
        "nulls": {"metrics": '{"elbo": NaN, "kl": null}'},  # partial metrics, as a stopped run may leave
    }
    for name, change in cases.items():
        path = rewrite(src, tmp_path / f"{name}.safetensors", **change)
        for cmd in ("info", "eval"):
            r = subprocess.run([sys.executable, "-m", "vae", cmd, str(path)], capture_output=True, text=True, cwd=ROOT)
            out = r.stdout + r.stderr
            assert "internal error" not in out and "Traceback" not in out, (name, cmd, out[-300:])
            if name != "nulls":
                assert r.returncode == 2 and len(out) < 400, (name, cmd, out[-300:])
    with pytest.raises(CheckpointError, match="a number of more than 4,300 digits"):
        read_metadata(tmp_path / "bigint.safetensors")
    with pytest.raises(CheckpointError, match="nested too deep"):
        read_metadata(tmp_path / "deep.safetensors")


def test_a_series_of_values_near_the_float_limit_is_scaled_without_overflow(tmp_path):
    """+-1e308 in a series overflowed max - min to inf: every value became NaN and the training blamed the learning
    rate. The file is scaled into [0, 1] as any other."""
    from vae.data.user_series import read_series_file

    rng = np.random.RandomState(0)
    rows = rng.uniform(-1, 1, size=(20, 16)) * 1e308
    rows[0, 0], rows[1, 0] = 1.7e308, -1.7e308
    path = tmp_path / "big.csv"
    path.write_text("\n".join(",".join(str(float(v)) for v in r) for r in rows))
    ds = read_series_file(path)
    x = np.concatenate([ds.x_train.numpy(), ds.x_test.numpy()])
    assert np.isfinite(x).all() and x.min() == 0.0 and x.max() == 1.0


def test_the_cli_says_which_data_file_a_checkpoint_makes_it_read(tmp_path, capsys):
    """`vae eval` opened the data path a checkpoint's configuration names without saying so: a file shared by someone
    else decides which of your files is read. It is named on stderr before it is read."""
    from vae.cli import main

    data = tmp_path / "theirs.npz"
    np.savez(data, x=np.random.RandomState(0).rand(60, 8, 8).astype(np.float32))
    model = tmp_path / "m.safetensors"
    args = ["--dataset", "npz", "--data-path", str(data), "--epochs", "1", "--hidden", "8", "--latent-dim", "2"]
    assert main(["train", *args, "--out", str(model), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["eval", str(model), "--json"]) == 0
    out = capsys.readouterr()
    assert f"reading {data}: the npz file this checkpoint's configuration names" in out.err
    assert json.loads(out.out)["dataset"]  # stdout stays JSON


# --------------------------------------------------------------- 4. checks that take long
def test_an_uploads_check_is_bounded_in_time_and_stopped_when_its_uploader_leaves(tmp_path, monkeypatch):
    """Checking an upload ran in the page's thread for as long as it took (a million labels: about 4.5 hours, still
    running after the browser closed). It runs in a process of its own now, stopped at $VAE_UPLOAD_CHECK_SECONDS or
    when the uploader's session ends; the file is not kept either way, and a good file still passes."""
    import io

    from vae.service.uploads import store_dataset_upload

    buf = io.BytesIO()
    np.savez(buf, x=np.random.RandomState(0).rand(50, 8, 8).astype(np.float32))
    folder = tmp_path / "uploads"
    kind, path = store_dataset_upload("ok.npz", buf.getvalue(), folder, gone=lambda: False)
    assert kind == "npz" and path.exists()
    path.unlink()
    with pytest.raises(DataError, match="its check was stopped: the page that uploaded it was closed"):
        store_dataset_upload("left.npz", buf.getvalue(), folder, gone=lambda: True)
    monkeypatch.setenv("VAE_UPLOAD_CHECK_SECONDS", "0.001")
    with pytest.raises(DataError, match=r"checking it took more than 0 s on this server"):
        store_dataset_upload("slow.npz", buf.getvalue(), folder, gone=lambda: False)
    assert not list(folder.iterdir())
    bad = io.BytesIO(b"PK\x03\x04 not really a zip")
    monkeypatch.setenv("VAE_UPLOAD_CHECK_SECONDS", "60")
    with pytest.raises(DataError, match="bad.npz is not a readable .npz file"):
        store_dataset_upload("bad.npz", bad.getvalue(), folder, gone=lambda: False)


def test_a_serving_process_names_no_server_path_in_its_messages(tmp_path, monkeypatch):
    """Messages of the web app named server paths (`.../class/uploads/...`, the checkpoint folder): a student learnt
    the server's layout from them. A serving process names files by their name alone; the command line in full."""
    from vae.config import DataConfig
    from vae.data.catalog import load_dataset
    from vae.models.checkpoints import load_checkpoint

    missing = tmp_path / "deep" / "server" / "gone.safetensors"
    for serving, shown in (("1", "gone.safetensors"), ("0", str(missing))):
        monkeypatch.setenv("VAE_SERVING", serving)
        with pytest.raises(CheckpointError) as e:
            load_checkpoint(missing)
        assert str(e.value) == f"checkpoint not found: {shown}"
        with pytest.raises(DataError) as e:
            load_dataset(DataConfig(name="npz", path=str(tmp_path / "deep" / "x.npz")))
        assert ("deep" in str(e.value)) == (serving == "0")

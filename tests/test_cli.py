"""``python -m vae``: real subprocesses for the main paths, in-process for the many errors."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from vae.cli import main

ROOT = Path(__file__).resolve().parents[1]

TINY = [
    "--dataset",
    "digits",
    "--hidden",
    "32",
    "--latent-dim",
    "3",
    "--epochs",
    "2",
    "--batch-size",
    "64",
    "--device",
    "cpu",
    "--quiet",
]


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "vae", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "tiny.safetensors"
    p = run("train", *TINY, "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "saved" in p.stdout and "active units" in p.stdout
    assert re.search(r"training \d+\.\d s, reports \d+\.\d s$", p.stdout.strip()), p.stdout
    return out


def test_no_reports_saves_at_once_and_viewers_compute_them_later(tmp_path, capsys):
    from vae.analysis.reports import stored_reports
    from vae.models.checkpoints import read_metadata

    out = tmp_path / "quick.safetensors"
    assert main(["train", *TINY, "--no-reports", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip().endswith("reports skipped (--no-reports)")
    assert stored_reports(read_metadata(out)["extra"]) is None
    assert main(["diagnose", str(out), "--json"]) == 0  # computed on demand
    assert "verdict" in json.loads(capsys.readouterr().out)


def test_eval_json(trained):
    p = run("eval", str(trained), "--iwae-k", "20", "--json")
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    for k in ("elbo", "reconstruction", "kl", "kl_per_dim", "active_units", "iwae_nll", "num_test"):
        assert k in r
    assert r["num_test"] == 360 and len(r["kl_per_dim"]) == 3
    assert r["elbo"] == pytest.approx(r["reconstruction"] + r["kl"])
    assert r["iwae_nll"] <= r["elbo"] + 0.5  # the IWAE bound is at least the ELBO (up to noise)


def test_eval_matches_training_metrics(trained):
    from vae.models.checkpoints import read_metadata

    main(["eval", str(trained), "--iwae-k", "2", "--json"])  # in-process twin of the subprocess path
    stored = read_metadata(trained)["metrics"]
    p = run("eval", str(trained), "--iwae-k", "2", "--json")
    assert json.loads(p.stdout)["elbo"] == pytest.approx(stored["elbo"], abs=1e-6)


def test_info_and_datasets(trained, capsys):
    assert main(["info", str(trained)]) == 0
    out = capsys.readouterr().out
    assert "mlp [32]" in out and "latent dim   3" in out and "2 epochs" in out
    assert main(["datasets", "--json"]) == 0
    ds = {d["name"]: d for d in json.loads(capsys.readouterr().out)["datasets"]}
    assert ds["mnist5k"]["offline"] and ds["sprites"]["offline"]


def test_config_file_and_flag_override(tmp_path, capsys):
    cfgf = tmp_path / "c.json"
    cfgf.write_text(
        json.dumps({"latent_dim": 7, "encoder": {"arch": "cnn", "hidden": [8, 16]}, "objective": {"beta": 4.0}})
    )
    assert main(["train", "--config", str(cfgf), "--beta", "2", "--print-config"]) == 0
    cfg = json.loads(capsys.readouterr().out)
    assert cfg["latent_dim"] == 7 and cfg["objective"]["beta"] == 2.0
    assert cfg["encoder"]["hidden"] == [8, 16] and cfg["decoder"]["hidden"] == [16, 8]  # mirrored
    assert main(["train", "--hidden", "64", "32", "--decoder-hidden", "512", "--norm", "batch", "--print-config"]) == 0
    cfg = json.loads(capsys.readouterr().out)
    assert cfg["encoder"]["hidden"] == [64, 32] and cfg["decoder"]["hidden"] == [512]
    assert cfg["decoder"]["norm"] == "batch"


def test_every_flag_reaches_the_config(capsys):
    from vae.config.knobs import KNOBS

    values = {
        "dataset": "sprites",
        "data_path": "/x.npz",
        "data_root": "/d",
        "binarize": "dynamic",
        "sprites_size": "16",
        "sprites_num": "500",
        "train_size": "300",
        "latent_dim": "5",
        "posterior": "planar",
        "flow_steps": "0",  # (with steps, free bits below would be refused)
        "iaf_hidden": "64",
        "prior": "standard",  # (the VampPrior would refuse free bits too)
        "pseudo_inputs": "300",
        "prior_flow_steps": "3",
        "arch": "resnet",
        "hidden": "8",
        "decoder_arch": "cnn",
        "decoder_hidden": "12",
        "activation": "elu",
        "norm": "layer",
        "dropout": "0.1",
        "init": "he",
        "blocks": "2",
        "plain_blocks": True,
        "likelihood": "bernoulli",
        "variance": "learned",
        "sigma": "0.2",
        "bins": "16",
        "output_activation": "linear",  # (unused by a Bernoulli; a range other than 0,1 would be refused)
        "data_range": "0,1",
        "beta": "3",
        "kl_warmup": "2",
        "free_bits": "0.5",
        "capacity": "9",
        "capacity_gamma": "30",
        "capacity_epochs": "4",
        "epochs": "3",
        "batch_size": "32",
        "lr": "0.01",
        "weight_decay": "0.001",
        "seed": "7",
        "early_stopping": True,
        "patience": "12",
        "device": "cpu",
        "decoder_activation": "tanh",
        "decoder_norm": "batch",
        "decoder_dropout": "0.2",
        "decoder_init": "xavier",
        "decoder_blocks": "3",
        "decoder_kernel": "5",
        "decoder_gated": True,
        "objective": "vae",
        "alpha": "2",
        "gamma": "3",
        "factorvae_gamma": "4",
        "embedding": "24",  # the sequence knobs reach the config too (validation ignores them for images)
        "bidirectional": True,
        "pool": "mean",
        "heads": "2",
        "word_dropout": "0.3",
        "z_every_step": True,
        "decoder_couplings": "3",  # a flow decoder's (series)
        "attention": "2",  # 8 channels into 2 heads
        "decoder_attention": "4",  # the decoder's 12 into 4
    }
    assert set(values) == set(KNOBS)
    argv = ["train", "--print-config"]
    for k, v in values.items():
        argv += ["--" + k.replace("_", "-")] + ([] if v is True else [v])  # a bool knob is a bare flag
    assert main(argv) == 0
    cfg = json.loads(capsys.readouterr().out)
    for k, knob in KNOBS.items():
        section, field = knob.section, knob.field
        got = cfg[field] if section == "" else cfg["encoder" if section == "encoder+decoder" else section][field]
        want = knob.type(values[k])
        assert got == ([want] if knob.is_list else want), k
    assert cfg["decoder"]["activation"] == "tanh" and cfg["encoder"]["activation"] == "elu"


@pytest.mark.parametrize(
    "argv,msg",
    [
        (["train", "--latent-dim", "0"], "latent_dim must be an integer from 1 to 256"),
        (["train", "--latent-dim", "abc"], "invalid int value"),
        (["train", "--likelihood", "poisson"], "likelihood.name must be one of"),
        (["train", "--binarize", "dynamic", "--likelihood", "gaussian"], "only makes sense with the bernoulli"),
        (["train", "--data-range", "-1,1"], "a bernoulli likelihood models values in [0, 1]"),
        (
            ["train", "--dataset", "waves", "--norm", "batch", "--out", "/tmp/x.safetensors", "--force"],
            "--norm does not apply to series data (waves)",
        ),
        (["train", "--likelihood", "gaussian", "--output-activation", "tanh"], "set data_range to -1,1"),
        (["train", "--likelihood", "gaussian", "--data-range", "-1,1"], "use output_activation tanh or linear"),
        (["train", "--dataset", "nope", "--out", "/tmp/x.safetensors", "--force"], "unknown dataset 'nope'"),
        (["train", "--config", "/nonexistent.json"], "cannot read config file"),
        (["train", "--out", "model.pt"], "must end in .safetensors"),
        (["train", "--device", "tpu"], "train.device must be"),
        (["eval", "/nonexistent.safetensors"], "checkpoint not found"),
        (["eval"], "the following arguments are required: checkpoint"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_errors_are_one_line(argv, msg, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert msg in err and err.count("\n") == 1 and err.startswith("error: ")


def test_bad_config_json(tmp_path, capsys):
    f = tmp_path / "c.json"
    f.write_text('{"encoder": {"widths": [1]}}')
    assert main(["train", "--config", str(f)]) == 2
    assert "unknown key(s) in encoder: widths" in capsys.readouterr().err
    f.write_text("{oops")
    assert main(["train", "--config", str(f)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_existing_checkpoint_not_overwritten_without_force(trained, capsys):
    before = trained.read_bytes()
    assert main(["train", *TINY, "--out", str(trained)]) == 2
    assert "pass --force" in capsys.readouterr().err
    assert trained.read_bytes() == before


def test_diverged_run_keeps_old_checkpoint(trained, tmp_path):
    """A NaN run with --force exits 3 with the step in the message; the good file stays."""
    bad = tmp_path / "bad.npz"
    import numpy as np

    x = np.random.RandomState(0).rand(50, 8, 8).astype(np.float32)
    np.savez(bad, x=x)
    before = trained.read_bytes()
    p = run(
        "train",
        "--dataset",
        "npz",
        "--data-path",
        str(bad),
        "--lr",
        "10",
        "--epochs",
        "30",
        "--hidden",
        *["256"] * 8,
        "--latent-dim",
        "2",
        "--likelihood",
        "gaussian",
        "--variance",
        "per-pixel",
        "--init",
        "he",
        "--batch-size",
        "10",
        "--quiet",
        "--out",
        str(trained),
        "--force",
    )
    assert p.returncode == 3, (p.stdout, p.stderr)
    assert "diverged at step" in p.stderr and "Traceback" not in p.stderr
    assert trained.read_bytes() == before


def test_a_run_that_blows_up_keeps_the_good_checkpoint(trained, capsys):
    """lr 8 on digits stays finite but blows up: exit 3, the step and the remedy named, the good file kept."""
    before = trained.read_bytes()
    assert (
        main(
            ["train", "--dataset", "digits", "--lr", "8", "--epochs", "3", "--quiet", "--force", "--out", str(trained)]
        )
        == 3
    )
    err = capsys.readouterr().err
    assert "diverged at step 2" in err and "blew up" in err and "Nothing was saved" in err and "try 0.8" in err
    assert trained.read_bytes() == before


def test_invalid_checkpoint_subprocess(tmp_path):
    f = tmp_path / "x.safetensors"
    f.write_bytes(b"\x80\x04K\x01.")
    p = run("eval", str(f))
    assert p.returncode == 2 and "pickle" in p.stderr and "Traceback" not in p.stderr
    assert p.stderr.count("\n") == 1


def test_help_lists_commands():
    p = run("--help")
    assert p.returncode == 0
    for c in ("train", "eval", "info", "datasets"):
        assert c in p.stdout


def test_diagnose_json(trained, capsys):
    assert main(["diagnose", str(trained), "--iwae-k", "5", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    for k in ("kl_per_dim", "active_units", "au_variance", "mutual_info", "rate", "distortion", "iwae_nll", "verdict"):
        assert k in r
    assert r["verdict"] in ("healthy", "partial", "collapsed") and "mig" not in r


def test_diagnose_sprites_has_disentanglement(tmp_path, capsys):
    out = tmp_path / "s.safetensors"
    assert (
        main(
            [
                "train",
                "--dataset",
                "sprites",
                "--sprites-num",
                "600",
                "--sprites-size",
                "16",
                "--hidden",
                "64",
                "--latent-dim",
                "4",
                "--epochs",
                "1",
                "--device",
                "cpu",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["diagnose", str(out), "--iwae-k", "2", "--gaps-examples", "0", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert 0 <= r["mig"] <= 1 and set(r["factors"]) == {"shape", "scale", "rotation", "x", "y"}
    assert main(["diagnose", str(out), "--iwae-k", "2", "--gaps-examples", "0"]) == 0
    assert "MIG" in capsys.readouterr().out


def test_traverse_png_and_gif(trained, tmp_path, capsys):
    png, gif = tmp_path / "t.png", tmp_path / "t.gif"
    assert main(["traverse", str(trained), "--out", str(png), "--dims", "3", "--steps", "5"]) == 0
    im = Image.open(png)
    assert im.size == (16 * (5 * 10 + 2), 16 * (3 * 10 + 2))  # 8x8 tiles, 2-px padding, 5 x 3, enlarged 16x
    assert (
        main(["traverse", str(trained), "--out", str(gif), "--dims", "3", "--steps", "5", "--from-example", "4"]) == 0
    )
    g = Image.open(gif)
    assert g.n_frames == 5
    assert main(["traverse", str(trained), "--out", str(tmp_path / "t.jpg")]) == 2
    assert "must end in .png or .gif" in capsys.readouterr().err


def test_interpolate(trained, tmp_path, capsys):
    out = tmp_path / "i.png"
    assert (
        main(
            [
                "interpolate",
                str(trained),
                "--from",
                "0",
                "--to",
                "5",
                "--steps",
                "6",
                "--method",
                "slerp",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert Image.open(out).size == (16 * (6 * 10 + 2), 16 * 12)  # a strip of 6, enlarged towards 1,000 px
    assert main(["interpolate", str(trained), "--from", "0", "--to", "999", "--out", str(out)]) == 2
    assert "out of range" in capsys.readouterr().err


def test_project_csv_and_html(trained, tmp_path, capsys):
    import numpy as np

    csv = tmp_path / "p.csv"
    assert main(["project", str(trained), "--method", "pca", "--out", str(csv), "--limit", "100"]) == 0
    rows = np.loadtxt(csv, delimiter=",", skiprows=1)
    assert rows.shape == (100, 4)
    from vae.data.embedded import load_digits

    assert np.array_equal(rows[:, 1], load_digits().y_test.numpy()[rows[:, 0].astype(int)])
    html = tmp_path / "p.html"
    assert main(["project", str(trained), "--method", "pca", "--out", str(html)]) == 0
    assert "plotly" in html.read_text()[:5000].lower()


def test_output_into_closed_pipe_is_quiet(trained):
    p = subprocess.run(f"{sys.executable} -m vae info {trained} | head -1", shell=True, capture_output=True, text=True)
    assert p.returncode == 0 and "internal error" not in p.stderr and p.stdout.count("\n") == 1


@pytest.mark.parametrize("cmd", ["eval", "diagnose"])
def test_iwae_k_range(trained, cmd, capsys):
    assert main([cmd, str(trained), "--iwae-k", "0"]) == 2
    assert "--iwae-k must be from 1 to 100000" in capsys.readouterr().err


def test_every_shipped_model_passes_the_metadata_check():
    """Older shipped files lack newer history keys (test_examples) and hold the per-epoch KL decomposition."""
    from vae.models.checkpoints import metadata_problem, read_metadata

    shipped = sorted((ROOT / "checkpoints").glob("*.safetensors"))
    assert len(shipped) >= 17
    for path in shipped:
        assert metadata_problem(read_metadata(path)) is None, path.name


@pytest.mark.parametrize(
    "model,words",
    [
        ("sprites-mlp-z6-beta-tcvae", ["objective    beta-tcvae, beta 8", "binarize dynamic"]),
        ("mnist5k-mlp-z16-iaf", ["posterior iaf, flow_steps 4"]),
        ("names-gru-word-dropout-free-bits", ["gru [256]", "word_dropout 0.5", "free_bits 0.25", "categorical\n"]),
        ("waves-cnn-z6", ["series shape (1, 64)", "gaussian, sigma 0.05"]),
    ],
)
def test_info_names_every_setting_that_differs_from_the_default(model, words, capsys):
    assert main(["info", str(ROOT / "checkpoints" / f"{model}.safetensors")]) == 0
    out = capsys.readouterr().out
    for w in words:
        assert w in out, out
    if model.startswith("names"):
        assert "256 levels" not in out and "relu" not in out  # the words of a token model


def test_encode_writes_the_codes_labels_and_factors_as_a_plain_npz(app_models, tmp_path, capsys):
    """`vae encode`: what a researcher checks a metric with elsewhere. The codes are the posterior of the split
    the pages score (same numbers), the file opens without pickles, and the factors come with their names."""
    import numpy as np

    from vae.analysis.evaluation import checkpoint_split
    from vae.analysis.explore import posterior
    from vae.cli import main
    from vae.models.checkpoints import load_checkpoint

    path = app_models / "sprites-z4.safetensors"
    assert main(["encode", str(path), "--out", str(tmp_path / "codes.npz")]) == 0
    assert "examples of sprites, mu and sd of 4 latents, factors shape" in capsys.readouterr().out
    ck = load_checkpoint(path)
    ds, x, y, factors = checkpoint_split(ck, "test")
    mu, sd = posterior(ck.model, x)
    with np.load(tmp_path / "codes.npz", allow_pickle=False) as f:
        assert f["mu"].shape == (len(x), 4) and np.allclose(f["mu"], mu) and np.allclose(f["sd"], sd)
        assert (f["sd"] > 0).all() and np.array_equal(f["labels"], np.asarray(y))
        assert np.allclose(f["factors"], factors) and list(f["factor_names"]) == list(ds.factor_names)
        assert str(f["split"]) == "test" and str(f["dataset"]) == ds.name
    assert (
        main(
            ["encode", str(app_models / "digits-z2.safetensors"), "--split", "train", "--out", str(tmp_path / "d.npz")]
        )
        == 0
    )
    with np.load(tmp_path / "d.npz", allow_pickle=False) as f:
        assert "factors" not in f and f["mu"].shape[1] == 2 and len(f["labels"]) == len(f["mu"]) > 1000
    assert main(["encode", str(path), "--out", str(tmp_path / "codes.csv")]) == 2  # one line, not a traceback
    assert "--out must end in .npz" in capsys.readouterr().err

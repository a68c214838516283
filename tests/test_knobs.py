"""The knobs' declarations: every setting has one, and validation, the CLI and the form are derived from it."""

import dataclasses

import pytest

from ui.knob_widgets import disabled_knobs, form_defaults, unused_knobs
from vae.cli import build_parser
from vae.config import VAEConfig
from vae.config.knobs import KNOBS
from vae.config.run import CHECKED
from vae.errors import ConfigError


def test_every_field_of_a_configuration_has_a_knob():
    cfg = VAEConfig()
    fields = {("", "latent_dim")}
    for section in ("data", "encoder", "decoder", "likelihood", "objective", "posterior", "prior", "train"):
        fields |= {(section, f.name) for f in dataclasses.fields(getattr(cfg, section))}
    assert set(CHECKED) == fields


@pytest.mark.parametrize(
    "path,value,why",
    [
        ("encoder.dropout", 0.96, r"encoder.dropout must be a number from 0 to 0.95"),
        ("decoder.dropout", -0.1, r"decoder.dropout must be a number from 0 to 0.95"),
        ("decoder.kernel", 11, r"decoder.kernel must be an integer from 1 to 9"),
        ("encoder.kernel", 0, r"encoder.kernel must be an integer from 1 to 9"),  # no encoder knob: the decoder's
        ("decoder.arch", "rnn", r"decoder.arch must be one of mlp, cnn, resnet, pixelcnn, flow, wavenet, gru"),
        ("encoder.arch", "pixelcnn", r"pixelcnn is an autoregressive decoder"),
        ("encoder.pool", "max", r"decoder.pool|encoder.pool must be one of last, mean"),
        ("train.seed", 2**53, r"train.seed must be an integer"),
        ("latent_dim", 257, r"latent_dim must be an integer from 1 to 256"),
        ("encoder.hidden", [32, "x"], r"encoder.hidden must be a list of integers"),
        ("decoder.z_every_step", 1, r"decoder.z_every_step must be true or false"),
        ("objective.capacity", -1.0, r"objective.capacity must be a number from 0"),
        ("data.name", "nope", r"unknown dataset 'nope'"),
    ],
)
def test_validation_follows_the_declared_ranges(path, value, why):
    cfg = VAEConfig()
    section, _, name = path.rpartition(".")
    setattr(getattr(cfg, section) if section else cfg, name, value)
    with pytest.raises(ConfigError, match=why):
        cfg.validate()


def test_a_changed_range_changes_validation_the_cli_and_the_form(monkeypatch):
    """The range is written once: the validation, the CLI's help and the knob's range text all read it."""
    cfg = VAEConfig()
    cfg.encoder.dropout = 0.9
    cfg.validate()
    monkeypatch.setitem(CHECKED, ("encoder", "dropout"), dataclasses.replace(KNOBS["dropout"], hi=0.5))
    with pytest.raises(ConfigError, match="from 0 to 0.5"):
        cfg.validate()
    assert KNOBS["dropout"].range_text == "0..0.95" and KNOBS["latent_dim"].range_text == "1..256"
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    helps = {a.dest: a.help for a in train._actions}
    assert helps["dropout"].endswith("[0..0.95]") and helps["latent_dim"] == "size of z [1..256]"


def test_no_help_repeats_a_limit():
    for knob in KNOBS.values():
        if knob.range_text:
            assert knob.range_text not in knob.help and f"({int(knob.lo)}.." not in knob.help, knob.name


def test_the_form_disables_what_a_kind_of_data_or_another_knob_leaves_unused():
    base = form_defaults()
    off = disabled_knobs(base)  # mnist5k, bernoulli, mlp, no capacity, the vae objective
    assert {"sigma", "variance", "bins", "blocks", "decoder_kernel", "capacity_gamma", "alpha", "word_dropout"} <= off
    assert not {"binarize", "beta", "latent_dim", "decoder_blocks", "dropout"} & off
    on = disabled_knobs({**base, "likelihood": "gaussian", "capacity": 5.0, "decoder_arch": "pixelcnn"})
    assert not {"sigma", "variance", "capacity_gamma", "capacity_epochs", "decoder_kernel", "decoder_gated"} & on
    assert "binarize" in on  # binarized pixels are Bernoulli draws
    text = disabled_knobs({**base, "dataset": "names"})
    assert {"norm", "sigma", "binarize", "decoder_kernel"} <= text and not {"word_dropout", "heads"} & text
    assert unused_knobs("waves") == {k for k, v in KNOBS.items() if "series" not in v.kinds}
    assert {"embedding", "word_dropout", "norm", "bins"} <= unused_knobs("waves")
    assert not {"sigma", "init", "pool", "heads"} & unused_knobs("waves")  # series have sequence networks too
    waves = disabled_knobs({**base, "dataset": "waves", "likelihood": "gaussian", "arch": "cnn"})
    assert {"pool", "bidirectional", "word_dropout"} <= waves  # a cnn encoder has no recurrent state to pool
    assert not {"pool", "bidirectional"} & disabled_knobs({**base, "dataset": "waves", "arch": "gru"})

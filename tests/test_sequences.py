"""Token sequences: the names data, the recurrent and transformer networks, the likelihood over tokens."""

from __future__ import annotations

import itertools
import json
import math

import pytest
import torch

from vae.config import DataConfig, NetworkConfig, TrainConfig, VAEConfig
from vae.data.modality import END, PAD, SPECIALS, UNK, Tokens
from vae.data.names import LENGTH, VOCAB
from vae.errors import ConfigError
from vae.models.vae import VAE


def seq_config(encoder="gru", decoder="gru", **net) -> VAEConfig:
    """A small token model on names."""
    cfg = VAEConfig(
        latent_dim=4,
        data=DataConfig(name="names"),
        encoder=NetworkConfig(arch=encoder, hidden=[16], embed=8, heads=2),
        decoder=NetworkConfig(arch=decoder, hidden=[16], embed=8, heads=2),
        train=TrainConfig(epochs=1, batch_size=64, device="cpu"),
    )
    cfg.likelihood.name = "categorical"
    for k, v in net.items():
        setattr(cfg.encoder if k in ("bidirectional", "pool") else cfg.decoder, k, v)
    return cfg.validate()


AB = Tokens((3,), [*SPECIALS, "a", "b"])  # two letters, at most two of them, then END


def test_names_are_read_offline_with_their_languages():
    from vae.data.catalog import data_shape, load_dataset
    from vae.data.names import read_names

    ds = load_dataset(DataConfig(name="names"))
    names, languages = read_names()
    assert len(ds.x_train) + len(ds.x_test) == len(names) == 3763
    assert data_shape(DataConfig(name="names")) == ((13,), len(ds.x_train), len(ds.x_test))
    assert ds.x_train.dtype == torch.int64 and ds.modality.vocab_size == 29
    assert len(ds.classes) == 7 and {"English", "German", "Spanish"} <= set(ds.classes)
    shown = ds.modality.show(torch.cat([ds.x_train, ds.x_test]))
    assert sorted(shown) == sorted(names)  # every name decodes back to itself
    first = names.index(shown[0])
    assert ds.classes[int(ds.y_train[0])] == languages[first]


def test_tokens_encode_show_mask_and_refuse_what_does_not_fit():
    x = AB.encode(["ab", "", "b"])
    assert x.tolist() == [[3, 4, END], [END, PAD, PAD], [4, END, PAD]]
    assert AB.show(x) == ["ab", "", "b"]
    assert Tokens.mask(x).tolist() == [[True, True, True], [True, False, False], [True, True, False]]
    assert AB.encode(["z"]).tolist() == [[UNK, END, PAD]] and AB.show(AB.encode(["z"])[0]) == "?"
    with pytest.raises(ConfigError, match="at most 2"):
        AB.encode(["aab"])
    with pytest.raises(ConfigError, match="vocabulary"):
        Tokens((3,), ["a", "b"])


@pytest.mark.parametrize("arch", ["gru", "lstm", "transformer"])
def test_the_decoder_is_causal(arch):
    """The logits at step t have zero gradient with respect to the inputs at steps after t (the input at
    step s is token s - 1: each step sees only the tokens before it)."""
    torch.manual_seed(0)
    model = VAE(seq_config(decoder=arch), Tokens((8,), [*SPECIALS, *"abcdef"]))
    x = torch.tensor([[3, 4, 5, 6, 7, 8, 3, END]])
    z = torch.randn(1, 4)
    captured = {}

    def keep(_module, _inputs, output):
        output.retain_grad()
        captured["e"] = output

    model.decoder.embed.register_forward_hook(keep)
    for t in range(8):
        model.zero_grad()
        logits = model.decoder(z, x)
        logits[0, t].sum().backward()
        g = captured["e"].grad[0].abs().sum(-1)  # per input step
        assert torch.all(g[t + 1 :] == 0), (t, g)
        assert g[t] > 0  # and it does read the token just before it


@pytest.mark.parametrize("decoder", ["gru", "transformer", "mlp"])
def test_sampling_agrees_with_the_likelihood(decoder):
    """On two letters and length 3, the frequencies of sampled strings match exp(log p(x|z))."""
    torch.manual_seed(0)
    model = VAE(seq_config(decoder=decoder), AB).eval()
    with torch.no_grad():
        for p in model.decoder.parameters():
            p.mul_(4)  # an uneven distribution, so that a wrong factor shows
    z = torch.randn(1, 4)
    tokens = [UNK, 3, 4]
    strings = (
        [[END, PAD, PAD]]
        + [[a, END, PAD] for a in tokens]
        + [[a, b, END] for a, b in itertools.product(tokens, tokens)]
    )
    x = torch.tensor(strings)
    with torch.no_grad():
        logp = model.likelihood.log_prob(model.decode(z.expand(len(x), -1), x), x)
    p = logp.exp()
    assert float(p.sum()) == pytest.approx(1.0, abs=1e-5)  # every string the model can make is listed
    n = 40_000
    g = torch.Generator().manual_seed(1)
    drawn = model.sample_x(z.expand(n, -1), g)
    counts = {tuple(s): 0 for s in strings}
    for row in drawn.tolist():
        counts[tuple(row)] += 1
    freq = torch.tensor([counts[tuple(s)] / n for s in strings])
    tolerance = 5 * torch.sqrt(p * (1 - p) / n) + 1e-3
    assert torch.all((freq - p).abs() <= tolerance), (freq, p)


@pytest.mark.parametrize(
    "encoder,options",
    [("gru", {}), ("lstm", {"bidirectional": True}), ("gru", {"pool": "mean", "bidirectional": True})],
)
def test_padding_after_a_sequence_changes_nothing(encoder, options):
    torch.manual_seed(0)
    vocab = [*SPECIALS, *"abc"]
    short, long_ = Tokens((5,), vocab), Tokens((9,), vocab)
    model = VAE(seq_config(encoder, "gru", **options), short).eval()
    x = short.encode(["abc", "a", "cab"])
    xl = long_.encode(["abc", "a", "cab"])
    assert xl.shape[1] == x.shape[1] + 4
    q, ql = model.encode(x), model.encode(xl)
    assert torch.allclose(q.mean, ql.mean, atol=1e-6) and torch.allclose(q.logvar, ql.logvar, atol=1e-6)
    z = torch.randn(3, 4)
    lp = model.likelihood.log_prob(model.decode(z, x), x)
    lpl = model.likelihood.log_prob(model.decode(z, xl), xl)
    assert torch.allclose(lp, lpl, atol=1e-5)
    junk = x.clone()
    junk[1, 2:] = 3  # whatever follows END is padding, read or not
    assert torch.allclose(model.encode(junk).mean, q.mean, atol=1e-6)
    assert torch.allclose(model.likelihood.log_prob(model.decode(z, junk), junk), lp, atol=1e-5)


def test_a_transformer_encoder_masks_the_padding():
    torch.manual_seed(0)
    tokens = Tokens((6,), [*SPECIALS, *"abc"])
    model = VAE(seq_config("transformer", "mlp"), tokens).eval()
    x = tokens.encode(["ab", "cab"])
    junk = x.clone()
    junk[0, 3:] = 4
    assert torch.allclose(model.encode(junk).mean, model.encode(x).mean, atol=1e-5)
    assert not torch.allclose(model.encode(tokens.encode(["ba", "cab"])).mean[0], model.encode(x).mean[0])


def test_the_transformer_decoder_shows_where_each_step_looks():
    torch.manual_seed(0)
    tokens = Tokens((6,), [*SPECIALS, *"abc"])
    model = VAE(seq_config("gru", "transformer"), tokens).eval()
    x = tokens.encode(["abc", "b"])
    weights = model.decoder.attention(torch.randn(2, 4), x)
    assert len(weights) == 1  # one block
    self_w, cross_w = weights[0]
    assert self_w.shape == (2, 6, 6) and cross_w.shape == (2, 6, model.decoder.MEMORY)
    assert torch.all(torch.triu(self_w, 1) == 0)  # never a later input
    assert torch.allclose(self_w.sum(-1), torch.ones(2, 6)) and torch.allclose(cross_w.sum(-1), torch.ones(2, 6))


def test_word_dropout_only_in_training_and_never_on_the_first_input():
    torch.manual_seed(0)
    model = VAE(seq_config(word_dropout=1.0), AB)
    x = AB.encode(["ab", "b"])
    model.train()
    prev = model.decoder.previous_tokens(x)
    assert prev[:, 0].tolist() == [END, END] and prev[0, 1:].tolist() == [UNK, UNK]
    assert prev[1].tolist() == [END, UNK, PAD] or prev[1].tolist() == [END, UNK, UNK]
    model.eval()
    assert model.decoder.previous_tokens(x).tolist() == [[END, 3, 4], [END, 4, END]]


def test_sequence_settings_are_checked_with_a_reason():
    cfg = seq_config()
    cfg.encoder.hidden = [16, 32]
    with pytest.raises(ConfigError, match="share one width"):
        cfg.validate()
    cfg = seq_config("transformer", "mlp")
    cfg.encoder.hidden, cfg.encoder.heads = [10], 4
    with pytest.raises(ConfigError, match="heads"):
        cfg.validate()
    image = VAEConfig(data=DataConfig(name="digits"))
    image.encoder.arch, image.decoder.arch, image.encoder.hidden, image.decoder.hidden = "gru", "gru", [8], [8]
    with pytest.raises(ConfigError, match="does not read image data"):
        VAE(image.validate(), (1, 8, 8))
    bern = seq_config()
    bern.likelihood.name = "bernoulli"
    with pytest.raises(ConfigError, match="not defined for tokens"):
        VAE(bern, AB)


def test_a_token_model_trains_saves_and_loads(tmp_path):
    from vae.analysis.evaluation import evaluate_full
    from vae.data.catalog import load_dataset
    from vae.models.checkpoints import load_checkpoint, save_checkpoint
    from vae.training.trainer import train

    cfg = seq_config(word_dropout=0.25)
    cfg.train.epochs = 2
    result = train(cfg)
    assert [r["epoch"] for r in result.history] == [1, 2]
    assert result.history[1]["test_elbo"] < result.history[0]["test_elbo"] < 13 * math.log(29)
    path = save_checkpoint(tmp_path / "names.safetensors", result.model, result.history, result.metrics)
    ck = load_checkpoint(path)
    assert ck.modality == result.model.modality and ck.x_shape == (13,)
    x = load_dataset(cfg.data).x_test[:50]
    a = evaluate_full(result.model, x, iwae_k=10, seed=1)
    b = evaluate_full(ck.model, x, iwae_k=10, seed=1)
    assert a["elbo"] == pytest.approx(b["elbo"]) and b["iwae_nll"] <= b["elbo"] + 1e-4
    meta = json.loads(
        __import__("safetensors").safe_open(str(path), "pt").metadata()["modality"]  # the vocabulary travels with it
    )
    assert meta["kind"] == "tokens" and meta["vocab"][:3] == list(SPECIALS)


def test_the_command_line_trains_and_prints_names(tmp_path, capsys):
    from vae.cli import main

    out = tmp_path / "gru.safetensors"
    flags = ["--dataset", "names", "--arch", "gru", "--hidden", "32", "--embedding", "16", "--likelihood"]
    flags += ["categorical", "--latent-dim", "4", "--epochs", "1", "--word-dropout", "0.2", "--no-reports"]
    assert main(["train", *flags, "--out", str(out)]) == 0
    capsys.readouterr()
    txt = tmp_path / "s.txt"
    assert main(["sample", str(out), "--n", "5", "--temperature", "0.8", "--top-k", "5", "--out", str(txt)]) == 0
    r = capsys.readouterr()
    names = r.out.split()
    assert len(names) <= 5 and all(set(n) <= set("abcdefghijklmnopqrstuvwxyz?") for n in names)
    assert txt.read_text().splitlines() == r.out.splitlines() and "drawn token by token" in r.err
    assert main(["sample", str(out), "--n", "2", "--top-k", "-1"]) != 0
    assert "--top-k" in capsys.readouterr().err
    assert main(["traverse", str(out), "--dims", "2", "--steps", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()  # a column of decoded names per dimension, one row per offset
    assert lines[0].split()[0] == "offset" and len(lines) == 6
    assert [ln.split()[0] for ln in lines[1:]] == ["-3.00", "-1.50", "+0.00", "+1.50", "+3.00"]
    assert (
        main(["interpolate", str(out), "--from", "0", "--to", "1", "--steps", "4", "--out", str(tmp_path / "i.txt")])
        == 0
    )
    r = capsys.readouterr()
    assert "interpolation from" in r.out and len(r.out.splitlines()) == 6
    assert (tmp_path / "i.txt").read_text().splitlines()[0] == "t\tdecoded"


def test_a_students_text_file_trains_and_bad_files_are_explained(tmp_path):
    from vae.data.catalog import data_shape, load_dataset
    from vae.errors import DataError
    from vae.training.trainer import train

    good = tmp_path / "words.txt"
    words = ["ciao\tit", "hallo\tde", "hello\ten", "hola\tes", "", "salut\tfr"] * 4
    good.write_text("\n".join(words) + "\n", encoding="utf-8")
    cfg = seq_config(decoder="transformer")
    cfg.data = DataConfig(name="text", path=str(good))
    ds = load_dataset(cfg.data)
    assert ds.classes == ["de", "en", "es", "fr", "it"] and len(ds.x_train) + len(ds.x_test) == 20  # blanks skipped
    assert data_shape(cfg.data) == ((6,), len(ds.x_train), len(ds.x_test))  # "hallo" + END
    assert ds.modality.vocab[3:] == sorted(set("ciaohallohellholasalut"))
    assert train(cfg.validate()).history  # a transformer decoder learns from it
    bad = tmp_path / "bad.txt"
    for content, message in [
        (b"\xff\xfe" + "ciao\n".encode("utf-16-le") * 12, "not UTF-8"),
        (b"one\ntwo\n", "at least 10"),
        (("x" * 300 + "\n").encode() + b"ab\n" * 12, r"line\(s\) 1 are longer than 255"),
        (b"\tlabel\n" + b"ab\n" * 12, r"line\(s\) 1 have a label but no sequence"),
    ]:
        bad.write_bytes(content)
        with pytest.raises(DataError, match=message):
            load_dataset(DataConfig(name="text", path=str(bad)))


@pytest.mark.parametrize("arch", ["gru", "lstm"])
def test_dropout_acts_on_a_recurrent_network_of_one_layer(arch):
    """nn.GRU's own dropout is only between layers; the networks drop the last layer's outputs too."""
    cfg = seq_config(encoder=arch, decoder=arch)
    cfg.encoder.dropout = cfg.decoder.dropout = 0.5
    model = VAE(cfg.validate(), Tokens((LENGTH,), VOCAB))
    x = torch.randint(4, len(VOCAB), (6, LENGTH))
    model.train()
    torch.manual_seed(0)
    a = model.encoder(x)
    torch.manual_seed(1)
    assert not torch.equal(a, model.encoder(x))
    z = torch.randn(6, 4)
    torch.manual_seed(0)
    d = model.decoder(z, x)
    torch.manual_seed(1)
    assert not torch.equal(d, model.decoder(z, x))
    model.eval()
    assert torch.equal(model.encoder(x), model.encoder(x))

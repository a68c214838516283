"""Every network family x image size x likelihood builds, runs and has the right shapes."""

import pytest
import torch
from torch import nn

from vae.config import LikelihoodConfig, NetworkConfig, VAEConfig
from vae.errors import ConfigError
from vae.models.networks import count_parameters
from vae.models.vae import VAE

SHAPES = [(1, 8, 8), (1, 28, 28), (3, 32, 32), (1, 64, 64), (3, 20, 12)]
LIKELIHOODS = [
    LikelihoodConfig("bernoulli"),
    LikelihoodConfig("gaussian", variance="fixed"),
    LikelihoodConfig("gaussian", variance="learned"),
    LikelihoodConfig("gaussian", variance="per-pixel"),
    LikelihoodConfig("categorical", bins=4),
]
NETS = {
    "mlp": NetworkConfig("mlp", [64, 32]),
    "cnn": NetworkConfig("cnn", [8, 16]),
    "resnet": NetworkConfig("resnet", [8, 16]),
}


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("arch", list(NETS))
@pytest.mark.parametrize("lk", LIKELIHOODS, ids=lambda lk: f"{lk.name}-{lk.variance}")
def test_forward_shapes(shape, arch, lk):
    net = NETS[arch]
    cfg = VAEConfig(latent_dim=3, encoder=net, decoder=NetworkConfig(arch, net.hidden[::-1]), likelihood=lk).validate()
    model = VAE(cfg, shape)
    x = torch.rand(5, *shape)
    out = model(x)
    assert out.posterior.mean.shape == out.posterior.logvar.shape == out.z.shape == (5, 3)
    assert out.params.shape == (5, model.likelihood.params_per_pixel * shape[0], *shape[1:])
    assert out.rec.shape == (5,) and torch.isfinite(out.rec).all()
    assert out.kl_dims.shape == (5, 3) and (out.kl_dims >= 0).all()
    assert model.reconstruct(x).shape == (5, *shape)
    s = model.reconstruct(x, sample=True)
    assert s.shape == (5, *shape) and s.min() >= 0 and s.max() <= 1
    assert model.sample_prior(4).shape == (4, *shape)
    out.rec.mean().backward()  # every part gets a gradient
    assert all(p.grad is not None for n, p in model.named_parameters() if not n.startswith("likelihood"))


@pytest.mark.parametrize("latent", [1, 256])
def test_latent_extremes(latent):
    model = VAE(VAEConfig(latent_dim=latent).validate(), (1, 8, 8))
    assert model(torch.rand(2, 1, 8, 8)).z.shape == (2, latent)


@pytest.mark.parametrize("norm,klass", [("batch", nn.BatchNorm1d), ("layer", nn.LayerNorm), ("none", None)])
def test_norm_layers_mlp(norm, klass):
    model = VAE(VAEConfig(encoder=NetworkConfig(norm=norm), decoder=NetworkConfig(norm=norm)), (1, 8, 8))
    kinds = {type(m) for m in model.modules()}
    if klass:
        assert klass in kinds
    else:
        assert not kinds & {nn.BatchNorm1d, nn.LayerNorm, nn.BatchNorm2d, nn.GroupNorm}


@pytest.mark.parametrize("norm,klass", [("batch", nn.BatchNorm2d), ("layer", nn.GroupNorm)])
def test_norm_layers_cnn(norm, klass):
    net = NetworkConfig("cnn", [4, 8], norm=norm)
    model = VAE(VAEConfig(encoder=net, decoder=net), (1, 8, 8))
    assert any(isinstance(m, klass) for m in model.modules())


@pytest.mark.parametrize(
    "act,klass",
    [
        ("relu", nn.ReLU),
        ("leaky_relu", nn.LeakyReLU),
        ("elu", nn.ELU),
        ("gelu", nn.GELU),
        ("silu", nn.SiLU),
        ("tanh", nn.Tanh),
    ],
)
def test_activations(act, klass):
    net = NetworkConfig(activation=act)
    model = VAE(VAEConfig(encoder=net, decoder=net), (1, 8, 8))
    assert any(isinstance(m, klass) for m in model.encoder.modules())


def test_dropout_present_and_inactive_in_eval():
    net = NetworkConfig(dropout=0.5)
    model = VAE(VAEConfig(encoder=net, decoder=net), (1, 8, 8))
    assert any(isinstance(m, nn.Dropout) for m in model.modules())
    model.eval()
    x = torch.rand(3, 1, 8, 8)
    assert torch.equal(model.encode(x).mean, model.encode(x).mean)


def test_initializations_differ_as_documented():
    torch.manual_seed(0)
    xav = VAE(VAEConfig(encoder=NetworkConfig(init="xavier")), (1, 28, 28))
    he = VAE(VAEConfig(encoder=NetworkConfig(init="he")), (1, 28, 28))
    w_x, w_h = xav.encoder.net[1].weight, he.encoder.net[1].weight
    fan_in, fan_out = 784, 400
    assert abs(w_x.std().item() - (2 / (fan_in + fan_out)) ** 0.5) < 0.003  # Glorot: var = 2/(in+out)
    assert abs(w_h.std().item() - (2 / fan_in) ** 0.5) < 0.003  # Kaiming (relu): var = 2/in
    assert torch.count_nonzero(xav.encoder.net[1].bias) == 0


def test_decoder_can_be_stronger_than_encoder():
    cfg = VAEConfig(encoder=NetworkConfig(hidden=[16]), decoder=NetworkConfig(hidden=[256, 256]))
    model = VAE(cfg, (1, 8, 8))
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert n(model.decoder) > 10 * n(model.encoder)


def test_too_many_stages_for_image_is_refused():
    net = NetworkConfig("cnn", [4, 4, 4, 4])
    with pytest.raises(ConfigError, match="at least 16 pixels"):
        VAE(VAEConfig(encoder=net, decoder=net), (1, 8, 8))


def test_huge_layer_is_refused_before_allocation():
    cfg = VAEConfig(likelihood=LikelihoodConfig("categorical", bins=256), decoder=NetworkConfig(hidden=[4096]))
    with pytest.raises(ConfigError, match="linear layer"):
        VAE(cfg.validate(), (3, 64, 64))


def test_the_series_networks_convolutions_take_the_initialization_too():
    from vae.data.modality import Series

    torch.manual_seed(0)
    cfg = VAEConfig(encoder=NetworkConfig("cnn", [8, 16], init="he"), decoder=NetworkConfig("cnn", [16, 8], init="he"))
    cfg.likelihood.name = "gaussian"
    model = VAE(cfg.validate(), Series((1, 64)))
    convs = [m for m in model.modules() if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d))]
    assert convs and all(torch.count_nonzero(m.bias) == 0 for m in convs)  # PyTorch's default leaves biases nonzero


def test_plain_blocks_are_the_residual_blocks_without_their_skips():
    from vae.models.networks import ResidualBlock

    for plain in (False, True):
        block = ResidualBlock(4, NetworkConfig("resnet", [4], plain=plain))
        for p in block.body.parameters():
            nn.init.zeros_(p)  # the body outputs 0: the block is act(x) with its skip, act(0) without
        x = torch.randn(2, 4, 5, 5)
        assert torch.equal(block(x), torch.zeros_like(x) if plain else torch.relu(x))
    cfg = VAEConfig(encoder=NetworkConfig("resnet", [4, 8], blocks=2, plain=True))
    cfg.decoder = NetworkConfig("resnet", [8, 4], blocks=2, plain=True)
    plain, residual = VAE(cfg, (1, 8, 8)), VAE(VAEConfig(encoder=NetworkConfig("resnet", [4, 8], blocks=2)), (1, 8, 8))
    assert count_parameters(plain.encoder) == count_parameters(residual.encoder)  # the same layers

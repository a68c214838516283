"""The variational autoencoder: encoder q(z|x), prior p(z) = N(0, I), decoder p(x|z).

    q(z|x) = N(mu, diag sigma^2),  mu, log sigma^2 = heads(encoder(x))   (vae/models/posteriors.py)
    z = mu + sigma * eps,  eps ~ N(0, I)          (reparameterization trick)
    p(x|z) = likelihood(decoder(z))              (or decoder(z, x): autoregressive, vae/pixelcnn.py)

Images, token sequences and series differ only in their networks and likelihood, which NETWORKS builds
for each kind of data (vae/models/sequence.py for tokens, vae/models/series.py for series) behind one
decoder interface (vae.models.networks.DecoderNet); the posterior, the prior, the flows and everything on
the latent side are shared.

The encoder's log-variance is bounded smoothly to [LOGVAR_MIN, LOGVAR_MAX] and its head
starts small (sigma(x) close to 1 at initialisation), so that an untrained wide network
cannot produce variances of e^100 and a KL of 10^16 nats in its first steps; the mean
head keeps its usual initialisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from vae.config import VAEConfig
from vae.data.modality import Modality, as_modality
from vae.data.transforms import to_range
from vae.models.flows import FlowPosterior, make_flow
from vae.models.likelihoods import make_likelihood
from vae.models.networks import Decoder, DecoderNet, Encoder, Networks, initialize, linear
from vae.models.pixelcnn import PixelCNNDecoder
from vae.models.posteriors import DiagonalGaussian
from vae.models.priors import make_prior
from vae.models.sequence import make_sequence_networks
from vae.models.series import make_series_networks

LOGVAR_MIN, LOGVAR_MAX = -15.0, 5.0  # posterior sd from 5.5e-4 to 12 (the prior's is 1)
HEAD_INIT_SCALE = 0.1
_OFFSET = float(F.softplus(torch.tensor(LOGVAR_MAX)) - LOGVAR_MAX)


def bound_logvar(raw: torch.Tensor) -> torch.Tensor:
    """Smooth clamp: y = lo + softplus(raw - lo), then hi - softplus(hi - y) + c.

    c = softplus(hi) - hi makes f(0) = 0 exactly. Close to the identity inside the range
    (within 0.01 for -10 < raw < 0, 0.05 at raw = 2), flat beyond it, with a gradient everywhere: log sigma^2 stays in
    [LOGVAR_MIN, LOGVAR_MAX + 0.01].
    """
    y = LOGVAR_MIN + F.softplus(raw - LOGVAR_MIN)
    return LOGVAR_MAX - F.softplus(LOGVAR_MAX - y) + _OFFSET


def make_image_networks(config: VAEConfig, modality: Modality) -> Networks:
    """The networks of an image model: an mlp, cnn or resnet encoder; the same or a pixelcnn decoder."""
    likelihood = make_likelihood(config.likelihood)
    out_channels = likelihood.params_per_pixel * modality.shape[0]
    decoder_class = PixelCNNDecoder if config.decoder.arch == "pixelcnn" else Decoder
    return Networks(
        Encoder(config.encoder, modality.shape),
        likelihood,
        lambda: decoder_class(config.decoder, config.latent_dim, modality.shape, out_channels),
    )


NETWORKS = {"image": make_image_networks, "tokens": make_sequence_networks, "series": make_series_networks}


@dataclass
class VAEOutput:
    posterior: DiagonalGaussian | FlowPosterior  # q(z|x) for the batch
    z: torch.Tensor  # (B, D), one draw from it
    params: torch.Tensor  # decoder output (B, P*C, H, W)
    rec: torch.Tensor  # (B,) -log p(x|z), nats
    kl_dims: torch.Tensor  # (B, D) KL per dimension, nats; (B, 1) for a flow posterior (its one-sample estimate)

    @property
    def kl(self) -> torch.Tensor:
        return self.kl_dims.sum(1)


class VAE(nn.Module):
    def __init__(self, config: VAEConfig, modality: Modality | tuple[int, ...]):
        """``modality``: what x is (a shape stands for its modality: (C, H, W) an image, (C, L) a series)."""
        super().__init__()
        self.config = config
        self.modality = as_modality(modality)
        self.modality.check(config)
        self.x_shape = self.modality.shape  # the shape of one x (an image's (C, H, W), a sequence's (L,))
        self.latent_dim = config.latent_dim
        self.data_range = config.likelihood.data_range  # what the encoder reads x scaled to (x itself is in [0, 1])
        networks = NETWORKS[self.modality.kind](config, self.modality)
        self.encoder, self.likelihood = networks.encoder, networks.likelihood
        self.fc_mu = linear(self.encoder.out_features, config.latent_dim)
        self.fc_logvar = linear(self.encoder.out_features, config.latent_dim)
        self.prior = make_prior(config, self.x_shape)
        if config.prior.name == "vamp":
            self.prior.encode = self._encode_gaussian
        self.closed_form_kl = config.closed_form_kl
        po = config.posterior
        self.flow = (
            make_flow(po.name, self.encoder.out_features, config.latent_dim, po.flow_steps, po.iaf_hidden)
            if config.has_flow
            else None
        )
        self.decoder: DecoderNet = networks.decoder()
        # floats a decoder pass holds per example at its peak (the IWAE bound sizes its chunks by it)
        self.decode_numel = max(self.decoder.output_numel, self.decoder.work_numel)
        for net, part in (
            (config.encoder, (self.encoder, self.fc_mu, self.fc_logvar)),
            (config.decoder, (self.decoder,)),
        ):
            for m in part:
                initialize(m, net.init, net.activation)
        with torch.no_grad():  # log sigma^2(x) starts near 0: q(z|x) starts with the prior's variance
            self.fc_logvar.weight.mul_(HEAD_INIT_SCALE)
            self.fc_logvar.bias.mul_(HEAD_INIT_SCALE)

    # --------------------------------------------------------------- parts
    def encode(self, x: torch.Tensor) -> DiagonalGaussian | FlowPosterior:
        """q(z|x) for a batch: N(mu, diag sigma^2), each parameter (B, D), log sigma^2 bounded; then the
        flow steps, when the configuration has them (vae/models/flows.py)."""
        h = self.encoder(to_range(x, self.data_range))
        q = self._gaussian(h)
        return q if self.flow is None else FlowPosterior(q, self.flow, h)

    def _gaussian(self, h: torch.Tensor) -> DiagonalGaussian:
        return DiagonalGaussian(self.fc_mu(h), bound_logvar(self.fc_logvar(h)))

    def _encode_gaussian(self, x: torch.Tensor) -> DiagonalGaussian:
        """The Gaussian part of q(z|x): what the VampPrior's components are."""
        return self._gaussian(self.encoder(to_range(x, self.data_range)))

    @property
    def autoregressive(self) -> bool:
        """True when p(x|z) factorises over the parts of x in order (pixelcnn, gru, lstm, transformer): x is
        drawn part by part, never decoded at once."""
        return self.decoder.autoregressive

    @property
    def pixel_by_pixel(self) -> bool:
        """True when every picture is drawn pixel by pixel (a pixelcnn decoder), a network pass per pixel: the
        pages draw fewer of them. A token decoder also goes step by step, but its 10-odd steps are cheap."""
        return self.decoder.pixel_by_pixel

    def decode(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        """Likelihood parameters for z (B, D); an autoregressive decoder also needs the x it scores."""
        return self.decoder(z, x) if self.autoregressive else self.decoder(z)

    def log_px_z(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log p(x|z) (B,) for z (B, D) and x (B, ...): the decoder's likelihood of x (a flow decoder's density)."""
        return self.decoder.log_prob(z, x, self.likelihood)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> VAEOutput:
        """One-sample ELBO terms for a batch x in [0, 1] (the likelihood's target)."""
        q = self.encode(x)
        if self.closed_form_kl:
            z, log_q = q.rsample(generator), None
        else:
            z, log_q = q.rsample_with_log_prob(generator)
        if self.decoder.scores_itself:
            params, rec = self.decode(z, x), -self.log_px_z(z, x)
        else:
            params = self.decode(z, x)
            rec = -self.likelihood.log_prob(params, x)
        return VAEOutput(q, z, params, rec, self.kl_dims(q, z, log_q))

    def kl_dims(self, q, z: torch.Tensor, log_q: torch.Tensor | None) -> torch.Tensor:
        """KL(q(z|x) || p(z)) per example and dimension (B, D) in closed form; for a flow posterior or a learned
        prior its one-sample estimate log q(z|x) - log p(z) at the draws z (B, 1), with ``log_q`` their log q."""
        if self.closed_form_kl:
            return q.kl_per_dim()
        return (log_q - self.prior.log_prob(z)).unsqueeze(-1)

    # ------------------------------------------------------------ images
    @torch.no_grad()
    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        """E[x|z] (B, *x_shape) in the data's range: images in [0, 1]; for token sequences, the most likely
        token at each step (greedy decoding, a function of z alone).

        An autoregressive decoder has no closed-form mean: its stand-in is its own (a pixelcnn draws a sample
        with a fixed seed, a token decoder decodes greedily; ``DecoderNet.mean``). Its draws are in range
        already, so holding every mean to the data's range changes only the decoders decoded at once.
        """
        return self.modality.clip(self.decoder.mean(z, self.likelihood))

    @torch.no_grad()
    def sample_x(
        self, z: torch.Tensor, generator=None, temperature: float = 1.0, top_k: int = 0, **progress
    ) -> torch.Tensor:
        """A draw x ~ p(x|z) for each z (B, D); pixel by pixel (token by token) for an autoregressive decoder.

        ``temperature`` scales the likelihood's randomness (0: its mode, step by step); ``top_k`` (token
        sequences) draws each token among the k most likely (0: all); ``progress`` (``on_row``,
        ``should_stop``) reaches the autoregressive image sampler.
        """
        return self.decoder.sample(z, self.likelihood, generator, temperature, top_k, **progress)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, sample: bool = False, generator=None) -> torch.Tensor:
        """Decode the posterior mean (``sample=False``) or a draw x ~ p(x|z), z ~ q(z|x)."""
        q = self.encode(x)
        if not sample:
            return self.decode_mean(q.mean)
        return self.sample_x(q.rsample(generator), generator)

    @torch.no_grad()
    def sample_prior(self, n: int, temperature: float = 1.0, generator=None) -> torch.Tensor:
        """Mean images E[x|z] for z ~ p(z) with its spread scaled by ``temperature``."""
        device = next(self.parameters()).device
        return self.decode_mean(self.prior.sample(n, generator, temperature, device))

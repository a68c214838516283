"""Encoders and decoders of token sequences (the ``tokens`` modality, vae/data/modality.py).

A sequence x = (x_1, ..., x_T, END, PAD, ...) of length L. Encoders give h(x), from which the heads
compute q(z|x) as for images:

    gru, lstm     e_t = Embed(x_t); run over the T+1 real steps (packed: the padding is never read);
                  h = the last state (of both directions when bidirectional) or the mean over the steps;
                  ``dropout`` between the layers and on h (Zaremba et al. 2014: the connections that are
                  not recurrent), so that it acts on a network of one layer too
    transformer   e_t = W Embed(x_t) + P_t; pre-norm self-attention blocks with a padding mask;
                  h = the mean over the real steps

Decoders give the logits of p(x_t | ...) for every step, (B, L, V):

    gru, lstm     autoregressive (Bowman et al. 2016): the state starts at tanh(W z + b); the input at
                  step t is the previous token x_{t-1} (END before the first), optionally joined by z;
                  p(x|z) = prod_t p(x_t | x_<t, z). In training the true previous tokens are fed
                  (teacher forcing) and ``word_dropout`` of them are replaced by <unk>, which weakens the
                  decoder so that it has to read z.
    transformer   autoregressive: pre-norm blocks of causal self-attention over the previous tokens (the
                  input at step t is x_{t-1}, plus a learned position), cross-attention to M = 4 memory
                  vectors made from z (W z + b, reshaped), and an MLP; the same word dropout
    mlp           every step at once from z alone: p(x|z) = prod_t p(x_t | z), the weak decoder

The likelihood (:class:`TokenCategorical`) scores the steps up to and including END.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from vae.config import NetworkConfig
from vae.data.modality import END, PAD, UNK, Tokens
from vae.models.likelihoods import Likelihood
from vae.models.networks import DecoderNet, Networks, make_activation


def _recurrent(arch: str):
    return nn.GRU if arch == "gru" else nn.LSTM


def transformer_encoder(width: int, heads: int, layers: int, dropout: float) -> nn.TransformerEncoder:
    """``layers`` pre-norm Transformer blocks of ``width`` (feed-forward 4 x width, GELU), batch first: the
    encoder blocks of every Transformer network here (token sequences and series)."""
    block = nn.TransformerEncoderLayer(
        width, heads, 4 * width, dropout, activation="gelu", batch_first=True, norm_first=True
    )
    return nn.TransformerEncoder(block, layers, enable_nested_tensor=False)


class SequenceEncoder(nn.Module):
    """h(x) for (B, L) token ids; ``out_features`` wide."""

    def __init__(self, cfg: NetworkConfig, modality: Tokens):
        super().__init__()
        self.arch, self.pool, self.length = cfg.arch, cfg.pool, modality.length
        width, layers = cfg.hidden[0], len(cfg.hidden)
        self.embed = nn.Embedding(modality.vocab_size, cfg.embed, padding_idx=PAD)
        if cfg.arch in ("gru", "lstm"):
            self.rnn = _recurrent(cfg.arch)(
                cfg.embed,
                width,
                num_layers=layers,
                batch_first=True,
                bidirectional=cfg.bidirectional,
                dropout=cfg.dropout if layers > 1 else 0.0,
            )
            self.out_features = width * (2 if cfg.bidirectional else 1)
            self.drop = nn.Dropout(cfg.dropout)  # after the last layer too: a one-layer network has no other
        else:
            self.inp = nn.Linear(cfg.embed, width)
            self.pos = nn.Embedding(modality.length, width)
            self.blocks = transformer_encoder(width, cfg.heads, layers, cfg.dropout)
            self.norm = nn.LayerNorm(width)
            self.out_features = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = Tokens.mask(x)
        lengths = mask.sum(1).clamp(min=1)
        e = self.embed(x * mask)  # what follows END reads as padding
        if self.arch == "transformer":
            n = x.shape[1]
            t = self.inp(e) + self.pos.weight[:n]
            t = self.norm(self.blocks(t, src_key_padding_mask=~mask))
            return (t * mask.unsqueeze(-1)).sum(1) / lengths.unsqueeze(-1)
        packed = pack_padded_sequence(e, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        if self.pool == "mean":
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
            return self.drop(out.sum(1) / lengths.unsqueeze(-1))
        h = state[0] if isinstance(state, tuple) else state  # (layers * directions, B, W)
        return self.drop(torch.cat([h[-2], h[-1]], 1) if self.rnn.bidirectional else h[-1])


class RNNDecoder(DecoderNet):
    """Autoregressive GRU/LSTM decoder: logits (B, L, V) of p(x_t | x_<t, z)."""

    autoregressive = True

    def __init__(self, cfg: NetworkConfig, latent_dim: int, modality: Tokens):
        super().__init__()
        self.arch, self.length, self.vocab_size = cfg.arch, modality.length, modality.vocab_size
        self.width, self.layers = cfg.hidden[0], len(cfg.hidden)
        self.word_dropout, self.z_every_step = cfg.word_dropout, cfg.z_every_step
        self.embed = nn.Embedding(modality.vocab_size, cfg.embed)
        states = 2 if cfg.arch == "lstm" else 1  # an LSTM's state is (h, c)
        self.initial = nn.Linear(latent_dim, states * self.layers * self.width)
        self.rnn = _recurrent(cfg.arch)(
            cfg.embed + (latent_dim if cfg.z_every_step else 0),
            self.width,
            num_layers=self.layers,
            batch_first=True,
            dropout=cfg.dropout if self.layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(cfg.dropout)  # on the last layer's outputs (between layers: the RNN's own)
        self.out = nn.Linear(self.width, modality.vocab_size)
        self.output_numel = modality.length * modality.vocab_size
        self.work_numel = modality.length * (modality.vocab_size + self.width)

    def initial_state(self, z: torch.Tensor):
        """The recurrent state before the first step: tanh(W z + b), split into layers (and h, c)."""
        s = torch.tanh(self.initial(z)).view(len(z), -1, self.layers, self.width).permute(1, 2, 0, 3).contiguous()
        return (s[0], s[1]) if self.arch == "lstm" else s[0]

    def previous_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """The input of every step: END, then x_1 ... x_{L-1}; in training, ``word_dropout`` of the real
        tokens (not the first input) become <unk>."""
        prev = torch.cat([torch.full_like(x[:, :1], END), x[:, :-1]], 1)
        if self.training and self.word_dropout > 0:
            drop = torch.rand(prev.shape, device=x.device) < self.word_dropout
            drop[:, 0] = False
            prev = torch.where(drop & (prev != PAD), torch.full_like(prev, UNK), prev)
        return prev

    def _inputs(self, tokens: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        e = self.embed(tokens)
        if self.z_every_step:
            e = torch.cat([e, z.unsqueeze(1).expand(-1, tokens.shape[1], -1)], -1)
        return e

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits (B, L, V) for the sequences x (B, L)."""
        out, _ = self.rnn(self._inputs(self.previous_tokens(x), z), self.initial_state(z))
        return self.out(self.drop(out))

    @torch.no_grad()
    def sample(
        self,
        z: torch.Tensor,
        likelihood: TokenCategorical,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
        top_k: int = 0,
        **_progress,
    ) -> torch.Tensor:
        """x ~ p(x|z), one token at a time for the whole batch (B, L); temperature 0: the most likely token."""

        def step(prev, state):
            out, state = self.rnn(self._inputs(prev, z), state)
            return self.out(out[:, 0]), state

        return generate(step, self.initial_state(z), z, self.length, likelihood, generator, temperature, top_k)

    def mean(self, z: torch.Tensor, likelihood: TokenCategorical) -> torch.Tensor:
        """The most likely token step by step (greedy decoding, temperature 0): a function of z alone."""
        return self.sample(z, likelihood, temperature=0.0)


def generate(step, state, z: torch.Tensor, length: int, likelihood, generator, temperature: float, top_k: int):
    """Autoregressive sampling shared by the decoders, for the batch of codes z: from END,
    ``step(previous tokens (B, 1), state)`` gives the next logits (B, V) and the new state; a token is
    drawn (``likelihood.draw``; at the last place only END), the sequences that have ended get PAD, and the
    loop stops once all have ended. Returns the tokens (B, L)."""
    b = len(z)
    x = torch.full((b, length), PAD, dtype=torch.long, device=z.device)
    prev = torch.full((b, 1), END, dtype=torch.long, device=z.device)
    done = torch.zeros(b, dtype=torch.bool, device=z.device)
    for t in range(length):
        logits, state = step(prev, state)
        token = likelihood.draw(logits, generator, temperature, top_k, last=t == length - 1)
        x[:, t] = torch.where(done, torch.full_like(token, PAD), token)
        done |= token == END
        if bool(done.all()):
            break
        prev = token.unsqueeze(1)
    return x


class DecoderBlock(nn.Module):
    """t + SelfAttn(LN t) (causal), + CrossAttn(LN t, memory), + MLP(LN t); each attention can hand back its
    weights (averaged over the heads) for the attention view."""

    def __init__(self, width: int, heads: int, dropout: float):
        super().__init__()
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(width), nn.LayerNorm(width), nn.LayerNorm(width)
        self.self_attn = nn.MultiheadAttention(width, heads, dropout=dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(width, heads, dropout=dropout, batch_first=True)
        self.mlp = nn.Sequential(
            nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width), nn.Dropout(dropout)
        )

    def forward(self, t: torch.Tensor, memory: torch.Tensor, causal: torch.Tensor, weights: list | None = None):
        h = self.norm1(t)
        a, w_self = self.self_attn(h, h, h, attn_mask=causal, need_weights=weights is not None)
        t = t + a
        h = self.norm2(t)
        a, w_cross = self.cross_attn(h, memory, memory, need_weights=weights is not None)
        t = t + a
        if weights is not None:
            weights.append((w_self, w_cross))
        return t + self.mlp(self.norm3(t))


class TransformerDecoder(DecoderNet):
    """Autoregressive transformer decoder: logits (B, L, V) of p(x_t | x_<t, z), z read through cross-attention
    to ``MEMORY`` vectors made from it."""

    autoregressive = True
    MEMORY = 4

    def __init__(self, cfg: NetworkConfig, latent_dim: int, modality: Tokens):
        super().__init__()
        self.length, self.vocab_size, self.word_dropout = modality.length, modality.vocab_size, cfg.word_dropout
        width = cfg.hidden[0]
        self.width = width
        self.embed = nn.Embedding(modality.vocab_size, cfg.embed)
        self.inp = nn.Linear(cfg.embed, width)
        self.pos = nn.Embedding(modality.length, width)
        self.memory = nn.Linear(latent_dim, self.MEMORY * width)
        self.blocks = nn.ModuleList(DecoderBlock(width, cfg.heads, cfg.dropout) for _ in cfg.hidden)
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, modality.vocab_size)
        self.output_numel = modality.length * modality.vocab_size
        self.work_numel = modality.length * (modality.vocab_size + 6 * width)

    previous_tokens = RNNDecoder.previous_tokens
    mean = RNNDecoder.mean

    def _logits(self, prev: torch.Tensor, z: torch.Tensor, weights: list | None = None) -> torch.Tensor:
        n = prev.shape[1]
        t = self.inp(self.embed(prev)) + self.pos.weight[:n]
        memory = self.memory(z).view(len(z), self.MEMORY, self.width)
        causal = torch.triu(torch.ones(n, n, dtype=torch.bool, device=prev.device), 1)  # True: may not look
        for block in self.blocks:
            t = block(t, memory, causal, weights)
        return self.out(self.norm(t))

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits (B, L, V) for the sequences x (B, L)."""
        return self._logits(self.previous_tokens(x), z)

    @torch.no_grad()
    def attention(self, z: torch.Tensor, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per block, (self-attention (B, L, L): step t over the inputs x_<t; cross-attention (B, L, MEMORY):
        step t over the vectors made from z), averaged over the heads, with x fed as the inputs."""
        weights: list = []
        self._logits(self.previous_tokens(x), z, weights)
        return weights

    @torch.no_grad()
    def sample(self, z, likelihood, generator=None, temperature=1.0, top_k=0, **_progress) -> torch.Tensor:
        """x ~ p(x|z) one token at a time (B, L); each step reads the whole prefix again (L is small)."""

        def step(prev, prefix):
            prefix = prev if prefix is None else torch.cat([prefix, prev], 1)
            return self._logits(prefix, z)[:, -1], prefix

        return generate(step, None, z, self.length, likelihood, generator, temperature, top_k)


class TokenMLPDecoder(DecoderNet):
    """Every step at once from z: logits (B, L, V) of p(x_t | z). The weak decoder of the text lesson."""

    def __init__(self, cfg: NetworkConfig, latent_dim: int, modality: Tokens):
        super().__init__()
        self.length, self.vocab_size = modality.length, modality.vocab_size
        layers, n_in = [], latent_dim
        for h in cfg.hidden:
            layers += [nn.Linear(n_in, h), make_activation(cfg.activation)]
            if cfg.dropout:
                layers.append(nn.Dropout(cfg.dropout))
            n_in = h
        layers.append(nn.Linear(n_in, modality.length * modality.vocab_size))
        self.net = nn.Sequential(*layers)
        self.output_numel = modality.length * modality.vocab_size

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(len(z), self.length, self.vocab_size)


class TokenCategorical(Likelihood):
    """p(x|z) = prod over the scored steps (up to and including END) of softmax(logits_t)[x_t].

    Two tokens are impossible by construction and get no probability: PAD (it only follows END) and, at
    the last place, anything but END (a sequence ends there at the latest). ``log_prob`` sums
    log softmax(logits_t)[x_t] over the scored steps: the padding after END adds nothing. Sampling draws
    from the same distributions, so that frequencies of samples match exp(log_prob).
    """

    @staticmethod
    def allowed(out: torch.Tensor) -> torch.Tensor:
        """The logits (B, L, V) with the impossible tokens at -inf."""
        n, v = out.shape[-2:]
        banned = torch.zeros(n, v, dtype=torch.bool, device=out.device)
        banned[:, PAD] = True
        banned[-1] = True
        banned[-1, END] = False
        return out.masked_fill(banned, -torch.inf)

    def log_prob(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        lp = torch.log_softmax(self.allowed(out), -1).gather(-1, x.unsqueeze(-1)).squeeze(-1)  # (B, L)
        return torch.where(Tokens.mask(x), lp, torch.zeros_like(lp)).sum(1)

    def mean(self, out: torch.Tensor) -> torch.Tensor:
        """The most likely token at every step (a non-autoregressive decoder's "mean" sequence)."""
        return _ended(self.allowed(out).argmax(-1))

    def sample(self, out, generator=None, temperature=1.0, top_k: int = 0):
        """Every step drawn independently from its softmax (a non-autoregressive decoder)."""
        b, n, v = out.shape
        return _ended(self.draw(self.allowed(out).reshape(b * n, v), generator, temperature, top_k).view(b, n))

    @staticmethod
    def draw(
        logits: torch.Tensor,
        generator: torch.Generator | None,
        temperature: float,
        top_k: int = 0,
        last: bool = False,
    ) -> torch.Tensor:
        """One token per row of logits (N, V): softmax(logits / T) over the ``top_k`` largest (0: all); T = 0
        takes the largest. PAD is never drawn, and at the ``last`` place only END."""
        logits = logits.clone()
        logits[:, PAD] = -torch.inf
        if last:
            return torch.full_like(logits[:, 0], END, dtype=torch.long)
        if temperature <= 0:
            return logits.argmax(-1)
        if 0 < top_k < logits.shape[-1]:
            kth = logits.topk(top_k, -1).values[:, -1:]
            logits = logits.masked_fill(logits < kth, -torch.inf)
        p = torch.softmax(logits / temperature, -1)
        return torch.multinomial(p, 1, generator=generator).squeeze(1)


def _ended(x: torch.Tensor) -> torch.Tensor:
    """The steps after the first END become PAD."""
    after = torch.cumsum((x == END).long(), 1) - (x == END).long() > 0
    return x.masked_fill(after, PAD)


def make_sequence_networks(config, modality: Tokens) -> Networks:
    """The networks of a token model."""
    encoder = SequenceEncoder(config.encoder, modality)
    if config.decoder.arch == "mlp":
        decoder = TokenMLPDecoder(config.decoder, config.latent_dim, modality)
    elif config.decoder.arch == "transformer":
        decoder = TransformerDecoder(config.decoder, config.latent_dim, modality)
    else:
        decoder = RNNDecoder(config.decoder, config.latent_dim, modality)
    return Networks(encoder, TokenCategorical(), lambda: decoder)

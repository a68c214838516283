"""Gradient flow: each layer's gradient norm and its activations' statistics, recorded a few times per epoch.

A *layer* is a module with weights of its own (a linear, convolutional, recurrent or embedding layer; the
normalisation layers' gains aside), in the model's order: the encoder, the posterior heads, the flow and the
decoder. An *activation* is a nonlinearity module (ReLU, LeakyReLU, ELU, GELU, SiLU, tanh). At a recorded step,
with L the step's loss and B its batch:

    grad_norm_l = sqrt(sum_W ||dL/dW||_F^2)      over the layer's weight tensors W (biases aside), before the update
    mean_a, std_a                                 of the activation's outputs over the batch and its units
    dead_a = share of units u with a_u(x_i) = 0 for every x_i in B     (a ReLU unit that no example switches on)

A vanishing gradient shows as the first layers' norms far below the last ones' (say 10x); a dying ReLU network
as a dead share that grows. Records are taken at steps 0, k, 2k, ... (:func:`record_every`: at most
RECORDS_PER_EPOCH an epoch and about MAX_RECORDS a run, so a history stays small however long the run) and each
epoch's history record holds those taken during it (``gradient_flow``: {"step": [...], "grad_norm": [[one per
layer] per step], "act_mean", "act_std", "dead": [[one per activation] per step]}).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from vae.config.records import FLOW_KEYS
from vae.i18n import N_, Translate, english
from vae.models.networks import ACTIVATION_TYPES, NORM_TYPES

RECORDS_PER_EPOCH = 4
MAX_RECORDS = 200  # about; a stored record may hold MAX_RECORDED_STEPS


def layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(name, module) of each layer with weights of its own, in the model's order (the module's docstring)."""
    return [
        (name, m)
        for name, m in model.named_modules()
        if not isinstance(m, NORM_TYPES) and any(n.startswith("weight") for n, _ in m.named_parameters(recurse=False))
    ]


def activations(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(name, module) of each nonlinearity module, in the model's order."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, ACTIVATION_TYPES)]


def record_every(steps_per_epoch: int, epochs: int) -> int:
    """Steps between two records: at most RECORDS_PER_EPOCH an epoch, at most about MAX_RECORDS a run."""
    return max(1, math.ceil(steps_per_epoch / RECORDS_PER_EPOCH), math.ceil(steps_per_epoch * epochs / MAX_RECORDS))


def layer_grad_norms(named_layers: list[tuple[str, nn.Module]]) -> torch.Tensor:
    """grad_norm_l of each layer (the module's docstring), after ``backward``; 0 for a layer that got none."""
    norms = []
    for _, m in named_layers:
        grads = [p.grad for n, p in m.named_parameters(recurse=False) if n.startswith("weight") and p.grad is not None]
        if len(grads) == 1:  # one op for the usual layer
            norms.append(torch.linalg.vector_norm(grads[0]).float())
        elif grads:
            norms.append(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])).float())
        else:
            norms.append(torch.zeros((), device=next(m.parameters()).device))
    return torch.stack(norms).cpu() if norms else torch.zeros(0)


def activation_stats(outs: list[torch.Tensor]) -> torch.Tensor:
    """(mean, std, dead share) of each activation's output (B, *units), (A, 3): dead units are 0 for every
    example. Outputs of one shape are stacked and reduced together (four operations for all of a deep MLP's
    layers, where one layer at a time cost 35 us each); std = sqrt(E[a^2] - E[a]^2)."""
    stats = torch.zeros(len(outs), 3)
    groups: dict[tuple, list[int]] = {}
    for i, out in enumerate(outs):
        groups.setdefault(tuple(out.shape), []).append(i)
    for shape, idx in groups.items():
        if not shape[0]:
            continue
        a = torch.stack([outs[i] for i in idx]).reshape(len(idx), shape[0], -1).float()  # (layers, B, units)
        mean, square = a.mean((1, 2)), a.square().mean((1, 2))
        dead = (a.abs().amax(1) == 0).float().mean(1)
        stats[idx] = torch.stack([mean, (square - mean.square()).clamp(min=0).sqrt(), dead], 1).cpu()
    return stats


def _short(values: list[float]) -> list[float]:
    """Four significant digits: what a heat map shows, a quarter of the history's size."""
    return [float(f"{v:.4g}") for v in values]


class FlowRecorder:
    """Records the gradient flow of ``model`` at every ``every``-th step: :meth:`watch` before the step's forward
    pass (hooks on the activations), :meth:`record` after its backward pass; :meth:`take` hands over what the
    epoch recorded."""

    def __init__(self, model: nn.Module, every: int):
        self.layers, self.acts, self.every = layers(model), activations(model), every
        self.hooks: list[Any] = []
        self.outputs: list[torch.Tensor | None] = []  # each activation's output in the watched pass
        self.epoch: dict[str, list] = {k: [] for k in FLOW_KEYS}

    def due(self, step: int) -> bool:
        """Whether step (0-based, counted over the run) is recorded."""
        return self.every > 0 and step % self.every == 0

    def watch(self) -> None:
        self.outputs = [None] * len(self.acts)
        for i, (_, m) in enumerate(self.acts):
            self.hooks.append(m.register_forward_hook(self._hook(i)))

    def _hook(self, i: int):
        def hook(_module, _inputs, out):  # the batch's pass, not a later one (the VampPrior's pseudo-inputs)
            if self.outputs[i] is None:
                self.outputs[i] = out.detach()

        return hook

    def record(self, step: int) -> None:
        for h in self.hooks:
            h.remove()
        self.hooks = []
        outs = [o if o is not None else torch.zeros(0) for o in self.outputs]  # one the pass skipped reads 0
        stats = activation_stats(outs).tolist()
        self.outputs = []
        self.epoch["step"].append(step)
        self.epoch["grad_norm"].append(_short(layer_grad_norms(self.layers).tolist()))
        for j, key in enumerate(("act_mean", "act_std", "dead")):
            self.epoch[key].append(_short([s[j] for s in stats]))

    def take(self) -> dict[str, list] | None:
        """This epoch's records (None when it took none), and a fresh start for the next epoch."""
        out, self.epoch = self.epoch, {k: [] for k in FLOW_KEYS}
        return out if out["step"] else None


PART_NAMES = {
    "encoder": N_("encoder"),
    "decoder": N_("decoder"),
    "fc_mu": N_("mu head"),
    "fc_logvar": N_("log-variance head"),
    "flow": N_("flow"),
    "prior": N_("prior"),
}


def labels(names: list[str], tr: Translate = english) -> list[str]:
    """Short names for a heat map's rows: "encoder 1", "encoder 2", ..., "mu head", ..., "decoder 1", ...; a part
    with one layer keeps its name alone."""
    parts = [tr(PART_NAMES[p]) if p in PART_NAMES else p for p in (n.split(".")[0] for n in names)]
    counts = {p: parts.count(p) for p in parts}
    seen: dict[str, int] = {}
    out = []
    for p in parts:
        seen[p] = seen.get(p, 0) + 1
        out.append(p if counts[p] == 1 else f"{p} {seen[p]}")
    return out

"""Latent-space explorer backend: datasets, networks, likelihoods, objectives,
training, checkpoints and evaluation for variational autoencoders.

Pure Python/PyTorch; never imports streamlit. Start with :mod:`vae.config` (what a
run is), :mod:`vae.models.vae` (the VAE) and :mod:`vae.training.trainer` (how it learns).
"""

__version__ = "0.1.0"

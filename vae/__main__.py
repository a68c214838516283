"""``python -m vae``: see :mod:`vae.cli`."""

import sys

from .cli import main

sys.exit(main())

"""``python -m vae``: see :mod:`vae.cli`."""

import sys

from vae.cli import main

sys.exit(main())

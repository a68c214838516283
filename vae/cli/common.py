"""What several commands share: checked counts and output files."""

from __future__ import annotations

import sys
from pathlib import Path

from vae.errors import ConfigError


def check_iwae_k(k: int) -> None:
    if not 1 <= k <= 100_000:
        raise ConfigError(f"--iwae-k must be from 1 to 100000, got {k}")


def iwae_examples(args, n: int) -> int:
    """--iwae-examples, checked; all n examples when absent (the command line has no time limit)."""
    if args.iwae_examples is None:
        return n
    if not 1 <= args.iwae_examples:
        raise ConfigError(f"--iwae-examples must be at least 1, got {args.iwae_examples}")
    return min(n, args.iwae_examples)


def out_file(out: str, allowed: tuple[str, ...]) -> Path:
    p = Path(out)
    if p.suffix.lower() not in allowed:
        raise ConfigError(f"--out must end in {' or '.join(allowed)}, got {p.name}")
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def say_data_file(ck) -> None:
    """Name, on stderr, the data file a checkpoint's configuration points to, before it is read: the file is the
    checkpoint's choice, not the command line's."""
    if ck.config.data.path:
        print(
            f"reading {ck.config.data.path}: the {ck.config.data.name} file this checkpoint's configuration names",
            file=sys.stderr,
        )

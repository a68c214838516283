"""Command line: ``python -m vae COMMAND`` (train, presets, ship, eval, encode, info, datasets, diagnose, traverse,
interpolate, sample, project).

Every error a user can cause ends as one line on stderr and a non-zero exit status:
2 for bad input (flags, files, settings, data), 3 for a diverged run, 130 when
interrupted. One module per family of commands: :mod:`~vae.cli.parser` (the flags),
:mod:`~vae.cli.train`, :mod:`~vae.cli.inspect` (numbers), :mod:`~vae.cli.pictures`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from vae.cli.inspect import cmd_datasets, cmd_diagnose, cmd_encode, cmd_eval, cmd_info, describe
from vae.cli.parser import build_parser
from vae.cli.pictures import cmd_interpolate, cmd_project, cmd_sample, cmd_traverse
from vae.cli.train import cmd_presets, cmd_ship, cmd_train
from vae.errors import TrainingDiverged, VAEError

__all__ = ["COMMANDS", "build_parser", "describe", "main"]

COMMANDS = {
    "presets": cmd_presets,
    "ship": cmd_ship,
    "train": cmd_train,
    "eval": cmd_eval,
    "encode": cmd_encode,
    "info": cmd_info,
    "datasets": cmd_datasets,
    "diagnose": cmd_diagnose,
    "traverse": cmd_traverse,
    "interpolate": cmd_interpolate,
    "sample": cmd_sample,
    "project": cmd_project,
}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except TrainingDiverged as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    except VAEError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except MemoryError:
        print("error: out of memory; use a smaller model, batch or dataset", file=sys.stderr)
        return 2
    except Exception as e:  # a bug: still one line, with what to report
        print(f"internal error: {type(e).__name__}: {e} (please report this)", file=sys.stderr)
        return 4

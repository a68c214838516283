"""``names``: 3,763 first names of seven languages, as character sequences (the ``tokens`` modality).

Read from ``vae/data/files/names.tsv`` (one ``name<TAB>language`` per line), derived from the
per-locale first-name lists of Faker (MIT licence; ``make_names.py`` beside it says how). The
vocabulary is <pad>, <end>, <unk> and the 26 letters; a name of T letters is T ids, END, then PAD up
to L = 13 (the longest name has 12 letters). The label is the name's language, for colouring the
latent map. The split holds out 1 name in 10 (fixed, as for every dataset).
"""

from __future__ import annotations

import functools
from pathlib import Path

from vae.data.dataset import Dataset, fixed_split, held_out, index_labels
from vae.data.modality import SPECIALS, Tokens

NAMES_FILE = Path(__file__).with_name("files") / "names.tsv"
LETTERS = "abcdefghijklmnopqrstuvwxyz"
VOCAB = [*SPECIALS, *LETTERS]
MAX_LETTERS = 12
LENGTH = MAX_LETTERS + 1  # the letters, then END


def read_names(path: Path = NAMES_FILE) -> tuple[list[str], list[str]]:
    """The names and their languages, in the file's order."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r[0] for r in rows], [r[1] for r in rows]


@functools.lru_cache(maxsize=1)
def load_names() -> Dataset:
    names, languages = read_names()
    classes, y = index_labels(languages)
    x = Tokens((LENGTH,), VOCAB).encode(names).numpy()
    return fixed_split(x, y, held_out("names", len(x)), name="names", classes=classes, vocab=VOCAB)

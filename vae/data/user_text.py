"""A user's own sequences: a UTF-8 text file, one sequence per line (the ``text`` dataset, tokens modality).

A line ``sequence<TAB>label`` gives the sequence a label (for colouring the latent map), as
``names.tsv`` does; without tabs every line is labelled ``text``. Blank lines are skipped. The
vocabulary is <pad>, <end>, <unk> and the characters of the file, sorted; sequences are padded to the
longest line plus END. Everything is checked before anything is built, with the line numbers of what
is wrong: not UTF-8, too large, too few lines, a line too long, too many distinct characters.
"""

from __future__ import annotations

import functools
from pathlib import Path

from vae.data.dataset import Dataset, fixed_split, held_out, index_labels
from vae.data.modality import MAX_LENGTH, MAX_VOCAB, SPECIALS, Tokens
from vae.data.user_files import max_user_values
from vae.errors import DataError
from vae.i18n import N_

MAX_TEXT_BYTES = 20 << 20  # 20 MB of text
MIN_LINES = 10  # the split holds out one line in ten


def read_utf8(path: Path, most_bytes: int, too_big: str, not_utf8: str) -> str:
    """The file's text, refused (DataError) when over ``most_bytes`` (the message ``too_big``: name, value,
    most, in MB) or not UTF-8 (``not_utf8``: name, at, the byte that is not)."""
    size = path.stat().st_size
    if size > most_bytes:
        raise DataError(too_big, name=path.name, value=size / 1e6, most=most_bytes / 1e6)
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(not_utf8, name=path.name, at=e.start) from None


@functools.lru_cache(maxsize=4)
def load_text_file(path: str, _mtime: int, _size: int) -> Dataset:
    """:func:`read_text_file`, cached per process by the file's path, modification time and size."""
    return read_text_file(path)


def read_text_file(path: str | Path) -> Dataset:
    """The sequences of a text file, validated; DataError says what is wrong and where."""
    path = Path(path)
    text = read_utf8(
        path,
        MAX_TEXT_BYTES,
        N_("{name} is {value:.1f} MB; a text data set may have at most {most:.0f} MB"),
        N_("{name} is not UTF-8 text (byte {at}): save it as UTF-8, one sequence per line"),
    )
    rows = [(i + 1, line.rstrip("\r")) for i, line in enumerate(text.split("\n")) if line.strip()]
    sequences = [line.rsplit("\t", 1)[0] if "\t" in line else line for _, line in rows]
    labels = [line.rsplit("\t", 1)[1].strip() if "\t" in line else "text" for _, line in rows]
    if len(rows) < MIN_LINES:
        raise DataError(
            N_("{name} has {n} non-empty line(s); a data set needs at least {most}, one sequence per line"),
            name=path.name,
            n=len(rows),
            most=MIN_LINES,
        )
    long = [number for (number, _), s in zip(rows, sequences) if len(s) > MAX_LENGTH - 1]
    if long:
        raise DataError(
            N_("{name}: line(s) {lines} are longer than {most} characters: shorten or split them"),
            name=path.name,
            lines=", ".join(map(str, long[:5])) + (" ..." if len(long) > 5 else ""),
            most=MAX_LENGTH - 1,
        )
    empty = [number for (number, _), s in zip(rows, sequences) if not s]
    if empty:
        raise DataError(
            N_("{name}: line(s) {lines} have a label but no sequence before the tab"),
            name=path.name,
            lines=", ".join(map(str, empty[:5])),
        )
    chars = sorted(set("".join(sequences)) - set(SPECIALS))
    if len(chars) > MAX_VOCAB - len(SPECIALS):
        raise DataError(
            N_("{name} uses {n} different characters; at most {most} can be modelled"),
            name=path.name,
            n=len(chars),
            most=MAX_VOCAB - len(SPECIALS),
        )
    length = max(map(len, sequences)) + 1
    if len(sequences) * length > max_user_values():
        raise DataError(
            N_("{name}: {n} sequences of up to {length} tokens are more than this server takes ({most} tokens)"),
            name=path.name,
            n=len(sequences),
            length=length,
            most=max_user_values(),
        )
    tokens = Tokens((max(length, 2),), [*SPECIALS, *chars])
    classes, y = index_labels(labels)
    x = tokens.encode(sequences).numpy()
    return fixed_split(x, y, held_out("text", len(x)), name=f"text:{path.name}", classes=classes, vocab=tokens.vocab)

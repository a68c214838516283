"""Writes names.tsv: first names with their language, for the ``names`` dataset (vae/data/names.py).

Source: the per-locale first-name lists of Faker (https://github.com/joke2k/faker, MIT licence,
LICENSE-faker.txt beside this file), version 40.63.0. Each name is lower-cased and folded to the
letters a-z (accents dropped: "José" -> "jose"); names of 2 to 12 letters are kept; a name that
several languages list keeps the first of them in LOCALES's order. Run with Faker installed:

    pip install faker==40.63.0 && python vae/data/files/make_names.py
"""

import importlib
import unicodedata
from pathlib import Path

LOCALES = {
    "en_US": "English",
    "de_DE": "German",
    "fr_FR": "French",
    "es_ES": "Spanish",
    "it_IT": "Italian",
    "nl_NL": "Dutch",
    "pl_PL": "Polish",
}


def fold(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name.lower()) if "a" <= c <= "z")


def main() -> None:
    seen: dict[str, str] = {}
    for locale, language in LOCALES.items():
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        names = set(getattr(provider, "first_names", ()))
        for attr in ("first_names_male", "first_names_female"):
            names |= set(getattr(provider, attr, ()))
        for raw in names:
            name = fold(raw)
            if 2 <= len(name) <= 12:
                seen.setdefault(name, language)
    rows = sorted(seen.items())
    out = Path(__file__).with_name("names.tsv")
    out.write_text("".join(f"{n}\t{lang}\n" for n, lang in rows), encoding="utf-8")
    print(f"{len(rows)} names written to {out}")


if __name__ == "__main__":
    main()

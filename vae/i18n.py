"""Languages and message catalogs: the web app in Chinese and English.

The catalogs are gettext ``.po`` files under ``locale/<lang>/LC_MESSAGES/messages.po``,
extracted from the code with Babel (``make messages``) and compiled to ``.mo`` by the
build (``make translations``). English is the source language: a message's English text
is its id, so an English reader needs no catalog and a missing translation falls back to
English (``gettext.translation(..., fallback=True)``).

Nothing here installs a translation for the whole process: every browser session picks
its own :class:`Translate` (``ui.i18n``), because all sessions share one process.

Marking messages:

- ``tr("...")``: a call of the session's translation function (the web app, and the figure
  functions, which take it as their ``tr`` argument);
- ``N_("...")``: text defined in the backend (a knob's help, an error's template, a
  sentence of ``vae.wording``) that the web app translates where it shows it; ``N_``
  returns its argument unchanged, it only marks the text for extraction.

Placeholders are ``str.format`` fields: ``tr("{n} of {d} active").format(n=3, d=16)``;
a translation keeps the same fields.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Callable
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"

LANGUAGES = {"zh": "中文", "en": "English"}  # code -> the language's own name, as the switch shows it
CATALOG_LOCALE = {"zh": "zh_CN", "en": "en"}  # code -> the catalog's folder under locale/
DEFAULT_LANGUAGE = "en"

Translate = Callable[[str], str]


def N_(message: str) -> str:
    """Mark ``message`` for extraction into the catalogs; return it unchanged (it is translated where shown)."""
    return message


def english(message: str) -> str:
    """The identity translation: English is the catalogs' source language (the CLI, and the default)."""
    return message


def language_of(tag: str | None) -> str | None:
    """The supported language of a browser language tag (``"zh-CN"``, ``"zh-Hant-TW"``, ``"en-US"``), or None."""
    if not tag:
        return None
    base = str(tag).replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (read once per process; read-only, so sessions may share it).

    English, an unknown language or a catalog not compiled yet give the identity translation.
    """
    if lang not in LANGUAGES or lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[CATALOG_LOCALE[lang]], fallback=True)


def translator(lang: str) -> Translate:
    """The translation function of ``lang``: English text in, the language's text out."""
    return translations(lang).gettext


def worded(value: Any, tr: Translate = english) -> Any:
    """``value`` in the language of ``tr`` when it knows its own wording (a :class:`Text`, a ``VAEError``);
    a list of such values as its items, each translated, joined by "; "; any other value (a number, a name,
    a shape, a plain string) as it is."""
    if hasattr(value, "translated"):
        return value.translated(tr)
    if isinstance(value, list) and value and all(hasattr(item, "translated") for item in value):
        return "; ".join(item.translated(tr) for item in value)
    return value


def fill(template: str, values: dict[str, Any], tr: Translate = english) -> str:
    """``tr(template)`` with its fields filled from ``values`` (each :func:`worded`), in the language of ``tr``."""
    if not values:
        return tr(template)
    return tr(template).format(**{k: worded(v, tr) for k, v in values.items()})


class Text(str):
    """English text that remembers its template and values, so that it can be worded again in another language.

    It *is* the English string (``Text(N_("saved {name}"), name="a")`` equals ``"saved a"``), so the command
    line and the tests read it as a plain string; the web app calls :meth:`translated`.
    """

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, **values: Any) -> Text:
        text = super().__new__(cls, fill(template, values))
        text.template, text.values = template, values
        return text

    def translated(self, tr: Translate = english) -> str:
        return fill(self.template, self.values, tr)

    def __reduce__(self):  # pickles (between processes) with its template and values
        return (_text, (self.template, self.values))


def _text(template: str, values: dict[str, Any]) -> Text:
    return Text(template, **values)

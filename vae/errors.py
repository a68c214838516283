"""User-facing errors.

Every problem a user can cause (a bad setting, a missing or foreign file, a dataset
that cannot be had offline, a diverging run) raises a :class:`VAEError` whose message
says what is wrong and how to fix it. The command line prints that message as it is;
anything else escaping is a bug.

An error the web app can meet is raised with a *template* marked for the catalogs and
its values apart, ``ConfigError(N_("{name} must be positive; got {value!r}"), name=..., value=...)``,
so that the app can show it in the reader's language (:meth:`VAEError.translated`).
A message of a process that serves a class names no server path (:func:`shown_path`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from vae.i18n import Text, Translate, english, fill


def serving() -> bool:
    """True in a process that serves a class (the web app and the trainings it starts: ``$VAE_SERVING=1``, which
    app.py sets): data are never downloaded nor folders made for them, and messages name no server path."""
    return os.environ.get("VAE_SERVING") == "1"


def shown_path(path: str | Path) -> str:
    """``path`` as a message names it: in full, or, while :func:`serving`, by its file name alone."""
    return Path(path).name if serving() else str(path)


class VAEError(Exception):
    """Base class: the message is shown to the user verbatim (or translated, :meth:`translated`)."""

    def __init__(self, template: str, **values: Any) -> None:
        if isinstance(template, Text) and not values:  # an error made of a worded text keeps its wording
            template, values = template.template, template.values
        self.template, self.values = template, values
        super().__init__(fill(template, values))

    def translated(self, tr: Translate = english) -> str:
        """The message in the language of ``tr`` (values that are errors or :class:`~vae.i18n.Text` too)."""
        return fill(self.template, self.values, tr)

    def as_text(self) -> Text:
        """The message as a :class:`~vae.i18n.Text`: a string to keep (a job's message, a skipped file's reason)
        that a page can still word in its reader's language."""
        return Text(self.template, **self.values)

    def __reduce__(self):  # pickles (between processes) with its template and values
        return (_rebuild, (type(self), self.template, self.values))


def _rebuild(cls: type[VAEError], template: str, values: dict[str, Any]) -> VAEError:
    return cls(template, **values)


class ConfigError(VAEError):
    """An impossible or unknown setting."""


class DataError(VAEError):
    """A dataset that cannot be loaded, or user data that fails validation."""


class CheckpointError(VAEError):
    """A file that is not a valid checkpoint of this project."""


class TrainingDiverged(VAEError):
    """The loss became NaN or infinite, or the -ELBO blew up far above the untrained model's."""

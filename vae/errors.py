"""User-facing errors.

Every problem a user can cause (a bad setting, a missing or foreign file, a dataset
that cannot be had offline, a diverging run) raises a :class:`VAEError` whose message
says what is wrong and how to fix it. The command line and the web app print that
message as it is; anything else escaping is a bug.
"""


class VAEError(Exception):
    """Base class: the message is shown to the user verbatim."""


class ConfigError(VAEError):
    """An impossible or unknown setting."""


class DataError(VAEError):
    """A dataset that cannot be loaded, or user data that fails validation."""


class CheckpointError(VAEError):
    """A file that is not a valid checkpoint of this project."""


class TrainingDiverged(VAEError):
    """The loss became NaN or infinite, or the -ELBO blew up far above the untrained model's."""

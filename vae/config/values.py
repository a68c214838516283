"""Knob values: a flat ``{knob: value}`` dictionary applied to a configuration and read back from one.

The command line's flags, the Train form's fields, URL query parameters, presets and remedies all speak
in knob values (:mod:`vae.config.knobs`); these functions turn them into a :class:`VAEConfig` and back,
and parse them from text.
"""

from __future__ import annotations

from typing import Any

from vae.config.knobs import ATTENTION_ARCHS, KNOBS
from vae.config.run import VAEConfig, default_hidden, image_side, mirror
from vae.errors import ConfigError
from vae.i18n import N_, Text


def apply(cfg: VAEConfig, values: dict[str, Any]) -> VAEConfig:
    """Return a copy of ``cfg`` with the given knobs set (``None`` = leave as is).

    The decoder mirrors the encoder's new ``hidden`` unless ``decoder_hidden`` is given, and its ``attention`` only
    where it has a feature map (a cnn or resnet decoder).
    A new network family without widths gets that family's defaults
    (:func:`~vae.config.default_hidden`): ``arch`` for both networks, ``decoder_arch``
    for the decoder alone (reversed: the decoder's widths run from z to x).
    """
    cfg = VAEConfig.from_dict(cfg.to_dict())
    old_arch, old_decoder_arch = cfg.encoder.arch, cfg.decoder.arch
    unknown = sorted(set(values) - set(KNOBS))
    if unknown:
        raise ConfigError(N_("unknown setting(s): {value}"), value=", ".join(unknown))
    given = {k: v for k, v in values.items() if v is not None}
    for name in KNOBS:  # table order: shared knobs before decoder overrides
        if name not in given:
            continue
        knob, value = KNOBS[name], given[name]
        if knob.section == "":
            setattr(cfg, knob.field, value)
        elif knob.section == "encoder+decoder":
            setattr(cfg.encoder, knob.field, value)
            setattr(cfg.decoder, knob.field, value)
        else:
            setattr(getattr(cfg, knob.section), knob.field, value)
    if "decoder_attention" not in given and cfg.decoder.arch not in ATTENTION_ARCHS:
        cfg.decoder.attention = 0  # the shared knob reaches a decoder only where it has a feature map
    side = image_side(cfg.data)
    if cfg.encoder.arch != old_arch and "hidden" not in given:
        cfg.encoder.hidden = default_hidden(cfg.encoder.arch, side)
        if "decoder_hidden" not in given:
            cfg.decoder.hidden = mirror(cfg.encoder).hidden
    if "hidden" in given and "decoder_hidden" not in given and cfg.decoder.arch == cfg.encoder.arch:
        cfg.decoder.hidden = mirror(cfg.encoder).hidden
    if cfg.decoder.arch != cfg.encoder.arch and cfg.decoder.arch != old_decoder_arch and "decoder_hidden" not in given:
        cfg.decoder.hidden = default_hidden(cfg.decoder.arch, side)[::-1]
    return cfg


def values_of(cfg: VAEConfig) -> dict[str, Any]:
    """The knob values that reproduce ``cfg`` (decoder overrides only where it is not the mirror)."""
    out: dict[str, Any] = {}
    for name, knob in KNOBS.items():
        if knob.section == "":
            out[name] = getattr(cfg, knob.field)
        elif knob.section == "encoder+decoder":
            out[name] = getattr(cfg.encoder, knob.field)
        elif knob.section == "decoder":
            mirrored = getattr(mirror(cfg.encoder), knob.field)
            value = getattr(cfg.decoder, knob.field)
            out[name] = None if value == mirrored else value
        else:
            out[name] = getattr(getattr(cfg, knob.section), knob.field)
    return out


def from_dotted(changes: dict[str, Any]) -> dict[str, Any]:
    """``{"objective.beta": 1.0}`` -> ``{"beta": 1.0}`` (the form used by diagnostics' remedies)."""
    by_path = {k.dotted: k.name for k in KNOBS.values()}
    out = {}
    for path, value in changes.items():
        if path not in by_path:
            raise ConfigError(N_("no knob for the setting {path!r}"), path=path)
        out[by_path[path]] = value
    return out


def parse(name: str, text: str) -> Any:
    """Parse a knob's value from text (a URL query parameter or a form field)."""
    knob = KNOBS[name]
    text = text.strip()
    if text == "" or text.lower() == "none":
        if knob.optional or knob.section == "decoder" or knob.type is str:
            return None
        raise ConfigError(N_("{name} needs a value"), name=name)
    if knob.type is bool:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(N_("{name} must be true or false; got {text!r}"), name=name, text=text)
    try:
        if knob.is_list:
            return [knob.type(t) for t in text.replace(",", " ").split()]
        return knob.type(text)
    except ValueError:
        kind = N_("integers") if knob.is_list else (N_("an integer") if knob.type is int else N_("a number"))
        raise ConfigError(N_("{name} must be {kind}; got {text!r}"), name=name, kind=Text(kind), text=text) from None


def text_problem(name: str, text: str, same: str | None = None) -> Text | None:
    """Why ``text`` (a URL query parameter) is not a value knob ``name`` takes, or None.

    ``same`` is the decoder widgets' "same as encoder" option, which a URL may hold too.
    """
    knob = KNOBS[name]
    if same is not None and knob.section == "decoder" and text == same:
        return None
    try:
        value = parse(name, text)
    except ConfigError as e:
        return e.as_text()
    values = value if isinstance(value, list) else [value]
    for v in values:
        if v is None:
            continue
        if knob.choices and v not in knob.choices:
            return Text(
                N_("{name} must be one of {choices}; got {value!r}"),
                name=name,
                choices=", ".join(knob.choices),
                value=v,
            )
        if knob.lo is not None and knob.type in (int, float) and not knob.lo <= v <= knob.hi:
            return Text(
                N_("{name} must be from {lo:g} to {hi:g}; got {value:g}"), name=name, lo=knob.lo, hi=knob.hi, value=v
            )
    return None


def defaults() -> dict[str, Any]:
    return values_of(VAEConfig())

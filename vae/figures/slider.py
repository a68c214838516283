"""The slider inside a figure that steps through its animation frames (no play button, no server)."""

from __future__ import annotations

from collections.abc import Sequence


def frame_slider(prefix: str, labels: Sequence[str], redraw: bool = True, **place) -> dict:
    """A Plotly slider whose step ``s`` shows frame ``str(s)`` at once; ``labels`` name the steps and ``prefix``
    heads the current value. Dragging it swaps the frames in the browser, with no round trip to a server.
    ``place`` overrides the position (``y``, ``pad``...)."""
    return dict(
        active=0,
        currentvalue={"prefix": prefix},
        len=0.9,
        x=0.1,
        xanchor="left",
        y=0,
        yanchor="top",
        **{"pad": {"b": 10, "t": 30}, **place},
        steps=[
            dict(
                method="animate",
                label=label,
                args=[
                    [str(s)],
                    {"mode": "immediate", "frame": {"duration": 0, "redraw": redraw}, "transition": {"duration": 0}},
                ],
            )
            for s, label in enumerate(labels)
        ],
    )


def dimension_labels(trav) -> list[str]:
    """A traversal's panel titles: "z3 (KL 2.41)" per shown dimension (the KL when known)."""
    return [f"z{j}" + (f" (KL {trav.kl[r]:.2f})" if trav.kl else "") for r, j in enumerate(trav.dims)]

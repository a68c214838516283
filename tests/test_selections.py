"""Selections on Plotly charts: Plotly 7 sends numeric custom data as typed arrays, which once crashed the map."""

import json
from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go

from ui.widgets import decode_typed_array, selected_custom


def event(points):
    return SimpleNamespace(selection=SimpleNamespace(points=points))


def test_a_typed_array_is_decoded_as_plotly_encoded_it():
    custom = np.array([[3, 1], [70000, 2], [11, 9]], dtype=np.int32)
    spec = json.loads(go.Figure(go.Scatter(x=[0, 1, 2], y=[0, 1, 2], customdata=custom)).to_json())
    encoded = spec["data"][0]["customdata"]
    assert isinstance(encoded, dict) and "bdata" in encoded  # what the browser receives, and sends back
    assert decode_typed_array(encoded) == custom.ravel().tolist()
    for values, dtype in (([0.5, -2.25], "f8"), ([1, 255], "u1")):
        enc = json.loads(go.Figure(go.Scatter(y=np.array(values, dtype=dtype))).to_json())["data"][0]["y"]
        assert decode_typed_array(enc) == values


def test_selected_points_give_their_custom_data_as_lists():
    typed = {"dtype": "i4", "bdata": "CwAAAA=="}  # [11], as a clicked point of the latent map carries it
    points = [{"customdata": typed}, {"customdata": ["mnist5k-mlp-z2"]}, {"customdata": 7}, {"x": 1}]
    assert selected_custom(event(points)) == [[11], ["mnist5k-mlp-z2"], [7]]
    assert selected_custom(None) == [] and selected_custom(event([])) == []
    # a row of a 2-D typed array, as Chromium sends a clicked point of the latent map: JSON of a Float64Array
    assert selected_custom(event([{"customdata": {"0": 17, "1": 0}}, {"customdata": {"1": 4, "0": 3}}])) == [
        [17, 0],
        [3, 4],
    ]

"""Helpers for AppTest: run the app, read Plotly figures and tables back as numbers."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import streamlit as st
from streamlit.testing.v1 import AppTest

from rmsprop_lab import chart_component, runs

from .conftest import ROOT

APP = str(ROOT / "app.py")


def fresh_app(query: dict | None = None, page: str | None = None) -> AppTest:
    """A new session of the app (caches cleared), optionally with URL query parameters."""
    st.cache_data.clear()
    runs.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def visit(at: AppTest, page: str) -> AppTest:
    """Open ``page`` as the menu does in a browser: the URL loses the previous page's settings."""
    for name in list(at.query_params):
        del at.query_params[name]
    return at.switch_page(page).run()


def decode_array(value) -> np.ndarray:
    """A Plotly JSON array: a list, or plotly 6+'s {"dtype", "bdata"} base64 encoding."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")  # plotly writes it as "2, 3"
        return array.reshape([int(size) for size in str(shape).split(",")]) if shape else array
    return np.asarray([np.nan if v is None else v for v in value], dtype=float)


def charts(at: AppTest) -> list[dict]:
    """Every chart's figure JSON in page order, whether drawn by ``live_chart`` or by
    ``st.plotly_chart``."""
    found = []
    for node in at.main:
        if node.type == "plotly_chart":
            found.append(json.loads(node.proto.spec))
        elif (
            node.type == "bidi_component"
            and node.proto.component_name == chart_component.COMPONENT_NAME
            and node.proto.WhichOneof("data") == "bytes"  # not the (dataless) plotly.js preloader
        ):
            found.append(json.loads(node.proto.bytes))
    return found


def figure(at: AppTest, index: int = 0) -> dict:
    return charts(at)[index]


def trace(fig: dict, name: str) -> dict:
    return next(t for t in fig["data"] if t.get("name") == name)


def path_points(at: AppTest, name: str, chart: int = 0) -> np.ndarray:
    data = trace(figure(at, chart), name)
    return np.column_stack([decode_array(data["x"]), decode_array(data["y"])])


def markdown_tables(at: AppTest) -> list[list[dict[str, str]]]:
    """Every Markdown table (``controls.markdown_table``) as rows of {column: cell}, unescaped."""
    found = []
    for element in at.markdown:
        lines = element.value.splitlines()
        if len(lines) < 2 or not lines[0].startswith("| ") or not lines[1].startswith("|---"):
            continue
        cells = [
            [re.sub(r"\\(.)", r"\1", cell.strip()) for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines
        ]
        found.append([dict(zip(cells[0], row, strict=True)) for row in cells[2:]])
    return found


def table(at: AppTest, index: int = 0) -> dict[str, dict[str, str]]:
    """The results table as {optimizer: {column: cell}} (a Markdown table on Compare, an
    ``st.table`` elsewhere)."""
    rows = markdown_tables(at)[index] if markdown_tables(at) else at.table[index].value.to_dict("records")
    return {row["optimizer"]: dict(row) for row in rows}

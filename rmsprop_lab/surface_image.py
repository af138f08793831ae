"""A contour plot rendered once per objective as a PNG, used as the figures' background image.

Plotly re-computes and re-draws a ``go.Contour`` (marching squares, one SVG path per level) on
every rerun, which cost about 65 ms of each slider move in Chromium here. The same picture,
log-spaced filled bands with level lines, drawn once into an image, costs the browser almost
nothing to redraw, and the PNG of a banded surface compresses to a few tens of kilobytes.
"""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np


def _hex_to_rgb(colour: str) -> np.ndarray:
    colour = colour.lstrip("#")
    return np.array([int(colour[i : i + 2], 16) for i in (0, 2, 4)], dtype=float)


def colourise(fraction: np.ndarray, colourscale) -> np.ndarray:
    """Map values in [0, 1] (NaN allowed) through a Plotly-style colourscale to uint8 RGB."""
    stops = np.array([stop for stop, _ in colourscale])
    colours = np.array([_hex_to_rgb(colour) for _, colour in colourscale])
    clipped = np.clip(np.nan_to_num(fraction, nan=0.0), 0.0, 1.0)
    rgb = np.stack([np.interp(clipped, stops, colours[:, channel]) for channel in range(3)], axis=-1)
    return rgb.round().astype(np.uint8)


def banded_contour_rgb(levels: np.ndarray, bands: int, colourscale, line_rgb=(96, 116, 136), line_alpha=0.45):
    """Filled contour bands with level lines from ``levels`` (already log-transformed), NaN = gap.

    Row 0 of ``levels`` is the lowest y; images are stored top row first, so the result is
    flipped vertically. Gaps (NaN) are drawn in a light hatch-free grey.
    """
    finite = np.isfinite(levels)
    low, high = (float(levels[finite].min()), float(levels[finite].max())) if finite.any() else (0.0, 1.0)
    span = high - low if high > low else 1.0
    band_index = np.floor((np.where(finite, levels, low) - low) / span * bands).clip(0, bands - 1)
    rgb = colourise((band_index + 0.5) / bands, colourscale).astype(float)
    # a level line wherever the band changes between horizontal or vertical neighbours
    edge = np.zeros(levels.shape, dtype=bool)
    edge[:, 1:] |= band_index[:, 1:] != band_index[:, :-1]
    edge[1:, :] |= band_index[1:, :] != band_index[:-1, :]
    rgb[edge] = rgb[edge] * (1 - line_alpha) + np.array(line_rgb) * line_alpha
    rgb[~finite] = (236, 236, 236)
    return rgb.round().astype(np.uint8)[::-1]


def png_bytes(rgb: np.ndarray) -> bytes:
    """Encode an ``(h, w, 3)`` uint8 array as PNG (no filter per row; zlib level 9)."""
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(height))

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def png_data_uri(rgb: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(rgb)).decode("ascii")

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


def hex_to_rgb(colour: str) -> np.ndarray:
    """``"#rrggbb"`` as three floats 0-255."""
    colour = colour.lstrip("#")
    return np.array([int(colour[i : i + 2], 16) for i in (0, 2, 4)], dtype=float)


def colourise(fraction: np.ndarray, colourscale) -> np.ndarray:
    """Map values in [0, 1] (NaN allowed) through a Plotly-style colourscale to uint8 RGB."""
    stops = np.array([stop for stop, _ in colourscale])
    colours = np.array([hex_to_rgb(colour) for _, colour in colourscale])
    clipped = np.clip(np.nan_to_num(fraction, nan=0.0), 0.0, 1.0)
    rgb = np.stack([np.interp(clipped, stops, colours[:, channel]) for channel in range(3)], axis=-1)
    return rgb.round().astype(np.uint8)


def banded_contour_rgb(levels: np.ndarray, bands: int, colourscale, line_rgb=(96, 116, 136), line_alpha=0.45):
    """Filled contour bands with level lines from ``levels`` (already transformed), NaN = gap.

    Anti-aliased: a pixel that straddles a band boundary mixes the two bands' colours by how much
    of it lies in each, and the level line (about a pixel and a half wide) fades with the distance
    from the boundary, so a curved boundary is drawn smooth instead of as a staircase of pixels.
    Row 0 of ``levels`` is the lowest y; images are stored top row first, so the result is
    flipped vertically. Gaps (NaN) are drawn in a light hatch-free grey.
    """
    finite = np.isfinite(levels)
    low, high = (float(levels[finite].min()), float(levels[finite].max())) if finite.any() else (0.0, 1.0)
    span = high - low if high > low else 1.0
    # t: the position in bands (band k is k <= t < k + 1); reach: how much of t one pixel covers
    t = (np.where(finite, levels, low) - low) / span * bands
    band = np.floor(t).clip(0, bands - 1)
    rows, columns = np.gradient(t) if min(t.shape) > 1 else (np.zeros_like(t), np.zeros_like(t))
    reach = np.maximum(np.hypot(rows, columns), 1e-9)
    inside = t - band
    has_below, has_above = band > 0, band < bands - 1
    below = np.where(has_below, np.clip((reach / 2 - inside) / reach, 0, 0.5), 0.0)
    above = np.where(has_above, np.clip((reach / 2 - (1 - inside)) / reach, 0, 0.5), 0.0)

    # each band has one colour: look the bands up in that palette rather than colourise every pixel
    palette = colourise((np.arange(bands) + 0.5) / bands, colourscale).astype(float)

    def colour(index: np.ndarray) -> np.ndarray:
        return palette[index.clip(0, bands - 1).astype(np.intp)]

    rgb = (
        colour(band) * (1 - below - above)[..., None]
        + colour(band - 1) * below[..., None]
        + colour(band + 1) * above[..., None]
    )
    distance = np.minimum(np.where(has_below, inside, np.inf), np.where(has_above, 1 - inside, np.inf))
    line = line_alpha * np.clip(1 - distance / (0.75 * reach), 0, 1)
    rgb = rgb * (1 - line[..., None]) + np.array(line_rgb, dtype=float) * line[..., None]
    rgb[~finite] = (236, 236, 236)
    return rgb.round().astype(np.uint8)[::-1]


def png_bytes(rgb: np.ndarray, level: int = 9) -> bytes:
    """Encode an ``(h, w, 3)`` uint8 array as PNG (no filter per row; zlib ``level``)."""
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(height))

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, level)) + chunk(b"IEND", b"")
    )


def png_data_uri(rgb: np.ndarray, level: int = 9) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(rgb, level)).decode("ascii")


#: A grid of cells is drawn at least this many pixels across, each cell a block of equal pixels.
CELL_IMAGE_PIXELS = 600


def cells_data_uri(rgb: np.ndarray) -> str:
    """A grid of cells (``(rows, columns, 3)`` uint8, row 0 at the bottom) as a PNG whose cells are
    blocks of pixels: a browser smooths an image it stretches, which would blur one pixel per cell
    into its neighbours. Level 1: a new grid on every key press, where level 9 took 3-4x longer."""
    rows, columns, _ = rgb.shape
    scale_y, scale_x = (max(1, -(-CELL_IMAGE_PIXELS // count)) for count in (rows, columns))
    blocks = np.repeat(np.repeat(rgb[::-1], scale_y, axis=0), scale_x, axis=1)
    return png_data_uri(blocks, level=1)

"""QR rendering (segno: alphanumeric mode, error correction Q) and decoding (zxing-cpp)."""

from __future__ import annotations

import io
from pathlib import Path

import segno


def make(text: str) -> segno.QRCode:
    # Base45 and the MB1: prefix are all in the QR alphanumeric set, so the whole code fits one
    # alphanumeric segment (about 5.5 bits per character instead of 8).
    return segno.make_qr(text, error="q", mode="alphanumeric", boost_error=False)


def png(text: str, *, scale: int = 4, border: int = 4) -> bytes:
    buf = io.BytesIO()
    make(text).save(buf, kind="png", scale=scale, border=border)
    return buf.getvalue()


def svg(text: str, *, border: int = 4) -> str:
    """An inline ``<svg>`` element (no XML declaration), for pages.

    It has a ``viewBox`` and no fixed size, so it scales to whatever width the page gives it (quiet
    zone included) instead of being clipped; its light modules and quiet zone are painted white, so
    it reads the same on any background.
    """
    return make(text).svg_inline(border=border, title="green code", omitsize=True, light="#fff")


def decode(image: bytes | Path) -> list[str]:
    """Texts of the QR codes found in an image file (PNG, JPEG, …)."""
    import zxingcpp
    from PIL import Image

    data = image.read_bytes() if isinstance(image, Path) else image
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        # QR codes only: with every format allowed, a page's stripes were once read as the Codabar
        # "A1-C" beside the green code
        results = zxingcpp.read_barcodes(img.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    return [r.text for r in results if r.valid]

"""Decoding an image finds the QR codes in it and nothing else."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

from moralbank.greencode import qr


def test_only_qr_codes_are_read_not_other_barcodes_beside_them() -> None:
    text = "MB1:6BFOXN*TS0BI$ZDFRH"
    code = Image.open(io.BytesIO(qr.png(text))).convert("L")
    bars = zxingcpp.create_barcode("A1-C", zxingcpp.BarcodeFormat.Codabar)
    stripes = Image.fromarray(zxingcpp.write_barcode_to_image(bars, scale=3)).convert("L")
    assert [r.text for r in zxingcpp.read_barcodes(stripes)] == ["A1-C"]  # a readable barcode
    sheet = Image.new("L", (code.width + stripes.width + 40, max(code.height, stripes.height) + 40), 255)
    sheet.paste(code, (20, 20))
    sheet.paste(stripes, (code.width + 30, 20))
    buf = io.BytesIO()
    sheet.save(buf, format="PNG")
    assert qr.decode(buf.getvalue()) == [text]

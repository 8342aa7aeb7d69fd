"""QR codes as inline SVG (pure): vector, so they print sharply, and nothing is fetched.

The `qrcode` library encodes; the SVG is written here from its module matrix (one path of
horizontal runs), so it carries only numbers and fixed markup: no text, no style attribute
(the CSP forbids inline styles), no external reference.
"""

from __future__ import annotations

import qrcode
from qrcode.constants import ERROR_CORRECT_M

# The quiet zone the QR standard asks for, in modules.
QUIET_ZONE = 4


def qr_matrix(data: str) -> list[list[bool]]:
    """The dark (True) and light modules of the QR code of `data`, quiet zone included."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=1, border=QUIET_ZONE)
    code.add_data(data)
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


def qr_svg(data: str) -> str:
    """An SVG QR code of `data` that scales to its box (give the box a size in CSS)."""
    matrix = qr_matrix(data)
    size = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < size and row[x]:
                x += 1
            runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        'shape-rendering="crispEdges" aria-hidden="true" focusable="false">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )

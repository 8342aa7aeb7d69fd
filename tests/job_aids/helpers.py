"""Reading QR codes back in tests: from a module matrix, and from the SVG the pages serve."""

from __future__ import annotations

import re

import zxingcpp


def decode_matrix(matrix: list[list[bool]], scale: int = 4) -> list[str]:
    """Rasterise a module matrix as grey pixels and decode it with zxing-cpp."""
    size = len(matrix) * scale
    pixels = bytearray()
    for row in matrix:
        line = bytes(0 if dark else 255 for dark in row for _ in range(scale))
        pixels += line * scale
    image = memoryview(bytes(pixels)).cast("B", (size, size))
    return [code.text for code in zxingcpp.read_barcodes(image)]


def svg_matrix(html: str) -> list[list[bool]]:
    """Rebuild the module matrix from an SVG QR code's runs (`M x y h w v1 h-w z`)."""
    svg = re.search(r'<svg [^>]*viewBox="0 0 (\d+) \d+".*?</svg>', html, re.DOTALL)
    assert svg is not None, "no SVG in the page"
    size = int(svg.group(1))
    matrix = [[False] * size for _ in range(size)]
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg.group(0)):
        for column in range(int(x), int(x) + int(width)):
            matrix[int(y)][column] = True
    return matrix

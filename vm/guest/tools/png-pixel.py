"""Print the size of a PNG and the colour of some of its pixels (python3-minimal only).

    python3 png-pixel.py FILE FX,FY [FX,FY ...]

FX and FY are fractions of the width and height (0.5,0.5 is the centre). Prints
"W H" and then one "R G B" line per point. Only what Firefox's screenshots are:
8-bit truecolour, with or without alpha, not interlaced. Rows are unfiltered only
down to the lowest point asked for.
"""

import struct
import sys
import zlib


def chunks(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("not a PNG file")
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        yield kind, data[pos + 8 : pos + 8 + length]
        pos += 12 + length  # length, type, data, CRC


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(kind, line, prev, bpp):
    if kind == 0:
        return line
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + prev[i]) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            up_left = prev[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + paeth(left, prev[i], up_left)) & 0xFF
        else:
            sys.exit(f"bad filter type {kind}")
    return line


def main():
    data = open(sys.argv[1], "rb").read()
    header, idat = None, []
    for kind, body in chunks(data):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        sys.exit("no IHDR chunk")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        sys.exit(f"unsupported PNG: depth {depth}, colour type {colour}, interlace {interlace}")
    bpp = 3 if colour == 2 else 4
    points = [tuple(float(v) for v in p.split(",")) for p in sys.argv[2:]]
    wanted = {min(int(fy * height), height - 1) for _, fy in points}
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    if len(raw) != height * (stride + 1):
        sys.exit(f"image data is {len(raw)} bytes, not {height * (stride + 1)}")
    rows, prev = {}, bytearray(stride)
    for y in range(max(wanted) + 1):
        start = y * (stride + 1)
        prev = unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), prev, bpp)
        if y in wanted:
            rows[y] = prev
    print(width, height)
    for fx, fy in points:
        x = min(int(fx * width), width - 1)
        row = rows[min(int(fy * height), height - 1)]
        print(*row[x * bpp : x * bpp + 3])


main()

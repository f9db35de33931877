#!/usr/bin/python3
"""An independent PNG decoder, standard library only (struct and zlib), as the oracle for the
PNG files of VoxelSeg's charts.

Usage:
  png_oracle.py FILE [X,Y ...]   decodes FILE and prints a JSON object:
      width, height, bit_depth, colour_type, channels,
      chunks      the chunk types in file order,
      filters     how many rows use each filter type 0..4,
      sha256      hex SHA-256 of the raw pixel bytes (rows top to bottom, RGB or RGBA),
      colours     the number of distinct pixel values,
      pixels      for each X,Y argument, the pixel as a list of channel values.
  png_oracle.py quartiles V...   prints [q1, median, q3] of the values with the standard
                                 library's statistics.quantiles(method='inclusive'), which is
                                 numpy's default linear interpolation.

Decoding refuses (exit 1, message on stderr) anything that is not a well-formed 8-bit RGB or
RGBA PNG: a bad signature, a chunk CRC mismatch, IHDR not first, IDAT not consecutive, IEND
missing or followed by data, an unsupported IHDR field, a truncated or over-long zlib stream,
the wrong number of bytes after inflating, or a filter type above 4.
"""
import hashlib
import json
import statistics
import struct
import sys
import zlib

SIGNATURE = b'\x89PNG\r\n\x1a\n'


def fail(msg):
    sys.stderr.write('png_oracle: ' + msg + '\n')
    sys.exit(1)


def chunks(data):
    if data[:8] != SIGNATURE:
        fail('bad PNG signature %r' % data[:8])
    pos = 8
    out = []
    while pos < len(data):
        if pos + 12 > len(data):
            fail('truncated chunk header at byte %d' % pos)
        length, ctype = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length:
            fail('truncated %r chunk' % ctype)
        (crc,) = struct.unpack('>I', data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(ctype + body) & 0xffffffff != crc:
            fail('CRC mismatch in %r chunk at byte %d' % (ctype, pos))
        out.append((ctype.decode('latin-1'), body))
        pos += 12 + length
        if ctype == b'IEND':
            if pos != len(data):
                fail('%d bytes after IEND' % (len(data) - pos))
            return out
    fail('no IEND chunk')


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode(path):
    with open(path, 'rb') as f:
        data = f.read()
    cs = chunks(data)
    types = [t for t, _ in cs]
    if types[0] != 'IHDR':
        fail('first chunk is %s, not IHDR' % types[0])
    ihdr = cs[0][1]
    if len(ihdr) != 13:
        fail('IHDR has %d bytes' % len(ihdr))
    width, height, depth, ctype, comp, filt, interlace = struct.unpack('>IIBBBBB', ihdr)
    if width == 0 or height == 0:
        fail('zero size %dx%d' % (width, height))
    if depth != 8 or ctype not in (2, 6) or comp != 0 or filt != 0 or interlace != 0:
        fail('unsupported IHDR: depth %d colour type %d compression %d filter %d interlace %d'
             % (depth, ctype, comp, filt, interlace))
    idat_at = [i for i, t in enumerate(types) if t == 'IDAT']
    if not idat_at or idat_at != list(range(idat_at[0], idat_at[-1] + 1)):
        fail('IDAT chunks missing or not consecutive: %s' % types)
    z = zlib.decompressobj()
    raw = z.decompress(b''.join(body for t, body in cs if t == 'IDAT'))
    if not z.eof:
        fail('zlib stream is truncated')
    if z.unused_data:
        fail('%d bytes after the end of the zlib stream' % len(z.unused_data))
    channels = 3 if ctype == 2 else 4
    stride = width * channels
    if len(raw) != height * (stride + 1):
        fail('inflated %d bytes, expected %d' % (len(raw), height * (stride + 1)))
    pixels = bytearray(height * stride)
    prev = bytearray(stride)
    filters = [0] * 5
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        if ftype > 4:
            fail('row %d has filter type %d' % (y, ftype))
        filters[ftype] += 1
        line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        cur = bytearray(stride)
        for i in range(stride):
            a = cur[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 0:
                p = 0
            elif ftype == 1:
                p = a
            elif ftype == 2:
                p = b
            elif ftype == 3:
                p = (a + b) >> 1
            else:
                p = paeth(a, b, c)
            cur[i] = (line[i] + p) & 0xff
        pixels[y * stride:(y + 1) * stride] = cur
        prev = cur
    return width, height, depth, ctype, channels, types, filters, bytes(pixels)


def main(argv):
    if len(argv) >= 1 and argv[0] == 'quartiles':
        values = [float(v) for v in argv[1:]]
        print(json.dumps(statistics.quantiles(values, n=4, method='inclusive')))
        return
    if not argv:
        fail('usage: png_oracle.py FILE [X,Y ...] | quartiles V...')
    width, height, depth, ctype, channels, types, filters, pixels = decode(argv[0])
    stride = width * channels
    picked = []
    for xy in argv[1:]:
        x, y = (int(v) for v in xy.split(','))
        if not (0 <= x < width and 0 <= y < height):
            fail('pixel %d,%d is outside the %dx%d image' % (x, y, width, height))
        o = y * stride + x * channels
        picked.append(list(pixels[o:o + channels]))
    distinct = {pixels[i:i + channels] for i in range(0, len(pixels), channels)}
    print(json.dumps({
        'width': width, 'height': height, 'bit_depth': depth, 'colour_type': ctype,
        'channels': channels, 'chunks': types, 'filters': filters,
        'sha256': hashlib.sha256(pixels).hexdigest(), 'colours': len(distinct),
        'pixels': picked}))


if __name__ == '__main__':
    main(sys.argv[1:])

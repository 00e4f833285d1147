"""Overwrites bytes of one tensor's data in a GGUF file, in place.

usage: set_gguf_bytes.py FILE TENSOR OFFSET HEX (OFFSET in the tensor's data,
HEX the new bytes, e.g. ff or 007e)

The layout is GGUF's (ggml's docs/gguf.md): magic, version, tensor and key
counts, the key/value pairs, the tensor infos (name, dims, type, offset), and
the data at the next multiple of general.alignment (32 by default).
"""
import struct
import sys

path, tensor, offset, data = sys.argv[1], sys.argv[2], int(sys.argv[3]), bytes.fromhex(sys.argv[4])
SCALAR = {0: 'B', 1: 'b', 2: 'H', 3: 'h', 4: 'I', 5: 'i', 6: 'f', 7: '?', 10: 'Q', 11: 'q', 12: 'd'}

with open(path, 'r+b') as f:
    def read(fmt):
        return struct.unpack('<' + fmt, f.read(struct.calcsize('<' + fmt)))[0]

    def string():
        return f.read(read('Q')).decode()

    def value(kind):
        if kind == 8:
            return string()
        if kind == 9:
            element, count = read('I'), read('Q')
            return [value(element) for _ in range(count)]
        return read(SCALAR[kind])

    assert f.read(4) == b'GGUF', 'not a GGUF file'
    read('I')  # version
    tensors, keys = read('Q'), read('Q')
    alignment = 32
    for _ in range(keys):
        key = string()
        v = value(read('I'))
        if key == 'general.alignment':
            alignment = v
    where = None
    for _ in range(tensors):
        name = string()
        dims = [read('Q') for _ in range(read('I'))]
        read('I')  # type
        at = read('Q')
        if name == tensor:
            where = at
    assert where is not None, 'no tensor ' + tensor
    start = (f.tell() + alignment - 1) // alignment * alignment
    f.seek(start + where + offset)
    f.write(data)

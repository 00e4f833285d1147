"""Sets one 16-bit element of a tensor in a safetensors file, in place.

usage: set_bf16.py FILE TENSOR INDEX BITS (BITS as 0x....)
"""
import json
import struct
import sys

path, tensor, index, bits = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4], 16)
with open(path, 'r+b') as f:
    header_bytes = struct.unpack('<Q', f.read(8))[0]
    header = json.loads(f.read(header_bytes))
    begin = header[tensor]['data_offsets'][0]
    f.seek(8 + header_bytes + begin + 2 * index)
    f.write(struct.pack('<H', bits))

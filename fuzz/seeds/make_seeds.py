#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into fuzz/seeds/<target>/.

Each input starts with the target's selector bytes (see the comment at the
top of each fuzz_targets/*.rs), followed by a small valid file.
Run from anywhere: python3 fuzz/seeds/make_seeds.py
"""
import gzip
import json
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent
DIGITS = HERE.parent.parent / "crates" / "train" / "data" / "digits8x8"


def put(target, name, data):
    d = HERE / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(bytes(data))


def gz(data):
    return gzip.compress(bytes(data), mtime=0)


# --- idx: selector bit0 labels, bit1 gzip-wrap, bits 2.. classes ---
def idx_images(n, rows, cols, pixels):
    return struct.pack(">IIII", 0x803, n, rows, cols) + bytes(pixels)


def idx_labels(labels):
    return struct.pack(">II", 0x801, len(labels)) + bytes(labels)


tiny = idx_images(2, 1, 2, [10, 20, 30, 40])
put("idx", "images_raw", b"\x00" + tiny)
put("idx", "images_wrapped", b"\x02" + tiny)
put("idx", "images_gzip", b"\x00" + gz(tiny))
put("idx", "images_empty_set", b"\x00" + idx_images(0, 28, 28, []))
put("idx", "labels_raw", bytes([1 | 10 << 2]) + idx_labels([3, 1, 4, 1, 5, 9, 2, 6]))
put("idx", "labels_wrapped", bytes([3 | 10 << 2]) + idx_labels([0, 9]))
# The bundled digits: the whole (small) label file as shipped, and the
# head of the image file (8 images of 8x8), raw and gzip.
put("idx", "digits_labels_gz", bytes([1 | 10 << 2]) + (DIGITS / "t10k-labels-idx1-ubyte.gz").read_bytes())
images = gzip.decompress((DIGITS / "t10k-images-idx3-ubyte.gz").read_bytes())
head = images[:4] + struct.pack(">I", 8) + images[8:16] + images[16 : 16 + 8 * 64]
put("idx", "digits_images_head", b"\x00" + head)
put("idx", "digits_images_head_gz", b"\x00" + gz(head))

# --- csv: selector 0 Last, 1 Index(arg), 2/3 Name(next arg bytes) ---
put("csv", "last", b"\x00\x00x1,x2,y\n1,2,3\n4.5,-6e2,7\n")
put("csv", "index", b"\x01\x00y, a, b\n1, 2, 3\n\n4, 5, 6\n")
put("csv", "name", b"\x02\x05pricex1, x2, price\n1, 2, 10.5\n3, 4, 20\n")
put("csv", "quoted", b'\x00\x00"a","b,c"\r\n" 1 ",2\r\n')
put("csv", "big", b"\x00\x00a,b\n1e38,-3.5e38\n1e-45,0.1\n")


# --- safetensors: selector bit0 bias, bit1 size from the file; out; in ---
def safetensors(tensors, metadata=None):
    header, blob = ({"__metadata__": metadata} if metadata else {}), b""
    for name, (dtype, shape, values) in tensors.items():
        fmt = {"F32": "<f", "F64": "<d"}.get(dtype)
        data = b"".join(struct.pack(fmt, v) for v in values) if fmt else bytes(values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(blob), len(blob) + len(data)]}
        blob += data
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + blob


w = [0.5, -1.0, 2.0, 0.25, 3.0, -0.125]
put("safetensors", "f32_bias", bytes([1, 2, 3]) + safetensors({"weight": ("F32", [2, 3], w), "bias": ("F32", [2], [1.0, -2.0])}))
put("safetensors", "f64_nobias", bytes([0, 2, 3]) + safetensors({"weight": ("F64", [2, 3], w)}))
put("safetensors", "f64_from_file", bytes([3, 0, 0]) + safetensors({"bias": ("F64", [1], [0.5]), "weight": ("F64", [1, 4], [1, 2, 3, 4])}))
put("safetensors", "bf16_weight", bytes([2, 0, 0]) + safetensors({"weight": ("BF16", [1, 2], [0, 0x3f, 0, 0x40])}))
put("safetensors", "metadata", bytes([1, 1, 1]) + safetensors({"weight": ("F32", [1, 1], [7.0]), "bias": ("F32", [1], [8.0])}, {"format": "pt"}))

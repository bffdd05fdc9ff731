#!/usr/bin/env python3
"""Writes the model-file fixtures for Born's I/O tests (Tests/BornIOTests/CorpusTests.swift).

    python3 Tests/Fixtures/io/generate.py     # from the repository root; rewrites the files below

- python/    safetensors files written by the reference `safetensors` library (reference, nometa,
             empty), each with a JSON description of its tensors (dtype, shape, raw bytes in hex)
             and metadata.
- valid/     small.born (written by an independent writer below, following docs/formats/born.md)
             and small.safetensors (the reference library) holding the same tensors, plus
             small.json describing them; the tests cut them at every byte.
- malformed/ broken files, each of which a correct reader rejects, and manifest.json naming the
             error each must produce: {"error": malformed | unsupportedDType | checksumMismatch,
             "field": a substring of the error's field (malformed) or of the tensor name
             (unsupportedDType), "why": what is wrong}.

The output is deterministic. The files are committed; tests and CI never run this script.
Needs numpy and safetensors; torch (optional) writes the BF16 tensor of python/reference.
"""
import hashlib
import json
import os
import struct
import sys
import tempfile

import numpy as np
import safetensors
import safetensors.numpy as stnp
from safetensors import safe_open

try:
    import torch
    import safetensors.torch as sttorch
except ImportError:  # the BF16 tensor is then written through safetensors' low-level API
    torch = None

HERE = os.path.dirname(os.path.abspath(__file__))


def jdump(obj):
    """Compact JSON, as Born's and the reference library's writers emit it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def write(rel, data):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def write_json(rel, obj):
    write(rel, (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode())


# ---------------------------------------------------------------------------------------------
# Tensors and their JSON description
# ---------------------------------------------------------------------------------------------

def f32_bits(*bits):
    return np.array(bits, dtype="<u4").view("<f4")


def f16_bits(*bits):
    return np.array(bits, dtype="<u2").view("<f2")


class BF16:
    """A bfloat16 tensor, held as its 16-bit patterns (numpy has no bfloat16)."""

    def __init__(self, bits, shape):
        self.bits = np.array(bits, dtype="<u2").reshape(shape)


ST_DTYPE = {"float64": "F64", "float32": "F32", "float16": "F16", "int64": "I64", "int32": "I32",
            "int8": "I8", "uint8": "U8", "bool": "BOOL"}
BORN_DTYPE = {"F64": "f64", "F32": "f32", "F16": "f16", "BF16": "bf16", "I64": "i64", "I32": "i32",
              "I8": "i8", "U8": "u8", "BOOL": "bool"}


def describe(t):
    """(safetensors dtype name, shape, little-endian bytes) of a numpy array or BF16."""
    if isinstance(t, BF16):
        return "BF16", list(t.bits.shape), t.bits.tobytes()
    a = np.array(t, order="C")
    a = a.astype(a.dtype.newbyteorder("<"), copy=False)
    return ST_DTYPE[a.dtype.name], list(a.shape), a.tobytes()


def expected_json(tensors, metadata):
    out = {"__metadata__": dict(metadata)}
    for name, t in tensors.items():
        dtype, shape, raw = describe(t)
        out[name] = {"dtype": dtype, "shape": shape, "hex": raw.hex()}
    return out


# ---------------------------------------------------------------------------------------------
# Safetensors written by the reference library
# ---------------------------------------------------------------------------------------------

def metadata_order(data):
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n], object_pairs_hook=lambda pairs: pairs)
    for key, value in header:
        if key == "__metadata__":
            return [k for k, _ in value]
    return []


def reference_save(tensors, metadata, path):
    """The reference library's file for `tensors` (numpy arrays or BF16).

    The library keeps metadata in a Rust HashMap, so the order of its keys in the header varies
    from call to call; this saves until they come out sorted (the order Born writes), so the
    output is deterministic."""
    has_bf16 = any(isinstance(t, BF16) for t in tensors.values())
    with tempfile.TemporaryDirectory() as tmp:
        scratch = os.path.join(tmp, "out.safetensors")
        for _ in range(200):
            if not has_bf16:
                stnp.save_file(dict(tensors), scratch, metadata=metadata)
            elif torch is not None:
                def tt(t):
                    if isinstance(t, BF16):
                        return torch.from_numpy(t.bits.view(np.int16).copy()).view(torch.bfloat16)
                    return torch.from_numpy(np.array(t, order="C").copy())
                sttorch.save_file({k: tt(v) for k, v in tensors.items()}, scratch, metadata=metadata)
            else:
                keep = []
                specs = {}
                for k, t in tensors.items():
                    a = t.bits if isinstance(t, BF16) else np.array(t, order="C")
                    keep.append(a)
                    specs[k] = safetensors.TensorSpec(
                        dtype="bfloat16" if isinstance(t, BF16) else a.dtype.name, shape=a.shape,
                        data_ptr=a.ctypes.data, data_len=a.nbytes)
                safetensors.serialize_file(specs, scratch, metadata=metadata)
            with open(scratch, "rb") as f:
                data = f.read()
            keys = metadata_order(data)
            if keys == sorted(keys):
                break
        else:
            sys.exit("the reference library never wrote the metadata keys in sorted order")
    write(path, data)
    return data


RANK = {"BOOL": 0, "U8": 1, "I8": 2, "F16": 3, "BF16": 4, "I32": 5, "F32": 6, "F64": 7, "I64": 8}


def born_safetensors(tensors, metadata):
    """The bytes Born's SafeTensors.serialize writes (Sources/BornIO/SafeTensors.swift), to check
    that the reference library's files are what Born writes for the same tensors."""
    described = {k: describe(t) for k, t in tensors.items()}
    order = sorted(described, key=lambda k: (-RANK[described[k][0]], k))
    parts = []
    if metadata:
        parts.append('"__metadata__":{' + ",".join(
            f"{jdump(k)}:{jdump(v)}" for k, v in sorted(metadata.items())) + "}")
    offset = 0
    data = b""
    for k in order:
        dtype, shape, raw = described[k]
        parts.append(f'{jdump(k)}:{{"dtype":"{dtype}","shape":{jdump(shape)},'
                     f'"data_offsets":[{offset},{offset + len(raw)}]}}')
        offset += len(raw)
        data += raw
    header = ("{" + ",".join(parts) + "}").encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + data


def check_reference_file(path, expected):
    """Reads a file back with the reference library and compares it with its description."""
    with safe_open(os.path.join(HERE, path), framework="numpy") as f:
        metadata = f.metadata() or {}
        found = {}
        for k in f.keys():
            sl = f.get_slice(k)
            if sl.get_dtype() == "BF16":
                continue
            found[k] = describe(f.get_tensor(k))
    if torch is not None:
        with safe_open(os.path.join(HERE, path), framework="pt") as f:
            for k in f.keys():
                t = f.get_tensor(k)
                if t.dtype == torch.bfloat16:
                    found[k] = ("BF16", list(t.shape), t.view(torch.int16).numpy().tobytes())
    assert metadata == expected["__metadata__"], path
    for k, e in expected.items():
        if k == "__metadata__" or (k not in found and torch is None):
            continue
        assert found[k] == (e["dtype"], e["shape"], bytes.fromhex(e["hex"])), (path, k)


def python_files():
    nan_payload = 0x7FC00001  # a quiet NaN with a payload; bytes must survive exactly
    reference = {
        "bf16": BF16([0x3F80, 0xC000, 0x7F80, 0xFF80, 0x7FC0, 0x8000, 0x0001, 0x4049], [2, 4]),
        "bool": np.array([True, False, True], dtype=np.bool_),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "f16.special": f16_bits(0x7E00, 0x7C00, 0xFC00, 0x8000, 0x0000, 0x0001, 0x03FF, 0x0400,
                                0x7BFF, 0x3C00, 0xFE01),
        "f32.cube": np.arange(24, dtype=np.float32).reshape(2, 3, 4) * np.float32(0.25) - np.float32(2),
        "f32.special": f32_bits(0x7FC00000, nan_payload, 0xFFC00000, 0x7F800000, 0xFF800000,
                                0x80000000, 0x00000000, 0x00000001, 0x007FFFFF, 0x00800000,
                                0x7F7FFFFF, 0x3F800000),
        "f64": np.array([[np.pi, -0.0, 5e-324], [np.inf, np.nan, -1.5e300]], dtype=np.float64),
        "i32": np.array([[-2147483648, -1], [0, 2147483647]], dtype=np.int32),
        "i64": np.array([-9223372036854775808, -1, 0, 9223372036854775807], dtype=np.int64),
        "i8": np.array([-128, -1, 0, 1, 127], dtype=np.int8),
        "scalar": np.array(3.5, dtype=np.float32),
        "u8": np.array([0, 1, 127, 128, 255], dtype=np.uint8),
    }
    ref_meta = {"format": "pt", "note": 'line1\nline2 "quoted" \u00e9'}
    nometa = {"a": np.array([1.0, -2.0], dtype=np.float32),
              "b": np.array([[0.5, 0.25], [0.125, -0.0]], dtype=np.float32)}
    for name, tensors, meta in [("reference", reference, ref_meta), ("nometa", nometa, None),
                                ("empty", {}, None)]:
        data = reference_save(tensors, meta, f"python/{name}.safetensors")
        expected = expected_json(tensors, meta or {})
        write_json(f"python/{name}.json", expected)
        check_reference_file(f"python/{name}.safetensors", expected)
        if data != born_safetensors(tensors, meta or {}):
            print(f"warning: python/{name}.safetensors differs from what Born's writer emits")


# ---------------------------------------------------------------------------------------------
# An independent .born writer (docs/formats/born.md)
# ---------------------------------------------------------------------------------------------

MAGIC = bytes([0x89, 0x42, 0x4F, 0x52, 0x4E, 0x0D, 0x0A, 0x1A])


def align(n, a=64):
    return (n + a - 1) // a * a


def sha256(b):
    return hashlib.sha256(b).digest()


def born_layout(tensors, metadata):
    """Header JSON text and data bytes for tensors {name: (dtype, shape, bytes)}, as Born's
    writer lays them out: sorted by name, each at a multiple of 64, zero padding between."""
    entries = []
    data = bytearray()
    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        offset = align(len(data))
        data += bytes(offset - len(data))
        entries.append({"name": name, "dtype": dtype, "shape": list(shape), "offset": offset,
                        "length": len(raw)})
        data += raw
    header = jdump({"tensors": entries, "metadata": dict(sorted(metadata.items()))})
    return header, bytes(data)


def born_file(header, data, *, pad=b" ", pad_to=64, H=None, D=None, magic=MAGIC, version=1,
              flags=1, checksum=None, trailing=b""):
    """A .born file: prefix, header padded to a multiple of `pad_to`, data, `trailing` extra
    bytes. H and D default to the real lengths, the checksum to the SHA-256 of every byte after
    the prefix (so that only the intended defect is wrong)."""
    h = header.encode() if isinstance(header, str) else bytes(header)
    h += pad * (-len(h) % pad_to)
    body = h + data + trailing
    prefix = magic + struct.pack("<IIQQ", version, flags, len(h) if H is None else H,
                                 len(data) if D is None else D)
    prefix += sha256(body) if checksum is None else checksum
    assert len(prefix) == 64
    return bytearray(prefix + body)


def reseal(buf):
    """Sets the checksum to the SHA-256 of bytes 64..<end."""
    buf[32:64] = sha256(bytes(buf[64:]))
    return buf


def dense(t):
    dtype, shape, raw = describe(t)
    return BORN_DTYPE[dtype], shape, raw


def valid_files():
    tensors = {"weight": np.array([[1.0, -2.0, 0.5], [np.inf, -0.0, 3.25]], dtype=np.float32),
               "ids": np.array([0, -1, 2**40, -(2**62)], dtype=np.int64),
               "scale": np.array(0.333, dtype=np.float16)}
    meta = {"k": "v"}
    header, data = born_layout({k: dense(v) for k, v in tensors.items()}, meta)
    write("valid/small.born", born_file(header, data))
    reference_save(tensors, meta, "valid/small.safetensors")
    expected = expected_json(tensors, meta)
    write_json("valid/small.json", expected)
    check_reference_file("valid/small.safetensors", expected)


# ---------------------------------------------------------------------------------------------
# The malformed corpus
# ---------------------------------------------------------------------------------------------

MANIFEST = {}
COUNTERS = {"born": 0, "safetensors": 0}
REFERENCE_ACCEPTS = set()  # safetensors files the reference library reads


def add(fmt, slug, data, error, field, why, reference_accepts=False):
    assert error in ("malformed", "unsupportedDType", "checksumMismatch")
    assert (field != "") == (error != "checksumMismatch"), slug
    data = bytes(data)
    assert len(data) < 4096, slug
    COUNTERS[fmt] += 1
    ext = "born" if fmt == "born" else "safetensors"
    short = "born" if fmt == "born" else "st"
    rel = f"{fmt}/{short}-{COUNTERS[fmt]:02d}-{slug}.{ext}"
    if reference_accepts:
        REFERENCE_ACCEPTS.add(rel)
        why += " (the reference safetensors library accepts this file; Born's reader is stricter)"
    MANIFEST[rel] = {"error": error, "field": field, "why": why}
    write(f"malformed/{rel}", data)


def sub(text, old, new, count=1):
    """`text` with `old` replaced; `old` must occur."""
    assert old in text, (old, text)
    return text.replace(old, new, count)


# --- safetensors ---

def st(header, data=b"", length=None, pad=True):
    """A safetensors file: 8-byte length, header (padded with spaces to a multiple of 8 unless
    `pad` is false), data. `length` overrides the recorded header length."""
    h = header.encode() if isinstance(header, str) else bytes(header)
    if pad:
        h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h) if length is None else length) + h + data


def entry(dtype="F32", shape=(2,), offsets=(0, 8)):
    return f'{{"dtype":"{dtype}","shape":{jdump(list(shape))},"data_offsets":{jdump(list(offsets))}}}'


W = '"w":' + entry()  # w: F32 [2] at 0..<8
W_DATA = np.array([1.0, 2.0], dtype="<f4").tobytes()
VALID_ST = st("{" + W + "}", W_DATA)
TWO = '{"a":' + entry(offsets=(0, 8)) + ',"b":' + entry(offsets=(8, 16)) + "}"
TWO_DATA = np.arange(4, dtype="<f4").tobytes()
META_W = '{"__metadata__":{"k":"v"},' + W + "}"


def safetensors_corpus():
    A = lambda *a, **k: add("safetensors", *a, **k)
    HL = "header length"

    # The 8-byte header length.
    A("header-length-huge", st("{" + W + "}", W_DATA, length=200_000_000), "malformed", HL,
      "header length 200,000,000: more than the file and than the 100 MB limit")
    A("header-length-over-limit", st("{" + W + "}", W_DATA, length=100_000_001), "malformed", HL,
      "header length one byte over the 100,000,000-byte limit")
    A("header-length-negative", st("{" + W + "}", W_DATA, length=0xFFFFFFFFFFFFFFF0), "malformed", HL,
      "header length 0xFFFFFFFFFFFFFFF0, negative as an i64")
    A("header-length-i64-min", st("{" + W + "}", W_DATA, length=1 << 63), "malformed", HL,
      "header length 2^63 (Int64.min as a signed value)")
    A("header-length-overflow", st("{" + W + "}", W_DATA, length=0xFFFFFFFFFFFFFFF9), "malformed", HL,
      "header length 2^64-7: 8 + length overflows a u64")
    A("header-length-u64-max", st("{" + W + "}", W_DATA, length=0xFFFFFFFFFFFFFFFF), "malformed", HL,
      "header length 2^64-1")
    h = ("{" + W + "}").encode()
    h += b" " * (-len(h) % 8)
    A("header-length-past-end", st(h, W_DATA, length=len(h) + len(W_DATA) + 1), "malformed", HL,
      "header length one byte past the end of the file")
    A("header-length-past-end-4k", st("{" + W + "}", W_DATA, length=4096), "malformed", HL,
      "header length 4096 (under the limit) in a file of a few dozen bytes")
    A("file-shorter-than-8-bytes", b"\x10\x00\x00", "malformed", HL,
      "3-byte file: no room for the header length")
    A("file-empty", b"", "malformed", HL, "empty file")
    A("truncated-in-header", VALID_ST[:20], "malformed", HL,
      "a valid file cut inside its header, so the header length runs past the end")
    A("header-length-zero", st(b"", b"{}      "), "malformed", "header",
      "header length 0: there is no JSON header")
    A("header-length-short", st(b'{"w":{"dtype":"F', b'32","shape":[2],"data_offsets":[0,8]}}' + W_DATA, pad=False),
      "malformed", "header", "the header length stops inside the JSON (an unterminated string)")

    # The header's first byte and the JSON grammar.
    A("header-not-object", st("[]", b""), "malformed", "header", "the header is a JSON array, not an object")
    A("header-string", st('"w"', b""), "malformed", "header", "the header is a JSON string")
    A("header-leading-space", st(" {" + W + "}", W_DATA), "malformed", "header",
      "the header starts with a space instead of '{'", reference_accepts=True)
    A("header-utf8-bom", st(b"\xef\xbb\xbf{" + W.encode() + b"}", W_DATA), "malformed", "header",
      "the header starts with a UTF-8 byte order mark")
    A("json-unterminated-string", st('{"__metadata__":{"k":"v}}', b""), "malformed", "header",
      "a string that is never closed (the padding and braces end up inside it)")
    A("json-bad-escape", st('{"__metadata__":{"k":"a\\qb"},' + W + "}", W_DATA), "malformed", "header",
      "invalid escape \\q in a string")
    A("json-trailing-comma-object", st("{" + W + ",}", W_DATA), "malformed", "header",
      "trailing comma before '}'")
    A("json-trailing-comma-array", st('{"w":{"dtype":"F32","shape":[2,],"data_offsets":[0,8]}}', W_DATA),
      "malformed", "header", "trailing comma before ']'")
    A("json-invalid-utf8", st(b'{"__metadata__":{"k":"\xff"},' + W.encode() + b"}", W_DATA), "malformed",
      "header", "byte 0xFF (never valid UTF-8) in a string")
    A("json-overlong-utf8", st(b'{"__metadata__":{"k":"\xc0\xaf"},' + W.encode() + b"}", W_DATA), "malformed",
      "header", "overlong UTF-8 encoding C0 AF of '/'")
    A("json-utf8-surrogate", st(b'{"__metadata__":{"k":"\xed\xa0\x80"},' + W.encode() + b"}", W_DATA),
      "malformed", "header", "a UTF-16 surrogate (U+D800) encoded as UTF-8 bytes ED A0 80")
    A("json-truncated-utf8", st(b'{"__metadata__":{"k":"\xc3"},' + W.encode() + b"}", W_DATA), "malformed",
      "header", "a UTF-8 lead byte C3 with no continuation byte")
    A("json-control-char-in-key", st(b'{"w\x01":' + entry().encode() + b"}", W_DATA), "malformed", "header",
      "raw control character 0x01 in a tensor name")
    A("json-newline-in-string", st(b'{"__metadata__":{"k":"a\nb"},' + W.encode() + b"}", W_DATA), "malformed",
      "header", "raw line feed inside a string")
    A("json-lone-surrogate-escape", st('{"__metadata__":{"k":"\\ud800"},' + W + "}", W_DATA), "malformed",
      "header", "\\ud800 escape without a low surrogate")
    A("json-nesting-100", st('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":'
                             + "[" * 100 + "]" * 100 + "}}", W_DATA), "malformed", "header",
      "arrays nested 100 deep (Born allows 32 levels)", reference_accepts=True)
    A("json-leading-zero", st('{"w":{"dtype":"F32","shape":[2],"data_offsets":[00,8]}}', W_DATA), "malformed",
      "header", "number with a leading zero (00)")
    A("json-bad-number", st('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8.]}}', W_DATA), "malformed",
      "header", "number '8.' with no digit after the point")
    A("json-number-too-long", st('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,' + "8" + "0" * 69 + "]}}", W_DATA), "malformed", "header",
      "a 70-digit number (Born refuses numbers longer than 64 characters)")
    A("json-trailing-garbage", st("{" + W + "}x", W_DATA), "malformed", "header",
      "a byte other than whitespace after the JSON object")
    A("json-two-objects", st("{" + W + "}{}", W_DATA), "malformed", "header", "a second JSON value after the object")
    h = ("{" + W + "}").encode()
    A("json-nul-padding", st(h + b"\0" * (-len(h) % 8 or 8), W_DATA, pad=False),
      "malformed", "header", "header padded with NUL bytes instead of spaces")
    A("json-single-quotes", st("{'w':" + entry() + "}", W_DATA), "malformed", "header",
      "single-quoted key")
    A("json-invalid-literal", st('{"__metadata__":{"k":nul},' + W + "}", W_DATA), "malformed", "header",
      "misspelled literal 'nul'")

    # Duplicates.
    A("duplicate-tensor-name", st("{" + W + "," + W + "}", W_DATA), "malformed", "header",
      "the tensor name w appears twice (a duplicate JSON key)", reference_accepts=True)
    A("duplicate-metadata", st('{"__metadata__":{},"__metadata__":{},' + W + "}", W_DATA), "malformed", "header",
      "__metadata__ appears twice")
    A("duplicate-metadata-key", st('{"__metadata__":{"a":"1","a":"2"},' + W + "}", W_DATA), "malformed", "header",
      "metadata key a appears twice", reference_accepts=True)
    A("duplicate-field", st('{"w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}', W_DATA),
      "malformed", "header", "dtype appears twice in one tensor entry")

    # data_offsets.
    DO = lambda n: f"tensor {n}: data_offsets"
    A("offsets-overlap", st('{"a":' + entry(offsets=(0, 8)) + ',"b":' + entry(offsets=(4, 12)) + "}", bytes(12)),
      "malformed", DO("b"), "b's bytes 4..<12 overlap a's 0..<8")
    A("offsets-same-range", st('{"a":' + entry(offsets=(0, 8)) + ',"b":' + entry(offsets=(0, 8)) + "}", bytes(8)),
      "malformed", "data_offsets", "a and b both claim bytes 0..<8")
    A("offsets-gap", st('{"a":' + entry(offsets=(0, 8)) + ',"b":' + entry(offsets=(12, 20)) + "}", bytes(20)),
      "malformed", DO("b"), "4 unused bytes between a (0..<8) and b (12..<20)")
    A("offsets-not-from-zero", st('{"w":' + entry(offsets=(4, 12)) + "}", bytes(12)), "malformed", DO("w"),
      "the only tensor starts at byte 4 of the data section")
    A("offsets-reversed", st('{"w":' + entry(offsets=(8, 0)) + "}", W_DATA), "malformed", DO("w"),
      "data_offsets [8, 0]: begin after end")
    A("offsets-past-end", st('{"w":' + entry() + "}", W_DATA[:4]), "malformed", DO("w"),
      "w ends at 8 but the data section has 4 bytes")
    A("offsets-far-past-end", st('{"w":' + entry(shape=[2**38], offsets=(0, 2**40)) + "}", W_DATA), "malformed",
      DO("w"), "w claims a terabyte (0..<2^40) of an 8-byte data section")
    A("offsets-size-mismatch", st('{"w":' + entry(offsets=(0, 12)) + "}", bytes(12)), "malformed", DO("w"),
      "F32 [2] needs 8 bytes, the offsets give 12")
    A("offsets-three-elements", st('{"w":' + entry(offsets=(0, 8, 8)) + "}", W_DATA), "malformed", DO("w"),
      "data_offsets with three numbers")
    A("offsets-one-element", st('{"w":' + entry(offsets=(8,)) + "}", W_DATA), "malformed", DO("w"),
      "data_offsets with one number")
    A("offsets-negative", st('{"w":' + entry(offsets=(-8, 0)) + "}", W_DATA), "malformed", DO("w"),
      "negative data offset")
    A("offsets-beyond-u64", st('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551624]}}', W_DATA),
      "malformed", DO("w"), "an end offset of 2^64+8, which fits no 64-bit integer")
    A("offsets-not-array", st('{"w":{"dtype":"F32","shape":[2],"data_offsets":"0,8"}}', W_DATA), "malformed",
      DO("w"), "data_offsets is a string")
    A("offsets-string-element", st('{"w":{"dtype":"F32","shape":[2],"data_offsets":["0",8]}}', W_DATA),
      "malformed", DO("w"), "a data offset written as a string")
    A("offsets-fraction", st('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8.5]}}', W_DATA), "malformed",
      DO("w"), "a fractional data offset")

    # Coverage of the data section.
    A("trailing-bytes", st("{" + W + "}", W_DATA + bytes(4)), "malformed", "data",
      "4 bytes after the last tensor's data")
    A("data-without-tensors", st('{"__metadata__":{"k":"v"}}', bytes(8)), "malformed", "data",
      "no tensors but an 8-byte data section")
    A("truncated-data", st(TWO, TWO_DATA)[:-3], "malformed", DO("b"),
      "a valid file with its last 3 bytes cut off, so b runs past the end")

    # dtypes.
    A("unknown-dtype", st('{"w":' + entry(dtype="F33") + "}", W_DATA), "unsupportedDType", "w",
      "dtype F33 does not exist")
    A("dtype-lowercase", st('{"w":' + entry(dtype="f32") + "}", W_DATA), "unsupportedDType", "w",
      "dtype f32: safetensors names are upper case")
    A("dtype-empty", st('{"w":' + entry(dtype="") + "}", W_DATA), "unsupportedDType", "w", "dtype \"\"")
    A("dtype-i16", st('{"w":' + entry(dtype="I16", shape=[4]) + "}", W_DATA), "unsupportedDType", "w",
      "I16 is a valid safetensors dtype that Born does not have", reference_accepts=True)
    A("dtype-u32", st('{"w":' + entry(dtype="U32") + "}", W_DATA), "unsupportedDType", "w",
      "U32 is a valid safetensors dtype that Born does not have", reference_accepts=True)
    A("dtype-not-string", st('{"w":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}', W_DATA), "malformed",
      "tensor w: dtype", "dtype is a number")

    # Shapes.
    SH = "tensor w: shape"
    A("shape-product-overflow", st('{"w":' + entry(shape=[2**62, 8], offsets=(0, 0)) + "}"), "malformed", SH,
      "shape [2^62, 8]: the element count overflows 64 bits")
    A("shape-bytes-overflow", st('{"w":' + entry(dtype="F64", shape=[2**61], offsets=(0, 0)) + "}"), "malformed",
      SH, "F64 [2^61]: the element count fits but the byte size (2^64) overflows")
    A("shape-negative-dimension", st('{"w":' + entry(shape=[-1, 2], offsets=(0, 0)) + "}"), "malformed", SH,
      "dimension -1")
    A("shape-dimension-beyond-u64", st('{"w":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,0]}}'),
      "malformed", SH, "a dimension of 2^64, which fits no 64-bit integer")
    A("shape-fraction", st('{"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}', W_DATA), "malformed", SH,
      "dimension written as 2.0")
    A("shape-not-array", st('{"w":{"dtype":"F32","shape":2,"data_offsets":[0,8]}}', W_DATA), "malformed", SH,
      "shape is a number")
    A("shape-string-element", st('{"w":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}', W_DATA),
      "malformed", SH, "a dimension written as a string")
    A("shape-null", st('{"w":{"dtype":"F32","shape":null,"data_offsets":[0,8]}}', W_DATA), "malformed", SH,
      "shape is null")
    A("shape-rank-9", st('{"w":' + entry(shape=[1] * 8 + [2]) + "}", W_DATA), "malformed", SH,
      "rank 9: Born's tensors have at most 8 dimensions", reference_accepts=True)

    # Wrong types and missing fields.
    A("entry-not-object", st('{"w":[0,8]}', W_DATA), "malformed", "tensor w", "the tensor entry is an array")
    A("entry-null", st('{"w":null}', W_DATA), "malformed", "tensor w", "the tensor entry is null")
    A("entry-empty-object", st('{"w":{}}', W_DATA), "malformed", "tensor w", "the tensor entry has no fields")
    A("missing-dtype", st('{"w":{"shape":[2],"data_offsets":[0,8]}}', W_DATA), "malformed", "tensor w",
      "the tensor entry lacks dtype")
    A("missing-shape", st('{"w":{"dtype":"F32","data_offsets":[0,8]}}', W_DATA), "malformed", "tensor w",
      "the tensor entry lacks shape")
    A("missing-data-offsets", st('{"w":{"dtype":"F32","shape":[2]}}', W_DATA), "malformed", "tensor w",
      "the tensor entry lacks data_offsets")
    A("unknown-entry-field", st('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"stride":[1]}}', W_DATA),
      "malformed", "tensor w: stride", "unknown field stride in a tensor entry", reference_accepts=True)
    A("metadata-not-object", st('{"__metadata__":[],' + W + "}", W_DATA), "malformed", "__metadata__",
      "__metadata__ is an array")
    A("metadata-null", st('{"__metadata__":null,' + W + "}", W_DATA), "malformed", "__metadata__",
      "__metadata__ is null", reference_accepts=True)
    A("metadata-value-not-string", st('{"__metadata__":{"k":1},' + W + "}", W_DATA), "malformed", "__metadata__.k",
      "metadata value is a number")
    A("metadata-value-object", st('{"__metadata__":{"k":{"a":"b"}},' + W + "}", W_DATA), "malformed",
      "__metadata__.k", "metadata value is an object")


# --- .born ---

def born_corpus():
    A = lambda *a, **k: add("born", *a, **k)
    f32 = lambda *v: np.array(v, dtype="<f4").tobytes()
    a_raw = f32(1, 2, 3, 4)          # a: f32 [2, 2], 16 bytes
    b_raw = np.array([7, 8, 9], dtype="<i4").tobytes()  # b: i32 [3], 12 bytes
    base = {"a": ("f32", [2, 2], a_raw), "b": ("i32", [3], b_raw)}
    HEADER, DATA = born_layout(base, {"k": "v"})  # a at 0..<16, b at 64..<76, D = 76
    VALID = born_file(HEADER, DATA)

    def ent(name, dtype, shape, offset, length):
        return {"name": name, "dtype": dtype, "shape": shape, "offset": offset, "length": length}

    def hdr(tensors, metadata=None):
        return jdump({"tensors": tensors, "metadata": {} if metadata is None else metadata})

    def one(dtype="f32", shape=(2, 2), offset=0, length=16, data=a_raw, name="a"):
        return born_file(hdr([ent(name, dtype, list(shape), offset, length)]), data)

    # Prefix and magic. ModelFile.read takes a file whose first 8 bytes are not the magic for
    # safetensors, whose reader then rejects the "header length" those bytes make.
    A("prefix-truncated", VALID[:40], "malformed", "prefix", "40 bytes: the 64-byte prefix is cut short")
    A("prefix-magic-only", VALID[:8], "malformed", "prefix", "just the 8-byte magic")
    A("bad-magic", b"\x88" + VALID[1:], "malformed", "header length",
      "magic's first byte 0x88 (read as safetensors, whose header length is then absurd)")
    A("magic-text-mode", VALID[:5] + VALID[6:], "malformed", "header length",
      "CR of the magic dropped, as a text-mode transfer would (read as safetensors)")
    A("magic-7-bit", b"\x09" + VALID[1:], "malformed", "header length",
      "magic's high bit stripped (read as safetensors)")
    A("magic-lowercase", b"\x89born" + VALID[5:], "malformed", "header length",
      "magic spelled \\x89born (read as safetensors)")
    v = bytearray(VALID); v[8:12] = struct.pack("<I", 0)
    A("version-0", v, "malformed", "version", "version 0")
    v = bytearray(VALID); v[8:12] = struct.pack("<I", 2)
    A("version-2", v, "malformed", "version", "version 2, from the future")
    v = bytearray(VALID); v[8:12] = struct.pack(">I", 1)
    A("version-big-endian", v, "malformed", "version", "version 1 written big-endian (16777216)")
    v = bytearray(VALID); v[12:16] = struct.pack("<I", 3)
    A("flags-unknown-bit", v, "malformed", "flags", "flag bit 1 set (only bit 0 is defined)")
    v = bytearray(VALID); v[12:16] = struct.pack("<I", 0x80000001)
    A("flags-high-bit", v, "malformed", "flags", "flag bit 31 set")

    # Header length.
    HL = "header length"
    A("header-length-huge", born_file(HEADER, DATA, H=200_000_000), "malformed", HL,
      "H = 200,000,000: past the end of the file and over the 100 MB limit")
    A("header-length-over-limit", born_file(HEADER, DATA, H=100_000_064), "malformed", HL,
      "H = 100,000,064, a multiple of 64 over the limit")
    A("header-length-negative", born_file(HEADER, DATA, H=0xFFFFFFFFFFFFFFF0), "malformed", HL,
      "H = 0xFFFFFFFFFFFFFFF0, negative as an i64")
    A("header-length-i64-min", born_file(HEADER, DATA, H=1 << 63), "malformed", HL,
      "H = 2^63, a multiple of 64 that is Int64.min as a signed value")
    A("header-length-overflow", born_file(HEADER, DATA, H=0xFFFFFFFFFFFFFFC0), "malformed", HL,
      "H = 2^64-64: 64 + H overflows a u64")
    A("header-length-zero", born_file(HEADER, DATA, H=0), "malformed", HL, "H = 0")
    odd = born_file(HEADER, DATA, pad_to=100)
    assert struct.unpack("<Q", odd[16:24])[0] % 64 != 0
    A("header-length-not-multiple-of-64", odd, "malformed", HL,
      f"header padded to {struct.unpack('<Q', odd[16:24])[0]} bytes, not a multiple of 64")
    hlen = len(HEADER) + (-len(HEADER) % 64)
    A("header-length-past-end", born_file(HEADER, DATA, H=hlen + align(len(DATA)) + 64, D=0), "malformed", HL,
      "H (a multiple of 64) runs past the end of the file")
    A("truncated-in-header", VALID[:64 + 50], "malformed", HL, "a valid file cut inside its header")

    # Data length.
    DL = "data length"
    A("data-length-file-longer", born_file(HEADER, DATA, trailing=bytes(64)), "malformed", DL,
      "64 bytes more in the file than 64 + H + D")
    A("truncated-data", reseal(VALID[:-5]), "malformed", DL,
      "a valid file cut 5 bytes short, D unchanged (checksum of the remaining bytes)")
    A("data-length-huge", born_file(HEADER, DATA, D=1 << 63), "malformed", DL, "D = 2^63")
    A("data-length-overflow", born_file(HEADER, DATA, D=0xFFFFFFFFFFFFFFC0), "malformed", DL,
      "D = 2^64-64: 64 + H + D overflows")
    A("data-length-zero", born_file(HEADER, DATA, D=0), "malformed", DL, "D = 0 though 76 data bytes follow")
    A("trailing-bytes", born_file(HEADER, DATA + bytes(64)), "malformed", DL,
      "D counts 64 zero bytes after the last tensor (the file size agrees)")

    # The header's JSON.
    A("json-unterminated-string", born_file(sub(HEADER, '"v"}}', '"v}}'), DATA), "malformed", "header",
      "a string that is never closed")
    A("json-bad-escape", born_file(sub(HEADER, '"v"', '"\\x41"'), DATA), "malformed", "header",
      "invalid escape \\x")
    A("json-trailing-comma", born_file(sub(HEADER, '"v"}', '"v",}'), DATA), "malformed", "header",
      "trailing comma in the metadata object")
    A("json-trailing-comma-array", born_file(sub(HEADER, "[2,2]", "[2,2,]"), DATA), "malformed", "header",
      "trailing comma in a shape")
    A("json-invalid-utf8", born_file(sub(HEADER, '"v"', '"v\udcff"').encode("utf-8", "surrogateescape"), DATA),
      "malformed", "header", "byte 0xFF in a metadata value")
    A("json-overlong-utf8", born_file(sub(HEADER, '"k"', '"\udcc1\udcbf"').encode("utf-8", "surrogateescape"),
                                      DATA), "malformed", "header", "overlong encoding C1 BF in a metadata key")
    A("json-control-char", born_file(sub(HEADER, '"name":"a"', '"name":"a\x01"'), DATA), "malformed", "header",
      "raw control character 0x01 in a tensor name")
    A("json-tab-in-string", born_file(sub(HEADER, '"v"', '"a\tb"'), DATA), "malformed", "header",
      "raw tab inside a string")
    A("json-lone-surrogate", born_file(sub(HEADER, '"v"', '"\\udc00"'), DATA), "malformed", "header",
      "\\udc00: a low surrogate on its own")
    A("json-nesting-100", born_file(sub(HEADER, '"metadata":{"k":"v"}', '"metadata":' + "[" * 100 + "]" * 100),
                                    DATA), "malformed", "header", "metadata nested 100 arrays deep (limit 32)")
    A("json-leading-zero", born_file(sub(HEADER, '"offset":64', '"offset":064'), DATA), "malformed", "header",
      "number with a leading zero (064)")
    A("json-number-exponent-sign-only", born_file(sub(HEADER, '"offset":64', '"offset":6e+'), DATA), "malformed",
      "header", "number 6e+ with no exponent digits")
    A("header-nul-padding", born_file(HEADER, DATA, pad=b"\0"), "malformed", "header",
      "header padded with NUL bytes instead of spaces")
    A("header-padding-not-whitespace", born_file(HEADER + "!", DATA), "malformed", "header",
      "a '!' after the JSON object, in the padding")
    A("header-not-object", born_file("[]", b""), "malformed", "header", "the header is a JSON array")
    A("header-blank", born_file(" " * 64, b""), "malformed", "header", "the header is all spaces: no JSON value")
    A("header-two-objects", born_file(HEADER + "{}", DATA), "malformed", "header",
      "a second JSON object after the header's")

    # Duplicates.
    dup = [ent("a", "f32", [2, 2], 0, 16), ent("a", "i32", [3], 64, 12)]
    A("duplicate-name", born_file(hdr(dup), DATA), "malformed", "tensor a",
      "two tensors named a (at 0 and 64; both entries are otherwise valid)")
    A("duplicate-key-in-entry", born_file(sub(HEADER, '"name":"b"', '"name":"b","name":"c"'), DATA), "malformed",
      "header", "name appears twice in one tensor entry")
    A("duplicate-top-level-key", born_file(sub(HEADER, '"metadata":{"k":"v"}', '"metadata":{},"metadata":{}'),
                                           DATA), "malformed", "header", "metadata appears twice")
    A("duplicate-metadata-key", born_file(sub(HEADER, '{"k":"v"}', '{"k":"v","k":"w"}'), DATA), "malformed",
      "header", "metadata key k appears twice")

    # Top level of the header.
    A("unknown-top-level-key", born_file(sub(HEADER, '"metadata":', '"extra":1,"metadata":'), DATA), "malformed",
      "header: extra", "unknown top-level key extra")
    A("tensors-missing", born_file('{"metadata":{}}', b""), "malformed", "tensors", "no tensors member")
    A("tensors-not-array", born_file('{"tensors":{},"metadata":{}}', b""), "malformed", "tensors",
      "tensors is an object")
    A("tensors-null", born_file('{"tensors":null,"metadata":{}}', b""), "malformed", "tensors", "tensors is null")
    A("metadata-not-object", born_file(sub(HEADER, '"metadata":{"k":"v"}', '"metadata":["k","v"]'), DATA),
      "malformed", "metadata", "metadata is an array")
    A("metadata-value-not-string", born_file(sub(HEADER, '{"k":"v"}', '{"k":true}'), DATA), "malformed",
      "metadata.k", "metadata value is a Boolean")

    # Tensor entries: types and missing members.
    A("entry-not-object", born_file('{"tensors":[5],"metadata":{}}', b""), "malformed", "tensor #0",
      "a tensor entry that is a number")
    A("entry-missing-offset-length", born_file('{"tensors":[{"name":"a","dtype":"f32","shape":[2,2]}],'
                                               '"metadata":{}}', a_raw), "malformed", "tensor a",
      "a tensor entry without offset and length")
    A("entry-missing-name", born_file('{"tensors":[{"dtype":"f32","shape":[2,2],"offset":0,"length":16}],'
                                      '"metadata":{}}', a_raw), "malformed", "tensor #0",
      "a tensor entry without a name")
    A("name-not-string", born_file(sub(HEADER, '"name":"a"', '"name":7'), DATA), "malformed", "tensor #0: name",
      "name is a number")
    A("name-empty", born_file(sub(HEADER, '"name":"a"', '"name":""'), DATA), "malformed", "tensor #0: name",
      "empty tensor name")
    A("unknown-entry-key", born_file(sub(HEADER, '"length":16', '"length":16,"stride":[2,1]'), DATA), "malformed",
      "tensor a: stride", "unknown member stride in a tensor entry")
    A("dtype-not-string", born_file(sub(HEADER, '"dtype":"f32"', '"dtype":["f32"]'), DATA), "malformed",
      "tensor a: dtype", "dtype is an array")
    A("unknown-dtype", born_file(sub(HEADER, '"dtype":"f32"', '"dtype":"f33"'), DATA), "unsupportedDType", "a",
      "dtype f33 does not exist")
    A("dtype-uppercase", born_file(sub(HEADER, '"dtype":"f32"', '"dtype":"F32"'), DATA), "unsupportedDType", "a",
      "dtype F32 (the safetensors spelling; .born dtypes are lower case)")
    A("dtype-i16", born_file(sub(HEADER, '"dtype":"i32","shape":[3]', '"dtype":"i16","shape":[6]'), DATA),
      "unsupportedDType", "b", "dtype i16, which Born does not have")

    # Shapes.
    A("shape-product-overflow", one(shape=[2**62, 8]), "malformed", "tensor a: shape",
      "shape [2^62, 8]: the element count overflows 64 bits")
    A("shape-bytes-overflow", one(dtype="f64", shape=[2**61]), "malformed", "tensor a: shape",
      "f64 [2^61]: the byte size 2^64 overflows")
    A("shape-negative-dimension", one(shape=[-1, 4]), "malformed", "tensor a: shape", "dimension -1")
    A("shape-dimension-beyond-u64", born_file(sub(HEADER, '"shape":[2,2]', '"shape":[18446744073709551616]'), DATA),
      "malformed", "tensor a: shape", "a dimension of 2^64")
    A("shape-rank-9", one(shape=[1] * 7 + [2, 2]), "malformed", "tensor a: shape", "rank 9 (at most 8)")
    A("shape-not-array", born_file(sub(HEADER, '"shape":[2,2]', '"shape":"2x2"'), DATA), "malformed",
      "tensor a: shape", "shape is a string")
    A("quantized-partial-block", one(dtype="q4_0", shape=[2, 33], length=36, data=bytes(36), name="q"),
      "malformed", "tensor q: shape", "q4_0 [2, 33]: the last dimension is not a multiple of the block size 32")
    A("quantized-k-partial-block", one(dtype="q4_K", shape=[128], length=72, data=bytes(72), name="q"),
      "malformed", "tensor q: shape", "q4_K [128]: less than one 256-value block")
    A("quantized-scalar", one(dtype="q8_0", shape=[], length=34, data=bytes(34), name="q"), "malformed",
      "tensor q: shape", "q8_0 scalar: a quantized tensor needs a last dimension")

    # Offsets and lengths.
    A("offset-not-integer", born_file(sub(HEADER, '"offset":64', '"offset":64.0'), DATA), "malformed",
      "tensor b: offset", "offset written as 64.0")
    A("offset-string", born_file(sub(HEADER, '"offset":64', '"offset":"64"'), DATA), "malformed",
      "tensor b: offset", "offset is a string")
    A("offset-negative", born_file(sub(HEADER, '"offset":64', '"offset":-64'), DATA), "malformed",
      "tensor b: offset", "offset -64")
    A("offset-beyond-i64", born_file(sub(HEADER, '"offset":64', '"offset":18446744073709551552'), DATA),
      "malformed", "tensor b: offset", "offset 2^64-64 (negative as an i64; fits no Int)")
    A("length-negative", born_file(sub(HEADER, '"length":12', '"length":-12'), DATA), "malformed",
      "tensor b: length", "length -12")
    A("length-mismatch", born_file(sub(HEADER, '"length":12', '"length":8'), DATA), "malformed",
      "tensor b: length", "i32 [3] needs 12 bytes, length is 8")
    A("quantized-length-mismatch", one(dtype="q8_0", shape=[32], length=32, data=bytes(32), name="q"),
      "malformed", "tensor q: length", "q8_0 [32] is one 34-byte block, length is 32")
    over = [ent("a", "f32", [32], 0, 128), ent("b", "i32", [3], 64, 12)]
    A("offset-overlap", born_file(hdr(over), bytes(128) + bytes(12)), "malformed", "tensor b: offset",
      "b at 64 overlaps a (0..<128)")
    gap = [ent("a", "f32", [2, 2], 0, 16), ent("b", "i32", [3], 128, 12)]
    A("offset-gap", born_file(hdr(gap), a_raw + bytes(112) + b_raw), "malformed", "tensor b: offset",
      "b at 128 leaves a gap: the next aligned offset after a is 64")
    unal = [ent("a", "f32", [2, 2], 0, 16), ent("b", "i32", [3], 16, 12)]
    A("offset-unaligned", born_file(hdr(unal), a_raw + b_raw), "malformed", "tensor b: offset",
      "b at 16, right after a, is not 64-byte aligned")
    rev = [ent("b", "i32", [3], 64, 12), ent("a", "f32", [2, 2], 0, 16)]
    A("offset-reversed", born_file(hdr(rev), DATA), "malformed", "tensor b: offset",
      "entries listed in reverse data order (the first, b, is at 64, not 0)")
    A("offset-first-nonzero", born_file(hdr([ent("a", "f32", [2, 2], 64, 16)]), bytes(64) + a_raw), "malformed",
      "tensor a: offset", "the only tensor starts at 64")
    huge = [ent("a", "f32", [2, 2], 0, 16), ent("b", "i32", [3], 2**62, 12)]
    A("offset-huge", born_file(hdr(huge), DATA), "malformed", "tensor b: offset", "b at offset 2^62")
    A("length-past-end", born_file(sub(HEADER, '"shape":[3],"offset":64,"length":12',
                                       '"shape":[16],"offset":64,"length":64'), DATA), "malformed",
      "tensor b: length", "b (64 bytes at 64) runs past the 76-byte data section, D agreeing with the file")
    past = [ent("a", "f32", [2, 2], 0, 16), ent("c", "f32", [0], 64, 0)]
    A("offset-past-end", born_file(hdr(past), a_raw), "malformed", "tensor c: length",
      "empty tensor c at aligned offset 64 beyond the 16-byte data section (D should be 64)")

    # Checksum.
    v = born_file(HEADER, DATA, flags=0)
    A("checksum-without-flag", v, "malformed", "checksum",
      "flag bit 0 clear but the checksum field holds a digest (it must then be zero)")
    v = bytearray(VALID); v[-1] ^= 0x01
    A("checksum-data-byte-flipped", v, "checksumMismatch", "", "the last data byte flipped, checksum kept")
    assert VALID[64 + hlen - 1] == 0x20
    v = bytearray(VALID); v[64 + hlen - 1] = 0x0A
    A("checksum-header-padding-changed", v, "checksumMismatch", "",
      "the header's last padding byte changed from a space to a line feed (still JSON whitespace), checksum kept")
    v = bytearray(VALID); v[64 + hlen + 40] = 0xFF
    A("checksum-alignment-padding-changed", v, "checksumMismatch", "",
      "a zero padding byte between a and b set to 0xFF, checksum kept")
    v = bytearray(VALID); i = v.index(b'"k":"v"', 64); v[i + 5] = ord("w")
    A("checksum-metadata-changed", v, "checksumMismatch", "", "metadata value v changed to w, checksum kept")
    v = bytearray(VALID); v[40] ^= 0x80
    A("checksum-recorded-bit-flipped", v, "checksumMismatch", "", "one bit of the recorded digest flipped")
    v = bytearray(VALID); v[32:64] = bytes(32)
    A("checksum-zero-with-flag", v, "checksumMismatch", "", "flag bit 0 set but the digest is all zeros")


def check_against_reference():
    """Every malformed safetensors file must be refused by the reference library, unless marked
    as one it accepts (where Born is stricter)."""
    ok = True
    for rel in sorted(MANIFEST):
        if not rel.startswith("safetensors/"):
            continue
        path = os.path.join(HERE, "malformed", rel)
        try:
            with safe_open(path, framework="numpy") as f:
                for k in f.keys():
                    f.get_tensor(k)
            accepted = True
        except Exception:  # noqa: BLE001 (any refusal counts)
            accepted = False
        if accepted != (rel in REFERENCE_ACCEPTS):
            ok = False
            print(f"warning: {rel}: the reference library {'accepts' if accepted else 'rejects'} it, "
                  f"the manifest says otherwise", file=sys.stderr)
    return ok


def main():
    for sub_dir in ("malformed/born", "malformed/safetensors"):
        d = os.path.join(HERE, sub_dir)
        if os.path.isdir(d):
            for name in os.listdir(d):
                os.remove(os.path.join(d, name))
    python_files()
    valid_files()
    safetensors_corpus()
    born_corpus()
    write_json("malformed/manifest.json", MANIFEST)
    agree = check_against_reference()
    print(f"python/: 3 files; valid/: small.born, small.safetensors; malformed/: "
          f"{COUNTERS['safetensors']} safetensors, {COUNTERS['born']} born "
          f"({len(REFERENCE_ACCEPTS)} safetensors files the reference library accepts)")
    if not agree:
        sys.exit(1)


if __name__ == "__main__":
    main()

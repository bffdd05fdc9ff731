# ctypes binding of the vmath kernels built by the Makefile (build/libvm_O*.so).
import ctypes
import os

import numpy as np

FUNCS = ["exp", "log", "log1p", "expm1", "tanh", "sigmoid", "sin", "cos", "gelu", "gelu_tanh",
         "silu", "softplus", "erf"]
ISAS = {"generic": 0, "avx2": 1, "avx512": 2}

_f32p = np.ctypeslib.ndpointer(np.float32, flags="C_CONTIGUOUS")
_u16p = np.ctypeslib.ndpointer(np.uint16, flags="C_CONTIGUOUS")


class VMath:
  def __init__(self, path):
    lib = ctypes.CDLL(os.path.abspath(path))
    self.lib = lib
    lib.born_isa_set.argtypes = [ctypes.c_int]
    lib.born_isa_supported.argtypes = [ctypes.c_int]
    lib.born_vmath_f32.argtypes = [ctypes.c_int, _f32p, _f32p, ctypes.c_long]
    lib.born_vmath_f32.restype = None
    for name in ("born_sum_f32", "born_max_f32"):
      getattr(lib, name).argtypes = [_f32p, ctypes.c_long]
      getattr(lib, name).restype = ctypes.c_float
    lib.born_softmax_rows_f32.argtypes = [_f32p, _f32p, ctypes.c_long, ctypes.c_long, ctypes.c_int]
    lib.born_softmax_rows_f32.restype = None
    lib.born_f32_to_f16.argtypes = [_f32p, _u16p, ctypes.c_long]
    lib.born_f32_to_bf16.argtypes = [_f32p, _u16p, ctypes.c_long]
    lib.born_f16_to_f32.argtypes = [_u16p, _f32p, ctypes.c_long]
    lib.born_bf16_to_f32.argtypes = [_u16p, _f32p, ctypes.c_long]
    for name in ("born_f32_to_f16", "born_f32_to_bf16", "born_f16_to_f32", "born_bf16_to_f32"):
      getattr(lib, name).restype = None

  def isas(self):
    return [n for n, v in ISAS.items() if self.lib.born_isa_supported(v)]

  def use(self, isa):
    assert self.lib.born_isa_set(ISAS[isa]) == 1, isa

  def vmath(self, f, x, out=None):
    x = np.ascontiguousarray(x, dtype=np.float32)
    y = np.empty_like(x) if out is None else out
    self.lib.born_vmath_f32(FUNCS.index(f), x, y, x.size)
    return y

  def sum(self, x):
    return self.lib.born_sum_f32(x, x.size)

  def max(self, x):
    return self.lib.born_max_f32(x, x.size)

  def softmax(self, x, log=False, out=None):
    y = np.empty_like(x) if out is None else out
    self.lib.born_softmax_rows_f32(x, y, x.shape[0], x.shape[1], int(log))
    return y

  def f32_to_f16(self, x):
    y = np.empty(x.shape, np.uint16)
    self.lib.born_f32_to_f16(x, y, x.size)
    return y

  def f32_to_bf16(self, x):
    y = np.empty(x.shape, np.uint16)
    self.lib.born_f32_to_bf16(x, y, x.size)
    return y

  def f16_to_f32(self, h):
    y = np.empty(h.shape, np.float32)
    self.lib.born_f16_to_f32(h, y, h.size)
    return y

  def bf16_to_f32(self, h):
    y = np.empty(h.shape, np.float32)
    self.lib.born_bf16_to_f32(h, y, h.size)
    return y

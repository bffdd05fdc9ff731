// Vector math: the generic C variant and the run-time dispatch to the AVX2 / AVX-512 variants.
//
// The generic variant evaluates each element in double with the C library and rounds once, so it
// is nearly correctly rounded and serves as the reference for the vector variants. Those are
// written once, in vmath_internal.h, over a few vector primitives that each ISA file defines:
// - exp: x = k ln2 + r with ln2 a float pair (the first product is exact in the fma), e^r as a
//   degree-6 polynomial, then 2^k by scalef (AVX-512) or two power-of-two factors (AVX2), so that
//   subnormal results round once. expm1, tanh = t / (t + 2) with t = expm1(2|x|), sigmoid, silu,
//   softplus and gelu_tanh reuse the reduction; gelu_tanh carries its argument as a float pair.
// - log, log1p: 2^e m with m in [sqrt(1/2), sqrt(2)) by integer arithmetic, log1p(m - 1) as a
//   degree-10 polynomial; log1p folds the rounding error of 1 + x back into m - 1.
// - sin, cos: k = round(x 2/pi), then x - k pi/2 and both polynomials in double, so the result
//   rounds once; |x| > 2^20, inf and NaN go to sinf/cosf.
// - erf: degree-7 polynomials on eight intervals of [0, 4), picked per lane by a permute.
// - gelu: x Phi(x) with Phi(-|x|) = e^(-x^2/2) h(|x|), h tabulated in the same way (in 1/|x|
//   beyond 5.25), x^2 as a float pair.
// Coefficients come from Benchmarks/vmath-c/fit_poly.py (minimax fits with float32 coefficients);
// test_vmath.py and exhaustive.c there measure the errors (README.md there: at most 3 ulps).
#include "born_isa.h"
#include "vmath_internal.h"

#include <math.h>
#include <string.h>

static float g_exp(float x) { return (float)exp(x); }
static float g_log(float x) { return (float)log(x); }
static float g_log1p(float x) { return (float)log1p(x); }
static float g_expm1(float x) { return (float)expm1(x); }
static float g_tanh(float x) { return (float)tanh(x); }
static float g_sin(float x) { return (float)sin(x); }
static float g_cos(float x) { return (float)cos(x); }
static float g_erf(float x) { return (float)erf(x); }

static float g_sigmoid(float x) {
  double d = x;
  return (float)(d >= 0 ? 1 / (1 + exp(-d)) : exp(d) / (1 + exp(d)));
}

// x sigmoid(v) for the activations of the form x times a CDF; the limit at -inf is -0.
static float g_x_sigmoid(float x, double v) {
  if (x == -INFINITY) return -0.0f;
  return (float)(v >= 0 ? x / (1 + exp(-v)) : x * exp(v) / (1 + exp(v)));
}

static float g_silu(float x) { return g_x_sigmoid(x, x); }

static float g_gelu_tanh(float x) {
  double d = x;
  return g_x_sigmoid(x, 2 * 0.7978845608028654 * (d + 0.044715 * d * d * d));
}

static float g_gelu(float x) {
  if (x == -INFINITY) return -0.0f;
  double d = x;
  return (float)(0.5 * d * erfc(-d * 0.7071067811865476));
}

static float g_softplus(float x) {
  double d = x;
  return (float)(d > 0 ? d + log1p(exp(-d)) : log1p(exp(d)));
}

#define G_MAP(FN)                                      \
  do {                                                 \
    for (long i_ = 0; i_ < n; i_++) y[i_] = FN(x[i_]); \
  } while (0)

static void vmath_generic(born_vfunc f, const float *x, float *y, long n) {
  switch (f) {
  case BORN_VEXP: G_MAP(g_exp); break;
  case BORN_VLOG: G_MAP(g_log); break;
  case BORN_VLOG1P: G_MAP(g_log1p); break;
  case BORN_VEXPM1: G_MAP(g_expm1); break;
  case BORN_VTANH: G_MAP(g_tanh); break;
  case BORN_VSIGMOID: G_MAP(g_sigmoid); break;
  case BORN_VSIN: G_MAP(g_sin); break;
  case BORN_VCOS: G_MAP(g_cos); break;
  case BORN_VGELU: G_MAP(g_gelu); break;
  case BORN_VGELU_TANH: G_MAP(g_gelu_tanh); break;
  case BORN_VSILU: G_MAP(g_silu); break;
  case BORN_VSOFTPLUS: G_MAP(g_softplus); break;
  case BORN_VERF: G_MAP(g_erf); break;
  }
}

// Sum in blocks of 512 by 8 interleaved accumulators, block sums combined pairwise (binary
// counter, as in the vector variants).
static float sum_generic(const float *x, long n) {
  float stack[64];
  int depth = 0;
  long count = 0, i = 0;
  for (; i + 512 <= n; i += 512) {
    float a[8];
    for (int j = 0; j < 8; j++) a[j] = x[i + j];
    for (long k = i + 8; k < i + 512; k += 8)
      for (int j = 0; j < 8; j++) a[j] += x[k + j];
    float b = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    for (long t = ++count; (t & 1) == 0; t >>= 1) b = stack[--depth] + b;
    stack[depth++] = b;
  }
  float a[8] = {0};
  for (; i < n; i++) a[i & 7] += x[i];
  float b = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
  while (depth > 0) b = stack[--depth] + b;
  return b;
}

static float max_generic(const float *x, long n) {
  float m = -INFINITY;
  for (long i = 0; i < n; i++) {
    if (x[i] != x[i]) return x[i] + 0.0f;
    if (x[i] > m) m = x[i];
  }
  return m;
}

static void softmax_generic(const float *x, float *y, long rows, long cols, int log_) {
  for (long r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    float *yr = y + r * cols;
    double mx = max_generic(xr, cols), sum = 0;
    if (log_) {
      for (long i = 0; i < cols; i++) sum += exp(xr[i] - mx);
      double l = log(sum);
      for (long i = 0; i < cols; i++) yr[i] = (float)((xr[i] - mx) - l);
    } else {
      for (long i = 0; i < cols; i++) {
        double e = exp(xr[i] - mx);
        sum += e;
        yr[i] = (float)e;
      }
      for (long i = 0; i < cols; i++) yr[i] = (float)(yr[i] / sum);
    }
  }
}

static uint32_t f32_bits(float x) {
  uint32_t b;
  memcpy(&b, &x, sizeof b);
  return b;
}

static float bits_f32(uint32_t b) {
  float x;
  memcpy(&x, &b, sizeof x);
  return x;
}

static uint16_t f32_to_f16_1(float x) {
  uint32_t b = f32_bits(x), a = b & 0x7fffffffu;
  uint16_t sign = (uint16_t)((b >> 16) & 0x8000u);
  if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x03ffu));
  // 65520 = 0x477ff000 is halfway between 65504 (odd mantissa) and 2^16: ties go to infinity.
  if (a >= 0x477ff000u) return sign | 0x7c00u;
  if (a >= 0x38800000u) {
    // Normal half: round the mantissa at bit 13 to nearest even, carries go into the exponent.
    uint32_t r = a + 0x0fffu + ((a >> 13) & 1u);
    return (uint16_t)(sign | ((r - 0x38000000u) >> 13));
  }
  // Subnormal half: a multiple of 2^-24 below 2^-14, so |x| 2^24 (exact) rounded to an integer
  // in the default round-to-nearest-even mode is the result, 1024 carrying into the exponent.
  return (uint16_t)(sign | (uint16_t)nearbyintf(bits_f32(a) * 0x1p24f));
}

static float f16_to_f32_1(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0x1f) return bits_f32(sign | 0x7f800000u | (m ? 0x00400000u | (m << 13) : 0));
  if (e == 0) return bits_f32(sign | f32_bits((float)m * 0x1p-24f));
  return bits_f32(sign | ((e + 112) << 23) | (m << 13));
}

static uint16_t f32_to_bf16_1(float x) {
  uint32_t b = f32_bits(x);
  if ((b & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((b >> 16) | 0x0040u);
  return (uint16_t)((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}

static float bf16_to_f32_1(uint16_t h) {
  uint32_t b = (uint32_t)h << 16;
  if ((b & 0x7fffffffu) > 0x7f800000u) b |= 0x00400000u;
  return bits_f32(b);
}

void born_vmath_f32(born_vfunc f, const float *x, float *y, long n) {
  if (n <= 0) return;
  switch (born_isa_active()) {
#ifdef BORN_VM_X86
  case BORN_ISA_AVX512: born_vmath_f32_avx512(f, x, y, n); return;
  case BORN_ISA_AVX2: born_vmath_f32_avx2(f, x, y, n); return;
#endif
  default: vmath_generic(f, x, y, n);
  }
}

float born_sum_f32(const float *x, long n) {
  if (n <= 0) return 0.0f;
  switch (born_isa_active()) {
#ifdef BORN_VM_X86
  case BORN_ISA_AVX512: return born_sum_f32_avx512(x, n);
  case BORN_ISA_AVX2: return born_sum_f32_avx2(x, n);
#endif
  default: return sum_generic(x, n);
  }
}

float born_max_f32(const float *x, long n) {
  if (n <= 0) return -INFINITY;
  switch (born_isa_active()) {
#ifdef BORN_VM_X86
  case BORN_ISA_AVX512: return born_max_f32_avx512(x, n);
  case BORN_ISA_AVX2: return born_max_f32_avx2(x, n);
#endif
  default: return max_generic(x, n);
  }
}

void born_softmax_rows_f32(const float *x, float *y, long rows, long cols, int log) {
  if (rows <= 0 || cols <= 0) return;
  switch (born_isa_active()) {
#ifdef BORN_VM_X86
  case BORN_ISA_AVX512: born_softmax_rows_f32_avx512(x, y, rows, cols, log); return;
  case BORN_ISA_AVX2: born_softmax_rows_f32_avx2(x, y, rows, cols, log); return;
#endif
  default: softmax_generic(x, y, rows, cols, log);
  }
}

void born_f32_to_f16(const float *x, uint16_t *y, long n) {
  if (n <= 0) return;
  switch (born_isa_active()) {
#ifdef BORN_VM_X86
  case BORN_ISA_AVX512: born_f32_to_f16_avx512(x, y, n); return;
  case BORN_ISA_AVX2: born_f32_to_f16_avx2(x, y, n); return;
#endif
  default:
    for (long i = 0; i < n; i++) y[i] = f32_to_f16_1(x[i]);
  }
}

void born_f16_to_f32(const uint16_t *x, float *y, long n) {
  if (n <= 0) return;
  switch (born_isa_active()) {
#ifdef BORN_VM_X86
  case BORN_ISA_AVX512: born_f16_to_f32_avx512(x, y, n); return;
  case BORN_ISA_AVX2: born_f16_to_f32_avx2(x, y, n); return;
#endif
  default:
    for (long i = 0; i < n; i++) y[i] = f16_to_f32_1(x[i]);
  }
}

void born_f32_to_bf16(const float *x, uint16_t *y, long n) {
  if (n <= 0) return;
  switch (born_isa_active()) {
#ifdef BORN_VM_X86
  case BORN_ISA_AVX512: born_f32_to_bf16_avx512(x, y, n); return;
  case BORN_ISA_AVX2: born_f32_to_bf16_avx2(x, y, n); return;
#endif
  default:
    for (long i = 0; i < n; i++) y[i] = f32_to_bf16_1(x[i]);
  }
}

void born_bf16_to_f32(const uint16_t *x, float *y, long n) {
  if (n <= 0) return;
  switch (born_isa_active()) {
#ifdef BORN_VM_X86
  case BORN_ISA_AVX512: born_bf16_to_f32_avx512(x, y, n); return;
  case BORN_ISA_AVX2: born_bf16_to_f32_avx2(x, y, n); return;
#endif
  default:
    for (long i = 0; i < n; i++) y[i] = bf16_to_f32_1(x[i]);
  }
}

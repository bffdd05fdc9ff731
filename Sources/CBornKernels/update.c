// Memory-bound loops written with clang vector types: __builtin_elementwise_sqrt has no errno
// side effect, so these vectorize at the baseline ISA without -fno-math-errno.
#include "born_update.h"
#include "born_isa.h"

typedef float v8f __attribute__((ext_vector_type(4)));

static inline __attribute__((always_inline)) v8f load8(const float *p) {
  v8f v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

static inline __attribute__((always_inline)) void store8(float *p, v8f v) { __builtin_memcpy(p, &v, sizeof v); }

void born_vsqrt_f32(const float *x, float *y, long n) {
  long i = 0;
  for (; i + 4 <= n; i += 4) store8(y + i, __builtin_elementwise_sqrt(load8(x + i)));
  for (; i < n; i++) y[i] = __builtin_sqrtf(x[i]);
}

void born_vrsqrt_f32(const float *x, float *y, long n) {
  long i = 0;
  for (; i + 4 <= n; i += 4) store8(y + i, 1.0f / __builtin_elementwise_sqrt(load8(x + i)));
  for (; i < n; i++) y[i] = 1.0f / __builtin_sqrtf(x[i]);
}

// Adam over n elements with vectors of VT (W lanes); the tail runs one element at a time.
#define BORN_ADAM_LOOP(VT, W)                                                                     \
  const float a1 = 1.0f - beta1, a2 = 1.0f - beta2;                                               \
  long i = 0;                                                                                     \
  for (; i + W <= n; i += W) {                                                                    \
    VT param, grad, mi, vi, mx;                                                                   \
    __builtin_memcpy(&param, p + i, sizeof param);                                                \
    __builtin_memcpy(&grad, g + i, sizeof grad);                                                  \
    __builtin_memcpy(&mi, m + i, sizeof mi);                                                      \
    __builtin_memcpy(&vi, v + i, sizeof vi);                                                      \
    param = param * shrink;                                                                       \
    grad = grad + param * wd;                                                                     \
    mi = mi * beta1 + grad * a1;                                                                  \
    vi = vi * beta2 + grad * grad * a2;                                                           \
    __builtin_memcpy(m + i, &mi, sizeof mi);                                                      \
    __builtin_memcpy(v + i, &vi, sizeof vi);                                                      \
    if (vmax) {                                                                                   \
      __builtin_memcpy(&mx, vmax + i, sizeof mx);                                                 \
      vi = __builtin_elementwise_max(mx, vi);                                                     \
      __builtin_memcpy(vmax + i, &vi, sizeof vi);                                                 \
    }                                                                                             \
    VT r = param - (mi / (__builtin_elementwise_sqrt(vi) * inv_bc2_root + eps)) * step_size;     \
    __builtin_memcpy(out + i, &r, sizeof r);                                                      \
  }                                                                                               \
  for (; i < n; i++) {                                                                            \
    float param = p[i] * shrink;                                                                  \
    float grad = g[i] + param * wd;                                                               \
    float mi = m[i] * beta1 + grad * a1;                                                          \
    float vi = v[i] * beta2 + grad * grad * a2;                                                   \
    m[i] = mi;                                                                                    \
    v[i] = vi;                                                                                    \
    if (vmax) {                                                                                   \
      vi = vmax[i] > vi ? vmax[i] : vi;                                                           \
      vmax[i] = vi;                                                                               \
    }                                                                                             \
    out[i] = param - (mi / (__builtin_sqrtf(vi) * inv_bc2_root + eps)) * step_size;              \
  }

#define BORN_ADAM_PARAMS                                                                          \
  const float *p, const float *g, float *m, float *v, float *vmax, float *out, long n, float beta1, \
      float beta2, float shrink, float wd, float step_size, float inv_bc2_root, float eps

static void adam_generic(BORN_ADAM_PARAMS) { BORN_ADAM_LOOP(v8f, 4) }

#if defined(__x86_64__) || defined(_M_X64)
// Wider variants: sqrt and division dominate, so lanes matter. FMA contraction is off so every
// variant rounds exactly like the generic one (and like PyTorch's unfused arithmetic).
#pragma clang fp contract(off)
typedef float v8x __attribute__((ext_vector_type(8)));
typedef float v16x __attribute__((ext_vector_type(16)));
__attribute__((target("avx2,fma"))) static void adam_avx2(BORN_ADAM_PARAMS) { BORN_ADAM_LOOP(v8x, 8) }
__attribute__((target("avx512f"))) static void adam_avx512(BORN_ADAM_PARAMS) { BORN_ADAM_LOOP(v16x, 16) }
#endif

void born_adam_f32(BORN_ADAM_PARAMS) {
  switch (born_isa_active()) {
#if defined(__x86_64__) || defined(_M_X64)
  case BORN_ISA_AVX512: adam_avx512(p, g, m, v, vmax, out, n, beta1, beta2, shrink, wd, step_size, inv_bc2_root, eps); return;
  case BORN_ISA_AVX2: adam_avx2(p, g, m, v, vmax, out, n, beta1, beta2, shrink, wd, step_size, inv_bc2_root, eps); return;
#endif
  default: adam_generic(p, g, m, v, vmax, out, n, beta1, beta2, shrink, wd, step_size, inv_bc2_root, eps);
  }
}

// C[i][j] += Σₖ A[i][k]·B[j][k] for row-major A (m×k) and B (n×k): dot products of rows, for
// products with few outputs and a long reduction (convolution weight gradients), where packing
// for the GEMM kernel costs more than the arithmetic. Blocks of 2 rows of A × 4 rows of B keep
// 8 vector accumulators; each output's sum is reduced at the end, so the result does not depend
// on how outputs are blocked.
#define BORN_DOTROWS_BODY(VT, W)                                                                  \
  for (long i = 0; i < m; i += 2) {                                                               \
    const long ia = i, ib = i + 1 < m ? i + 1 : i;                                                \
    for (long j = 0; j < n; j += 4) {                                                             \
      long jj[4];                                                                                 \
      for (int q = 0; q < 4; q++) jj[q] = j + q < n ? j + q : j;                                  \
      VT acc[2][4];                                                                               \
      for (int r = 0; r < 2; r++)                                                                 \
        for (int q = 0; q < 4; q++) acc[r][q] = (VT)0;                                            \
      long kk = 0;                                                                                \
      for (; kk + W <= k; kk += W) {                                                              \
        VT a0, a1, b[4];                                                                          \
        __builtin_memcpy(&a0, a + ia * lda + kk, sizeof a0);                                      \
        __builtin_memcpy(&a1, a + ib * lda + kk, sizeof a1);                                      \
        for (int q = 0; q < 4; q++) __builtin_memcpy(&b[q], bm + jj[q] * ldb + kk, sizeof b[q]); \
        for (int q = 0; q < 4; q++) {                                                             \
          acc[0][q] += a0 * b[q];                                                                 \
          acc[1][q] += a1 * b[q];                                                                 \
        }                                                                                         \
      }                                                                                           \
      for (int r = 0; r < 2; r++) {                                                               \
        const long row = r == 0 ? ia : ib;                                                        \
        if (r == 1 && ib == ia) break;                                                            \
        for (int q = 0; q < 4; q++) {                                                             \
          if (j + q >= n) break;                                                                  \
          float s = 0;                                                                            \
          for (int l = 0; l < W; l++) s += acc[r][q][l];                                          \
          for (long t = kk; t < k; t++) s += a[row * lda + t] * bm[jj[q] * ldb + t];              \
          c[row * ldc + jj[q]] += s;                                                              \
        }                                                                                         \
      }                                                                                           \
    }                                                                                             \
  }

#define BORN_DOTROWS_PARAMS                                                                       \
  long m, long n, long k, const float *a, long lda, const float *bm, long ldb, float *c, long ldc

static void dotrows_generic(BORN_DOTROWS_PARAMS) { BORN_DOTROWS_BODY(v8f, 4) }

#if defined(__x86_64__) || defined(_M_X64)
__attribute__((target("avx2,fma"))) static void dotrows_avx2(BORN_DOTROWS_PARAMS) { BORN_DOTROWS_BODY(v8x, 8) }
__attribute__((target("avx512f"))) static void dotrows_avx512(BORN_DOTROWS_PARAMS) { BORN_DOTROWS_BODY(v16x, 16) }
#endif

void born_dot_rows_f32(BORN_DOTROWS_PARAMS) {
  if (m <= 0 || n <= 0) return;
  switch (born_isa_active()) {
#if defined(__x86_64__) || defined(_M_X64)
  case BORN_ISA_AVX512: dotrows_avx512(m, n, k, a, lda, bm, ldb, c, ldc); return;
  case BORN_ISA_AVX2: dotrows_avx2(m, n, k, a, lda, bm, ldb, c, ldc); return;
#endif
  default: dotrows_generic(m, n, k, a, lda, bm, ldb, c, ldc);
  }
}

// AVX2+FMA GEMM kernels: 6×16 f32 and 6×8 f64 register tiles (12 ymm accumulators plus two
// B vectors and a broadcast fill the 16 registers), partial tiles through a local tile.
#include "gemm_internal.h"

#ifdef BORN_GEMM_X86
#include <immintrin.h>
#include <stdint.h>

#define T256 __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline))

// Lane masks for maskload/maskstore: the 8 entries from kMask + 8 - n enable the first n lanes.
static const int32_t kMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

// MARK: - f32

#define S_MR 6

// The k loops name every accumulator instead of indexing arrays: -O2 then needs no unrolling
// to keep them in registers, and -O0 (debug builds) runs several times faster.
#define ROWS6(R) R(0) R(1) R(2) R(3) R(4) R(5)
#define S_DECL2(i) __m256 c##i##0 = _mm256_setzero_ps(), c##i##1 = c##i##0;
#define S_DECL1(i) __m256 c##i##0 = _mm256_setzero_ps();
#define S_ROW2(i)                                                                              \
  {                                                                                            \
    const __m256 t = _mm256_broadcast_ss(a + (i) * rsa);                                       \
    c##i##0 = _mm256_fmadd_ps(t, b0, c##i##0);                                                 \
    c##i##1 = _mm256_fmadd_ps(t, b1, c##i##1);                                                 \
  }
#define S_ROW1(i) c##i##0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + (i) * rsa), b0, c##i##0);
#define OUT2(i) acc[i][0] = c##i##0, acc[i][1] = c##i##1;
#define OUT1(i) acc[i][0] = c##i##0;

INLINE T256 void s_loop2(long k, const float *a, long rsa, long csa, const float *b, long ldb,
                         __m256 acc[S_MR][2]) {
  ROWS6(S_DECL2)
  for (long p = 0; p < k; ++p, a += csa, b += ldb) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    ROWS6(S_ROW2)
  }
  ROWS6(OUT2)
}

INLINE T256 void s_loop1(long k, const float *a, long rsa, long csa, const float *b, long ldb,
                         __m256 acc[S_MR][2]) {
  ROWS6(S_DECL1)
  for (long p = 0; p < k; ++p, a += csa, b += ldb) {
    const __m256 b0 = _mm256_loadu_ps(b);
    ROWS6(S_ROW1)
  }
  ROWS6(OUT1)
}

// A 6×8V tile (V = 2, or 1 for the narrow kernel), stored with lane masks when partial.
INLINE T256 void s_tile(long k, const float *a, long rsa, long csa, const float *b, long ldb,
                        float *c, long ldc, long mr, long nr, int accumulate, const int V) {
  for (int i = 0; i < S_MR; ++i) {
    _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch((const char *)(c + i * ldc + 8 * V - 1), _MM_HINT_T0);
  }
  __m256 acc[S_MR][2];
  if (V == 2)
    s_loop2(k, a, rsa, csa, b, ldb, acc);
  else
    s_loop1(k, a, rsa, csa, b, ldb, acc);
  if (mr == S_MR && nr == 8 * V) {
    for (int i = 0; i < S_MR; ++i)
      for (int v = 0; v < V; ++v) {
        float *ci = c + i * ldc + 8 * v;
        __m256 r = acc[i][v];
        if (accumulate) r = _mm256_add_ps(r, _mm256_loadu_ps(ci));
        _mm256_storeu_ps(ci, r);
      }
    return;
  }
  __m256i mk[2];
  for (int v = 0; v < V; ++v) {
    long lanes = nr - 8 * v;
    lanes = lanes < 0 ? 0 : lanes > 8 ? 8 : lanes;
    mk[v] = _mm256_loadu_si256((const __m256i *)(kMask + 8 - lanes));
  }
  for (int i = 0; i < S_MR; ++i) {
    if (i >= mr) break;
    for (int v = 0; v < V; ++v) {
      float *ci = c + i * ldc + 8 * v;
      __m256 r = acc[i][v];
      if (accumulate) r = _mm256_add_ps(r, _mm256_maskload_ps(ci, mk[v]));
      _mm256_maskstore_ps(ci, mk[v], r);
    }
  }
}

T256 static void s_ukr(long k, const void *a, long rsa, long csa, const void *b, long ldb,
                       void *c, long ldc, long mr, long nr, int accumulate) {
  if (rsa == 1)
    s_tile(k, a, 1, csa, b, ldb, c, ldc, mr, nr, accumulate, 2);
  else
    s_tile(k, a, rsa, 1, b, ldb, c, ldc, mr, nr, accumulate, 2);
}

T256 static void s_ukr_narrow(long k, const void *a, long rsa, long csa, const void *b,
                              long ldb, void *c, long ldc, long mr, long nr, int accumulate) {
  if (rsa == 1)
    s_tile(k, a, 1, csa, b, ldb, c, ldc, mr, nr, accumulate, 1);
  else
    s_tile(k, a, rsa, 1, b, ldb, c, ldc, mr, nr, accumulate, 1);
}

T256 static void s_gemv_n(long k, long n, const void *xv, const void *mv, long ldm, void *yv,
                          int accumulate) {
  const float *x = xv, *mat = mv;
  float *y = yv;
  const long nv = n - n % 8;
  if (!accumulate)
    for (long j = 0; j < n; ++j) y[j] = 0;
  long p = 0;
  for (; p + 4 <= k; p += 4) {
    const float *m0 = mat + p * ldm, *m1 = m0 + ldm, *m2 = m1 + ldm, *m3 = m2 + ldm;
    const float xs0 = x[p], xs1 = x[p + 1], xs2 = x[p + 2], xs3 = x[p + 3];
    const __m256 x0 = _mm256_set1_ps(xs0), x1 = _mm256_set1_ps(xs1);
    const __m256 x2 = _mm256_set1_ps(xs2), x3 = _mm256_set1_ps(xs3);
    long j = 0;
    for (; j < nv; j += 8) {
      __m256 s0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(m0 + j), _mm256_loadu_ps(y + j));
      __m256 s1 = _mm256_mul_ps(x1, _mm256_loadu_ps(m1 + j));
      s0 = _mm256_fmadd_ps(x2, _mm256_loadu_ps(m2 + j), s0);
      s1 = _mm256_fmadd_ps(x3, _mm256_loadu_ps(m3 + j), s1);
      _mm256_storeu_ps(y + j, _mm256_add_ps(s0, s1));
    }
    for (; j < n; ++j) y[j] += (xs0 * m0[j] + xs1 * m1[j]) + (xs2 * m2[j] + xs3 * m3[j]);
  }
  for (; p < k; ++p) {
    const float *m0 = mat + p * ldm;
    const float xs0 = x[p];
    const __m256 x0 = _mm256_set1_ps(xs0);
    long j = 0;
    for (; j < nv; j += 8)
      _mm256_storeu_ps(y + j,
                       _mm256_fmadd_ps(x0, _mm256_loadu_ps(m0 + j), _mm256_loadu_ps(y + j)));
    for (; j < n; ++j) y[j] += xs0 * m0[j];
  }
}

INLINE T256 float s_hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

T256 static void s_gemv_t(long k, long n, const void *xv, const void *mv, long ldm, void *yv,
                          int accumulate) {
  const float *x = xv, *mat = mv;
  float *y = yv;
  const long kv = k - k % 8;
  long j = 0;
  for (; j + 4 <= n; j += 4) {
    const float *c0 = mat + j * ldm, *c1 = c0 + ldm, *c2 = c1 + ldm, *c3 = c2 + ldm;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (long p = 0; p < kv; p += 8) {
      const __m256 xp = _mm256_loadu_ps(x + p);
      s0 = _mm256_fmadd_ps(xp, _mm256_loadu_ps(c0 + p), s0);
      s1 = _mm256_fmadd_ps(xp, _mm256_loadu_ps(c1 + p), s1);
      s2 = _mm256_fmadd_ps(xp, _mm256_loadu_ps(c2 + p), s2);
      s3 = _mm256_fmadd_ps(xp, _mm256_loadu_ps(c3 + p), s3);
    }
    float r[4] = {s_hsum(s0), s_hsum(s1), s_hsum(s2), s_hsum(s3)};
    for (long p = kv; p < k; ++p) {
      r[0] += x[p] * c0[p];
      r[1] += x[p] * c1[p];
      r[2] += x[p] * c2[p];
      r[3] += x[p] * c3[p];
    }
    for (int q = 0; q < 4; ++q) y[j + q] = accumulate ? y[j + q] + r[q] : r[q];
  }
  for (; j < n; ++j) {
    const float *c0 = mat + j * ldm;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0;
    long p = 0;
    for (; p + 16 <= kv; p += 16) {
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p), _mm256_loadu_ps(c0 + p), s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p + 8), _mm256_loadu_ps(c0 + p + 8), s1);
    }
    for (; p < kv; p += 8)
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p), _mm256_loadu_ps(c0 + p), s0);
    float r = s_hsum(_mm256_add_ps(s0, s1));
    for (; p < k; ++p) r += x[p] * c0[p];
    y[j] = accumulate ? y[j] + r : r;
  }
}

const born_gemm_kernels born_sgemm_avx2 = {
    .mr = S_MR, .nr = 16, .nr_narrow = 8, .mc = 192, .kc = 256, .nc = 4096,
    .ukr = s_ukr, .ukr_narrow = s_ukr_narrow, .pack_a_t = NULL, .pack_b_t = NULL,
    .gemv_n = s_gemv_n, .gemv_t = s_gemv_t};

// MARK: - f64

#define D_MR 6

#define D_DECL2(i) __m256d c##i##0 = _mm256_setzero_pd(), c##i##1 = c##i##0;
#define D_DECL1(i) __m256d c##i##0 = _mm256_setzero_pd();
#define D_ROW2(i)                                                                              \
  {                                                                                            \
    const __m256d t = _mm256_broadcast_sd(a + (i) * rsa);                                      \
    c##i##0 = _mm256_fmadd_pd(t, b0, c##i##0);                                                 \
    c##i##1 = _mm256_fmadd_pd(t, b1, c##i##1);                                                 \
  }
#define D_ROW1(i) c##i##0 = _mm256_fmadd_pd(_mm256_broadcast_sd(a + (i) * rsa), b0, c##i##0);

INLINE T256 void d_loop2(long k, const double *a, long rsa, long csa, const double *b, long ldb,
                         __m256d acc[D_MR][2]) {
  ROWS6(D_DECL2)
  for (long p = 0; p < k; ++p, a += csa, b += ldb) {
    const __m256d b0 = _mm256_loadu_pd(b), b1 = _mm256_loadu_pd(b + 4);
    ROWS6(D_ROW2)
  }
  ROWS6(OUT2)
}

INLINE T256 void d_loop1(long k, const double *a, long rsa, long csa, const double *b, long ldb,
                         __m256d acc[D_MR][2]) {
  ROWS6(D_DECL1)
  for (long p = 0; p < k; ++p, a += csa, b += ldb) {
    const __m256d b0 = _mm256_loadu_pd(b);
    ROWS6(D_ROW1)
  }
  ROWS6(OUT1)
}

// A 6×4V tile (V = 2, or 1 for the narrow kernel), stored with lane masks when partial.
INLINE T256 void d_tile(long k, const double *a, long rsa, long csa, const double *b, long ldb,
                        double *c, long ldc, long mr, long nr, int accumulate, const int V) {
  for (int i = 0; i < D_MR; ++i) {
    _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch((const char *)(c + i * ldc + 4 * V - 1), _MM_HINT_T0);
  }
  __m256d acc[D_MR][2];
  if (V == 2)
    d_loop2(k, a, rsa, csa, b, ldb, acc);
  else
    d_loop1(k, a, rsa, csa, b, ldb, acc);
  if (mr == D_MR && nr == 4 * V) {
    for (int i = 0; i < D_MR; ++i)
      for (int v = 0; v < V; ++v) {
        double *ci = c + i * ldc + 4 * v;
        __m256d r = acc[i][v];
        if (accumulate) r = _mm256_add_pd(r, _mm256_loadu_pd(ci));
        _mm256_storeu_pd(ci, r);
      }
    return;
  }
  __m256i mk[2];
  for (int v = 0; v < V; ++v) {
    long lanes = nr - 4 * v;
    lanes = lanes < 0 ? 0 : lanes > 4 ? 4 : lanes;
    // Each 64-bit lane takes two of the 32-bit mask entries.
    mk[v] = _mm256_loadu_si256((const __m256i *)(kMask + 8 - 2 * lanes));
  }
  for (int i = 0; i < D_MR; ++i) {
    if (i >= mr) break;
    for (int v = 0; v < V; ++v) {
      double *ci = c + i * ldc + 4 * v;
      __m256d r = acc[i][v];
      if (accumulate) r = _mm256_add_pd(r, _mm256_maskload_pd(ci, mk[v]));
      _mm256_maskstore_pd(ci, mk[v], r);
    }
  }
}

T256 static void d_ukr(long k, const void *a, long rsa, long csa, const void *b, long ldb,
                       void *c, long ldc, long mr, long nr, int accumulate) {
  if (rsa == 1)
    d_tile(k, a, 1, csa, b, ldb, c, ldc, mr, nr, accumulate, 2);
  else
    d_tile(k, a, rsa, 1, b, ldb, c, ldc, mr, nr, accumulate, 2);
}

T256 static void d_ukr_narrow(long k, const void *a, long rsa, long csa, const void *b,
                              long ldb, void *c, long ldc, long mr, long nr, int accumulate) {
  if (rsa == 1)
    d_tile(k, a, 1, csa, b, ldb, c, ldc, mr, nr, accumulate, 1);
  else
    d_tile(k, a, rsa, 1, b, ldb, c, ldc, mr, nr, accumulate, 1);
}

T256 static void d_gemv_n(long k, long n, const void *xv, const void *mv, long ldm, void *yv,
                          int accumulate) {
  const double *x = xv, *mat = mv;
  double *y = yv;
  const long nv = n - n % 4;
  if (!accumulate)
    for (long j = 0; j < n; ++j) y[j] = 0;
  long p = 0;
  for (; p + 4 <= k; p += 4) {
    const double *m0 = mat + p * ldm, *m1 = m0 + ldm, *m2 = m1 + ldm, *m3 = m2 + ldm;
    const double xs0 = x[p], xs1 = x[p + 1], xs2 = x[p + 2], xs3 = x[p + 3];
    const __m256d x0 = _mm256_set1_pd(xs0), x1 = _mm256_set1_pd(xs1);
    const __m256d x2 = _mm256_set1_pd(xs2), x3 = _mm256_set1_pd(xs3);
    long j = 0;
    for (; j < nv; j += 4) {
      __m256d s0 = _mm256_fmadd_pd(x0, _mm256_loadu_pd(m0 + j), _mm256_loadu_pd(y + j));
      __m256d s1 = _mm256_mul_pd(x1, _mm256_loadu_pd(m1 + j));
      s0 = _mm256_fmadd_pd(x2, _mm256_loadu_pd(m2 + j), s0);
      s1 = _mm256_fmadd_pd(x3, _mm256_loadu_pd(m3 + j), s1);
      _mm256_storeu_pd(y + j, _mm256_add_pd(s0, s1));
    }
    for (; j < n; ++j) y[j] += (xs0 * m0[j] + xs1 * m1[j]) + (xs2 * m2[j] + xs3 * m3[j]);
  }
  for (; p < k; ++p) {
    const double *m0 = mat + p * ldm;
    const double xs0 = x[p];
    const __m256d x0 = _mm256_set1_pd(xs0);
    long j = 0;
    for (; j < nv; j += 4)
      _mm256_storeu_pd(y + j,
                       _mm256_fmadd_pd(x0, _mm256_loadu_pd(m0 + j), _mm256_loadu_pd(y + j)));
    for (; j < n; ++j) y[j] += xs0 * m0[j];
  }
}

INLINE T256 double d_hsum(__m256d v) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
  return _mm_cvtsd_f64(s);
}

T256 static void d_gemv_t(long k, long n, const void *xv, const void *mv, long ldm, void *yv,
                          int accumulate) {
  const double *x = xv, *mat = mv;
  double *y = yv;
  const long kv = k - k % 4;
  long j = 0;
  for (; j + 4 <= n; j += 4) {
    const double *c0 = mat + j * ldm, *c1 = c0 + ldm, *c2 = c1 + ldm, *c3 = c2 + ldm;
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    for (long p = 0; p < kv; p += 4) {
      const __m256d xp = _mm256_loadu_pd(x + p);
      s0 = _mm256_fmadd_pd(xp, _mm256_loadu_pd(c0 + p), s0);
      s1 = _mm256_fmadd_pd(xp, _mm256_loadu_pd(c1 + p), s1);
      s2 = _mm256_fmadd_pd(xp, _mm256_loadu_pd(c2 + p), s2);
      s3 = _mm256_fmadd_pd(xp, _mm256_loadu_pd(c3 + p), s3);
    }
    double r[4] = {d_hsum(s0), d_hsum(s1), d_hsum(s2), d_hsum(s3)};
    for (long p = kv; p < k; ++p) {
      r[0] += x[p] * c0[p];
      r[1] += x[p] * c1[p];
      r[2] += x[p] * c2[p];
      r[3] += x[p] * c3[p];
    }
    for (int q = 0; q < 4; ++q) y[j + q] = accumulate ? y[j + q] + r[q] : r[q];
  }
  for (; j < n; ++j) {
    const double *c0 = mat + j * ldm;
    __m256d s0 = _mm256_setzero_pd(), s1 = s0;
    long p = 0;
    for (; p + 8 <= kv; p += 8) {
      s0 = _mm256_fmadd_pd(_mm256_loadu_pd(x + p), _mm256_loadu_pd(c0 + p), s0);
      s1 = _mm256_fmadd_pd(_mm256_loadu_pd(x + p + 4), _mm256_loadu_pd(c0 + p + 4), s1);
    }
    for (; p < kv; p += 4)
      s0 = _mm256_fmadd_pd(_mm256_loadu_pd(x + p), _mm256_loadu_pd(c0 + p), s0);
    double r = d_hsum(_mm256_add_pd(s0, s1));
    for (; p < k; ++p) r += x[p] * c0[p];
    y[j] = accumulate ? y[j] + r : r;
  }
}

const born_gemm_kernels born_dgemm_avx2 = {
    .mr = D_MR, .nr = 8, .nr_narrow = 4, .mc = 144, .kc = 256, .nc = 4096,
    .ukr = d_ukr, .ukr_narrow = d_ukr_narrow, .pack_a_t = NULL, .pack_b_t = NULL,
    .gemv_n = d_gemv_n, .gemv_t = d_gemv_t};

#endif

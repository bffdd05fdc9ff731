// AVX-512 GEMM kernels: 8×32 f32 and 8×16 f64 register tiles (16 zmm accumulators, enough
// to cover the FMA latency on two 512-bit pipes), masked stores for partial tiles.
#include "gemm_internal.h"

#ifdef BORN_GEMM_X86
#include <immintrin.h>

#define T512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")))
#define INLINE static inline __attribute__((always_inline))

static inline __mmask16 mask16(long n) {
  return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

static inline __mmask8 mask8(long n) {
  return n >= 8 ? (__mmask8)0xFF : n <= 0 ? (__mmask8)0 : (__mmask8)((1u << n) - 1);
}

// MARK: - f32

#define S_MR 8

// The k loops name every accumulator instead of indexing arrays: -O2 then needs no unrolling
// to keep them in registers, and -O0 (debug builds) runs several times faster.
#define ROWS8(R) R(0) R(1) R(2) R(3) R(4) R(5) R(6) R(7)
#define S_DECL2(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = c##i##0;
#define S_DECL1(i) __m512 c##i##0 = _mm512_setzero_ps();
#define S_ROW2(i)                                                                              \
  {                                                                                            \
    const __m512 t = _mm512_set1_ps(a[(i) * rsa]);                                             \
    c##i##0 = _mm512_fmadd_ps(t, b0, c##i##0);                                                 \
    c##i##1 = _mm512_fmadd_ps(t, b1, c##i##1);                                                 \
  }
#define S_ROW1(i) c##i##0 = _mm512_fmadd_ps(_mm512_set1_ps(a[(i) * rsa]), b0, c##i##0);
#define OUT2(i) acc[i][0] = c##i##0, acc[i][1] = c##i##1;
#define OUT1(i) acc[i][0] = c##i##0;

INLINE T512 void s_loop2(long k, const float *a, long rsa, long csa, const float *b, long ldb,
                         __m512 acc[S_MR][2]) {
  ROWS8(S_DECL2)
  for (long p = 0; p < k; ++p, a += csa, b += ldb) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
    ROWS8(S_ROW2)
  }
  ROWS8(OUT2)
}

INLINE T512 void s_loop1(long k, const float *a, long rsa, long csa, const float *b, long ldb,
                         __m512 acc[S_MR][2]) {
  ROWS8(S_DECL1)
  for (long p = 0; p < k; ++p, a += csa, b += ldb) {
    const __m512 b0 = _mm512_loadu_ps(b);
    ROWS8(S_ROW1)
  }
  ROWS8(OUT1)
}

// An 8×16V tile (V = 2, or 1 for the narrow kernel), stored with masks when partial.
INLINE T512 void s_tile(long k, const float *a, long rsa, long csa, const float *b, long ldb,
                        float *c, long ldc, long mr, long nr, int accumulate, const int V) {
  for (int i = 0; i < S_MR; ++i) {
    _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch((const char *)(c + i * ldc + 16 * V - 1), _MM_HINT_T0);
  }
  __m512 acc[S_MR][2];
  if (V == 2)
    s_loop2(k, a, rsa, csa, b, ldb, acc);
  else
    s_loop1(k, a, rsa, csa, b, ldb, acc);
  if (mr == S_MR && nr == 16 * V) {
    for (int i = 0; i < S_MR; ++i)
      for (int v = 0; v < V; ++v) {
        float *ci = c + i * ldc + 16 * v;
        __m512 r = acc[i][v];
        if (accumulate) r = _mm512_add_ps(r, _mm512_loadu_ps(ci));
        _mm512_storeu_ps(ci, r);
      }
    return;
  }
  __mmask16 mk[2];
  for (int v = 0; v < V; ++v) mk[v] = mask16(nr - 16 * v);
  for (int i = 0; i < S_MR; ++i) {
    if (i >= mr) break;
    for (int v = 0; v < V; ++v) {
      float *ci = c + i * ldc + 16 * v;
      __m512 r = acc[i][v];
      if (accumulate) r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(mk[v], ci));
      _mm512_mask_storeu_ps(ci, mk[v], r);
    }
  }
}

T512 static void s_ukr(long k, const void *a, long rsa, long csa, const void *b, long ldb,
                       void *c, long ldc, long mr, long nr, int accumulate) {
  if (rsa == 1)
    s_tile(k, a, 1, csa, b, ldb, c, ldc, mr, nr, accumulate, 2);
  else
    s_tile(k, a, rsa, 1, b, ldb, c, ldc, mr, nr, accumulate, 2);
}

T512 static void s_ukr_narrow(long k, const void *a, long rsa, long csa, const void *b,
                              long ldb, void *c, long ldc, long mr, long nr, int accumulate) {
  if (rsa == 1)
    s_tile(k, a, 1, csa, b, ldb, c, ldc, mr, nr, accumulate, 1);
  else
    s_tile(k, a, rsa, 1, b, ldb, c, ldc, mr, nr, accumulate, 1);
}

// dst[p*ld + i] = src[i*rs + p] for 8 rows i and p < kc, by 8×8 in-register transposes.
INLINE T512 void s_transpose8(long kc, const float *src, long rs, float *dst, long ld) {
  long p = 0;
  for (; p + 8 <= kc; p += 8) {
    __m256 r[8], t[8], s[8];
    for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * rs + p);
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
      s[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
      s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
      s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
      s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    float *o = dst + p * ld;
    for (int q = 0; q < 4; ++q) {
      _mm256_storeu_ps(o + q * ld, _mm256_permute2f128_ps(s[q], s[q + 4], 0x20));
      _mm256_storeu_ps(o + (q + 4) * ld, _mm256_permute2f128_ps(s[q], s[q + 4], 0x31));
    }
  }
  for (; p < kc; ++p)
    for (int i = 0; i < 8; ++i) dst[p * ld + i] = src[i * rs + p];
}

T512 static void s_pack_a_t(long kc, const void *a, long rs, void *d) {
  s_transpose8(kc, a, rs, d, S_MR);
}

T512 static void s_pack_b_t(long kc, const void *b, long rs, void *d) {
  for (int g = 0; g < 32; g += 8)
    s_transpose8(kc, (const float *)b + g * rs, rs, (float *)d + g, 32);
}

T512 static void s_gemv_n(long k, long n, const void *xv, const void *mv, long ldm, void *yv,
                          int accumulate) {
  const float *x = xv, *mat = mv;
  float *y = yv;
  const __mmask16 tail = mask16(n % 16);
  const long nv = n - n % 16;
  long p = 0;
  if (!accumulate) {
    // The first sweep writes y without reading it.
    const long rows = k >= 4 ? 4 : k;
    const float *m0 = mat;
    for (long j = 0; j < n; j += 16) {
      const __mmask16 mk = j < nv ? (__mmask16)0xFFFF : tail;
      __m512 s = _mm512_setzero_ps();
      for (long q = 0; q < rows; ++q)
        s = _mm512_fmadd_ps(_mm512_set1_ps(x[q]), _mm512_maskz_loadu_ps(mk, m0 + q * ldm + j), s);
      _mm512_mask_storeu_ps(y + j, mk, s);
    }
    p = rows;
  }
  for (; p + 4 <= k; p += 4) {
    const float *m0 = mat + p * ldm, *m1 = m0 + ldm, *m2 = m1 + ldm, *m3 = m2 + ldm;
    const __m512 x0 = _mm512_set1_ps(x[p]), x1 = _mm512_set1_ps(x[p + 1]);
    const __m512 x2 = _mm512_set1_ps(x[p + 2]), x3 = _mm512_set1_ps(x[p + 3]);
    long j = 0;
    for (; j < nv; j += 16) {
      __m512 s0 = _mm512_fmadd_ps(x0, _mm512_loadu_ps(m0 + j), _mm512_loadu_ps(y + j));
      __m512 s1 = _mm512_mul_ps(x1, _mm512_loadu_ps(m1 + j));
      s0 = _mm512_fmadd_ps(x2, _mm512_loadu_ps(m2 + j), s0);
      s1 = _mm512_fmadd_ps(x3, _mm512_loadu_ps(m3 + j), s1);
      _mm512_storeu_ps(y + j, _mm512_add_ps(s0, s1));
    }
    if (j < n) {
      __m512 s0 = _mm512_fmadd_ps(x0, _mm512_maskz_loadu_ps(tail, m0 + j),
                                  _mm512_maskz_loadu_ps(tail, y + j));
      __m512 s1 = _mm512_mul_ps(x1, _mm512_maskz_loadu_ps(tail, m1 + j));
      s0 = _mm512_fmadd_ps(x2, _mm512_maskz_loadu_ps(tail, m2 + j), s0);
      s1 = _mm512_fmadd_ps(x3, _mm512_maskz_loadu_ps(tail, m3 + j), s1);
      _mm512_mask_storeu_ps(y + j, tail, _mm512_add_ps(s0, s1));
    }
  }
  for (; p < k; ++p) {
    const float *m0 = mat + p * ldm;
    const __m512 x0 = _mm512_set1_ps(x[p]);
    for (long j = 0; j < n; j += 16) {
      const __mmask16 mk = j < nv ? (__mmask16)0xFFFF : tail;
      __m512 s = _mm512_fmadd_ps(x0, _mm512_maskz_loadu_ps(mk, m0 + j),
                                 _mm512_maskz_loadu_ps(mk, y + j));
      _mm512_mask_storeu_ps(y + j, mk, s);
    }
  }
}

T512 static void s_gemv_t(long k, long n, const void *xv, const void *mv, long ldm, void *yv,
                          int accumulate) {
  const float *x = xv, *mat = mv;
  float *y = yv;
  const long kv = k - k % 16;
  const __mmask16 tail = mask16(k % 16);
  long j = 0;
  for (; j + 4 <= n; j += 4) {
    const float *c0 = mat + j * ldm, *c1 = c0 + ldm, *c2 = c1 + ldm, *c3 = c2 + ldm;
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (long p = 0; p < kv; p += 16) {
      const __m512 xp = _mm512_loadu_ps(x + p);
      s0 = _mm512_fmadd_ps(xp, _mm512_loadu_ps(c0 + p), s0);
      s1 = _mm512_fmadd_ps(xp, _mm512_loadu_ps(c1 + p), s1);
      s2 = _mm512_fmadd_ps(xp, _mm512_loadu_ps(c2 + p), s2);
      s3 = _mm512_fmadd_ps(xp, _mm512_loadu_ps(c3 + p), s3);
    }
    if (kv < k) {
      const __m512 xp = _mm512_maskz_loadu_ps(tail, x + kv);
      s0 = _mm512_fmadd_ps(xp, _mm512_maskz_loadu_ps(tail, c0 + kv), s0);
      s1 = _mm512_fmadd_ps(xp, _mm512_maskz_loadu_ps(tail, c1 + kv), s1);
      s2 = _mm512_fmadd_ps(xp, _mm512_maskz_loadu_ps(tail, c2 + kv), s2);
      s3 = _mm512_fmadd_ps(xp, _mm512_maskz_loadu_ps(tail, c3 + kv), s3);
    }
    float r[4] = {_mm512_reduce_add_ps(s0), _mm512_reduce_add_ps(s1), _mm512_reduce_add_ps(s2),
                  _mm512_reduce_add_ps(s3)};
    for (int q = 0; q < 4; ++q) y[j + q] = accumulate ? y[j + q] + r[q] : r[q];
  }
  for (; j < n; ++j) {
    const float *c0 = mat + j * ldm;
    __m512 s0 = _mm512_setzero_ps(), s1 = s0;
    long p = 0;
    for (; p + 32 <= kv; p += 32) {
      s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p), _mm512_loadu_ps(c0 + p), s0);
      s1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p + 16), _mm512_loadu_ps(c0 + p + 16), s1);
    }
    for (; p < kv; p += 16)
      s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p), _mm512_loadu_ps(c0 + p), s0);
    if (kv < k)
      s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, x + kv),
                           _mm512_maskz_loadu_ps(tail, c0 + kv), s1);
    const float r = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    y[j] = accumulate ? y[j] + r : r;
  }
}

const born_gemm_kernels born_sgemm_avx512 = {
    .mr = S_MR, .nr = 32, .nr_narrow = 16, .mc = 256, .kc = 320, .nc = 4096,
    .ukr = s_ukr, .ukr_narrow = s_ukr_narrow,
    .pack_a_t = s_pack_a_t, .pack_b_t = s_pack_b_t,
    .gemv_n = s_gemv_n, .gemv_t = s_gemv_t};

// MARK: - f64

#define D_MR 8

#define D_DECL2(i) __m512d c##i##0 = _mm512_setzero_pd(), c##i##1 = c##i##0;
#define D_DECL1(i) __m512d c##i##0 = _mm512_setzero_pd();
#define D_ROW2(i)                                                                              \
  {                                                                                            \
    const __m512d t = _mm512_set1_pd(a[(i) * rsa]);                                            \
    c##i##0 = _mm512_fmadd_pd(t, b0, c##i##0);                                                 \
    c##i##1 = _mm512_fmadd_pd(t, b1, c##i##1);                                                 \
  }
#define D_ROW1(i) c##i##0 = _mm512_fmadd_pd(_mm512_set1_pd(a[(i) * rsa]), b0, c##i##0);

INLINE T512 void d_loop2(long k, const double *a, long rsa, long csa, const double *b, long ldb,
                         __m512d acc[D_MR][2]) {
  ROWS8(D_DECL2)
  for (long p = 0; p < k; ++p, a += csa, b += ldb) {
    const __m512d b0 = _mm512_loadu_pd(b), b1 = _mm512_loadu_pd(b + 8);
    ROWS8(D_ROW2)
  }
  ROWS8(OUT2)
}

INLINE T512 void d_loop1(long k, const double *a, long rsa, long csa, const double *b, long ldb,
                         __m512d acc[D_MR][2]) {
  ROWS8(D_DECL1)
  for (long p = 0; p < k; ++p, a += csa, b += ldb) {
    const __m512d b0 = _mm512_loadu_pd(b);
    ROWS8(D_ROW1)
  }
  ROWS8(OUT1)
}

// An 8×8V tile (V = 2, or 1 for the narrow kernel), stored with masks when partial.
INLINE T512 void d_tile(long k, const double *a, long rsa, long csa, const double *b, long ldb,
                        double *c, long ldc, long mr, long nr, int accumulate, const int V) {
  for (int i = 0; i < D_MR; ++i) {
    _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch((const char *)(c + i * ldc + 8 * V - 1), _MM_HINT_T0);
  }
  __m512d acc[D_MR][2];
  if (V == 2)
    d_loop2(k, a, rsa, csa, b, ldb, acc);
  else
    d_loop1(k, a, rsa, csa, b, ldb, acc);
  if (mr == D_MR && nr == 8 * V) {
    for (int i = 0; i < D_MR; ++i)
      for (int v = 0; v < V; ++v) {
        double *ci = c + i * ldc + 8 * v;
        __m512d r = acc[i][v];
        if (accumulate) r = _mm512_add_pd(r, _mm512_loadu_pd(ci));
        _mm512_storeu_pd(ci, r);
      }
    return;
  }
  __mmask8 mk[2];
  for (int v = 0; v < V; ++v) mk[v] = mask8(nr - 8 * v);
  for (int i = 0; i < D_MR; ++i) {
    if (i >= mr) break;
    for (int v = 0; v < V; ++v) {
      double *ci = c + i * ldc + 8 * v;
      __m512d r = acc[i][v];
      if (accumulate) r = _mm512_add_pd(r, _mm512_maskz_loadu_pd(mk[v], ci));
      _mm512_mask_storeu_pd(ci, mk[v], r);
    }
  }
}

T512 static void d_ukr(long k, const void *a, long rsa, long csa, const void *b, long ldb,
                       void *c, long ldc, long mr, long nr, int accumulate) {
  if (rsa == 1)
    d_tile(k, a, 1, csa, b, ldb, c, ldc, mr, nr, accumulate, 2);
  else
    d_tile(k, a, rsa, 1, b, ldb, c, ldc, mr, nr, accumulate, 2);
}

T512 static void d_ukr_narrow(long k, const void *a, long rsa, long csa, const void *b,
                              long ldb, void *c, long ldc, long mr, long nr, int accumulate) {
  if (rsa == 1)
    d_tile(k, a, 1, csa, b, ldb, c, ldc, mr, nr, accumulate, 1);
  else
    d_tile(k, a, rsa, 1, b, ldb, c, ldc, mr, nr, accumulate, 1);
}

// dst[p*ld + i] = src[i*rs + p] for 8 rows i and p < kc, by 4×4 in-register transposes.
INLINE T512 void d_transpose8(long kc, const double *src, long rs, double *dst, long ld) {
  long p = 0;
  for (; p + 4 <= kc; p += 4)
    for (int h = 0; h < 2; ++h) {
      const double *r = src + 4 * h * rs + p;
      const __m256d r0 = _mm256_loadu_pd(r), r1 = _mm256_loadu_pd(r + rs);
      const __m256d r2 = _mm256_loadu_pd(r + 2 * rs), r3 = _mm256_loadu_pd(r + 3 * rs);
      const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
      const __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
      double *o = dst + p * ld + 4 * h;
      _mm256_storeu_pd(o, _mm256_permute2f128_pd(t0, t2, 0x20));
      _mm256_storeu_pd(o + ld, _mm256_permute2f128_pd(t1, t3, 0x20));
      _mm256_storeu_pd(o + 2 * ld, _mm256_permute2f128_pd(t0, t2, 0x31));
      _mm256_storeu_pd(o + 3 * ld, _mm256_permute2f128_pd(t1, t3, 0x31));
    }
  for (; p < kc; ++p)
    for (int i = 0; i < 8; ++i) dst[p * ld + i] = src[i * rs + p];
}

T512 static void d_pack_a_t(long kc, const void *a, long rs, void *d) {
  d_transpose8(kc, a, rs, d, D_MR);
}

T512 static void d_pack_b_t(long kc, const void *b, long rs, void *d) {
  for (int g = 0; g < 16; g += 8)
    d_transpose8(kc, (const double *)b + g * rs, rs, (double *)d + g, 16);
}

T512 static void d_gemv_n(long k, long n, const void *xv, const void *mv, long ldm, void *yv,
                          int accumulate) {
  const double *x = xv, *mat = mv;
  double *y = yv;
  const __mmask8 tail = mask8(n % 8);
  const long nv = n - n % 8;
  if (!accumulate)
    for (long j = 0; j < n; ++j) y[j] = 0;
  long p = 0;
  for (; p + 4 <= k; p += 4) {
    const double *m0 = mat + p * ldm, *m1 = m0 + ldm, *m2 = m1 + ldm, *m3 = m2 + ldm;
    const __m512d x0 = _mm512_set1_pd(x[p]), x1 = _mm512_set1_pd(x[p + 1]);
    const __m512d x2 = _mm512_set1_pd(x[p + 2]), x3 = _mm512_set1_pd(x[p + 3]);
    for (long j = 0; j < n; j += 8) {
      const __mmask8 mk = j < nv ? (__mmask8)0xFF : tail;
      __m512d s0 = _mm512_fmadd_pd(x0, _mm512_maskz_loadu_pd(mk, m0 + j),
                                   _mm512_maskz_loadu_pd(mk, y + j));
      __m512d s1 = _mm512_mul_pd(x1, _mm512_maskz_loadu_pd(mk, m1 + j));
      s0 = _mm512_fmadd_pd(x2, _mm512_maskz_loadu_pd(mk, m2 + j), s0);
      s1 = _mm512_fmadd_pd(x3, _mm512_maskz_loadu_pd(mk, m3 + j), s1);
      _mm512_mask_storeu_pd(y + j, mk, _mm512_add_pd(s0, s1));
    }
  }
  for (; p < k; ++p) {
    const double *m0 = mat + p * ldm;
    const __m512d x0 = _mm512_set1_pd(x[p]);
    for (long j = 0; j < n; j += 8) {
      const __mmask8 mk = j < nv ? (__mmask8)0xFF : tail;
      __m512d s = _mm512_fmadd_pd(x0, _mm512_maskz_loadu_pd(mk, m0 + j),
                                  _mm512_maskz_loadu_pd(mk, y + j));
      _mm512_mask_storeu_pd(y + j, mk, s);
    }
  }
}

T512 static void d_gemv_t(long k, long n, const void *xv, const void *mv, long ldm, void *yv,
                          int accumulate) {
  const double *x = xv, *mat = mv;
  double *y = yv;
  const long kv = k - k % 8;
  const __mmask8 tail = mask8(k % 8);
  long j = 0;
  for (; j + 4 <= n; j += 4) {
    const double *c0 = mat + j * ldm, *c1 = c0 + ldm, *c2 = c1 + ldm, *c3 = c2 + ldm;
    __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    for (long p = 0; p < kv; p += 8) {
      const __m512d xp = _mm512_loadu_pd(x + p);
      s0 = _mm512_fmadd_pd(xp, _mm512_loadu_pd(c0 + p), s0);
      s1 = _mm512_fmadd_pd(xp, _mm512_loadu_pd(c1 + p), s1);
      s2 = _mm512_fmadd_pd(xp, _mm512_loadu_pd(c2 + p), s2);
      s3 = _mm512_fmadd_pd(xp, _mm512_loadu_pd(c3 + p), s3);
    }
    if (kv < k) {
      const __m512d xp = _mm512_maskz_loadu_pd(tail, x + kv);
      s0 = _mm512_fmadd_pd(xp, _mm512_maskz_loadu_pd(tail, c0 + kv), s0);
      s1 = _mm512_fmadd_pd(xp, _mm512_maskz_loadu_pd(tail, c1 + kv), s1);
      s2 = _mm512_fmadd_pd(xp, _mm512_maskz_loadu_pd(tail, c2 + kv), s2);
      s3 = _mm512_fmadd_pd(xp, _mm512_maskz_loadu_pd(tail, c3 + kv), s3);
    }
    double r[4] = {_mm512_reduce_add_pd(s0), _mm512_reduce_add_pd(s1),
                   _mm512_reduce_add_pd(s2), _mm512_reduce_add_pd(s3)};
    for (int q = 0; q < 4; ++q) y[j + q] = accumulate ? y[j + q] + r[q] : r[q];
  }
  for (; j < n; ++j) {
    const double *c0 = mat + j * ldm;
    __m512d s0 = _mm512_setzero_pd();
    for (long p = 0; p < kv; p += 8)
      s0 = _mm512_fmadd_pd(_mm512_loadu_pd(x + p), _mm512_loadu_pd(c0 + p), s0);
    if (kv < k)
      s0 = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(tail, x + kv),
                           _mm512_maskz_loadu_pd(tail, c0 + kv), s0);
    const double r = _mm512_reduce_add_pd(s0);
    y[j] = accumulate ? y[j] + r : r;
  }
}

const born_gemm_kernels born_dgemm_avx512 = {
    .mr = D_MR, .nr = 16, .nr_narrow = 8, .mc = 192, .kc = 256, .nc = 4096,
    .ukr = d_ukr, .ukr_narrow = d_ukr_narrow,
    .pack_a_t = d_pack_a_t, .pack_b_t = d_pack_b_t,
    .gemv_n = d_gemv_n, .gemv_t = d_gemv_t};

#endif

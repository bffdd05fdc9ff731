// GEMM driver shared by every ISA variant, and the generic C kernels. The AVX2 and AVX-512
// micro-kernels live in gemm_avx2.c and gemm_avx512.c.
//
// Each thread works alone on its block of a grid over C (no barriers, no shared buffers):
//   m == 1 or n == 1        GEMV, split over the output vector
//   n ≤ 4 (f32) / 2 (f64)   one GEMV pass per column of C (likewise per row for m == 2, f32)
//   otherwise               jc (NC) → pc (KC) → pack B panel → ic (MC) → pack A block
//                           → jr (NR) → ir (MR) → micro-kernel
// Operands that a thread's block uses lightly are read in place instead of packed (see
// gemm_run), which keeps small and mid-size products free of copying overhead.
#include "born_gemm.h"
#include "born_isa.h"
#include "gemm_internal.h"

#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <malloc.h>
#else
#include <pthread.h>
#endif

static inline long min_l(long a, long b) { return a < b ? a : b; }
static inline long max_l(long a, long b) { return a > b ? a : b; }
static inline long ceil_div(long a, long b) { return (a + b - 1) / b; }
static inline long round_up(long a, long b) { return ceil_div(a, b) * b; }

// Dev harness hooks (Benchmarks/gemm-c): blocking and packing overrides, failing allocation.
#ifdef BORN_GEMM_TUNING
int born_gemm_tune_mc, born_gemm_tune_kc, born_gemm_tune_nc;
int born_gemm_tune_pack_a = -1, born_gemm_tune_pack_b = -1;
int born_gemm_tune_no_scratch;
#endif

// MARK: - Thread-local scratch

// One buffer per thread holds the packed blocks; it only grows, so steady-state calls never
// touch the allocator. A pthread key frees it when the thread exits, so pools that retire
// threads (GCD on Linux does) do not leak it.
static _Thread_local char *scratch_buf;
static _Thread_local size_t scratch_cap;

#ifndef _WIN32
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_ok;

static void scratch_release(void *p) { free(p); }
static void scratch_key_init(void) {
  scratch_key_ok = pthread_key_create(&scratch_key, scratch_release) == 0;
}
#endif

static void *scratch(long need) {
  size_t bytes = (size_t)need;
#ifdef BORN_GEMM_TUNING
  if (born_gemm_tune_no_scratch) return NULL;
#endif
  if (bytes <= scratch_cap) return scratch_buf;
  size_t cap = bytes + bytes / 4;
  cap = (cap + 4095) & ~(size_t)4095;
#ifdef _WIN32
  void *p = _aligned_malloc(cap, 64);
  if (!p) return NULL;
  _aligned_free(scratch_buf);
#else
  void *p = aligned_alloc(64, cap);
  if (!p) return NULL;
  free(scratch_buf);
  pthread_once(&scratch_once, scratch_key_init);
  if (scratch_key_ok) pthread_setspecific(scratch_key, p);
#endif
  scratch_buf = p;
  scratch_cap = cap;
  return p;
}

// MARK: - Typed helpers (packing, generic kernels)

typedef struct {
  long es;
  void (*pack_a)(long kc, long mr, const void *a, long rsa, long csa, void *dst, int MR);
  void (*pack_b)(long kc, long nr, const void *b, long rsb, long csb, void *dst, int w);
  void (*pack_b_rows)(long kc, long nc, const void *b, long rsb, void *dst, int NR);
  void (*naive)(long m, long n, long k, const void *a, long rsa, long csa, const void *b,
                long rsb, long csb, void *c, long ldc, int accumulate);
  void (*gather)(long n, const void *x, long incx, void *dst);
  void (*scatter)(long n, const void *src, void *y, long incy, int accumulate);
} type_ops;

// Generic register tile: 4×8 f32 / 4×4 f64, 8 accumulators of 16 bytes. With GCC/Clang vector
// types the compiler maps them onto SSE or NEON registers; left to itself, its SLP vectorizer
// keeps the accumulators in memory and shuffles every iteration. Other compilers get arrays.
#define GEN_MR 4
#define GEN_NR_S 8
#define GEN_NR_D 4
#if defined(__GNUC__) || defined(__clang__)
typedef float gen_vf __attribute__((vector_size(16)));
typedef double gen_vd __attribute__((vector_size(16)));
#define GEN_VEC_T(T) GEN_VEC_##T
#define GEN_VEC_float gen_vf
#define GEN_VEC_double gen_vd
#define GEN_VL(T) ((int)(16 / sizeof(T)))
#define GEN_SPLAT(T, x) GEN_SPLAT_##T(x)
#define GEN_SPLAT_float(x) ((gen_vf){(x), (x), (x), (x)})
#define GEN_SPLAT_double(x) ((gen_vd){(x), (x)})
#define GEN_INLINE static inline __attribute__((always_inline))
#else
#define GEN_VEC_T(T) T
#define GEN_VL(T) 1
#define GEN_SPLAT(T, x) ((T)(x))
#define GEN_INLINE static inline
#endif

#define BORN_GEMM_TYPED(T, S, GNR)                                                              \
  static void S##pack_a(long kc, long mr, const void *av, long rsa, long csa, void *dv,         \
                        int MR) {                                                               \
    const T *a = av;                                                                            \
    T *d = dv;                                                                                  \
    if (rsa == 1 && mr == MR) {                                                                 \
      for (long p = 0; p < kc; ++p)                                                             \
        for (int i = 0; i < MR; ++i) d[p * MR + i] = a[p * csa + i];                            \
      return;                                                                                   \
    }                                                                                           \
    if (csa == 1) {                                                                             \
      for (long i = 0; i < mr; ++i)                                                             \
        for (long p = 0; p < kc; ++p) d[p * MR + i] = a[i * rsa + p];                           \
    } else {                                                                                    \
      for (long p = 0; p < kc; ++p)                                                             \
        for (long i = 0; i < mr; ++i) d[p * MR + i] = a[i * rsa + p * csa];                    \
    }                                                                                           \
    if (mr < MR)                                                                                \
      for (long p = 0; p < kc; ++p)                                                             \
        for (long i = mr; i < MR; ++i) d[p * MR + i] = 0;                                       \
  }                                                                                             \
                                                                                                \
  static void S##pack_b(long kc, long nr, const void *bv, long rsb, long csb, void *dv, int w) { \
    const T *b = bv;                                                                            \
    T *d = dv;                                                                                  \
    if (csb == 1) {                                                                             \
      for (long p = 0; p < kc; ++p) {                                                           \
        for (long j = 0; j < nr; ++j) d[p * w + j] = b[p * rsb + j];                            \
        for (long j = nr; j < w; ++j) d[p * w + j] = 0;                                         \
      }                                                                                         \
      return;                                                                                   \
    }                                                                                           \
    if (rsb == 1) {                                                                             \
      for (long j = 0; j < nr; ++j)                                                             \
        for (long p = 0; p < kc; ++p) d[p * w + j] = b[j * csb + p];                            \
    } else {                                                                                    \
      for (long p = 0; p < kc; ++p)                                                             \
        for (long j = 0; j < nr; ++j) d[p * w + j] = b[p * rsb + j * csb];                      \
    }                                                                                           \
    if (nr < w)                                                                                 \
      for (long p = 0; p < kc; ++p)                                                             \
        for (long j = nr; j < w; ++j) d[p * w + j] = 0;                                         \
  }                                                                                             \
                                                                                                \
  /* Rows of B (csb == 1) into nc/NR panels, walking B row by row: long sequential reads      \
     prefetch far better than NR-wide strips of many rows. */                                  \
  static void S##pack_b_rows(long kc, long nc, const void *bv, long rsb, void *dv, int NR) {    \
    const T *b = bv;                                                                            \
    T *d = dv;                                                                                  \
    const long full = nc - nc % NR;                                                             \
    for (long p = 0; p < kc; ++p) {                                                             \
      const T *row = b + p * rsb;                                                               \
      T *o = d + p * NR;                                                                        \
      for (long j = 0; j < full; j += NR, o += kc * NR)                                         \
        for (int q = 0; q < NR; ++q) o[q] = row[j + q];                                         \
      if (full < nc) {                                                                          \
        for (long q = 0; q < nc - full; ++q) o[q] = row[full + q];                              \
        for (long q = nc - full; q < NR; ++q) o[q] = 0;                                         \
      }                                                                                         \
    }                                                                                           \
  }                                                                                             \
                                                                                                \
  static void S##naive(long m, long n, long k, const void *av, long rsa, long csa,              \
                       const void *bv, long rsb, long csb, void *cv, long ldc, int accumulate) { \
    const T *a = av, *b = bv;                                                                   \
    T *c = cv;                                                                                  \
    for (long i = 0; i < m; ++i)                                                                \
      for (long j = 0; j < n; ++j) {                                                            \
        T s = 0;                                                                                \
        for (long p = 0; p < k; ++p) s += a[i * rsa + p * csa] * b[p * rsb + j * csb];          \
        c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s;                                   \
      }                                                                                         \
  }                                                                                             \
                                                                                                \
  static void S##gather(long n, const void *xv, long incx, void *dv) {                          \
    const T *x = xv;                                                                            \
    T *d = dv;                                                                                  \
    for (long i = 0; i < n; ++i) d[i] = x[i * incx];                                            \
  }                                                                                             \
                                                                                                \
  static void S##scatter(long n, const void *sv, void *yv, long incy, int accumulate) {         \
    const T *s = sv;                                                                            \
    T *y = yv;                                                                                  \
    if (accumulate)                                                                             \
      for (long i = 0; i < n; ++i) y[i * incy] += s[i];                                         \
    else                                                                                        \
      for (long i = 0; i < n; ++i) y[i * incy] = s[i];                                          \
  }                                                                                             \
                                                                                                \
  GEN_INLINE void S##ukr_body(                                                                \
      long k, const T *restrict a, long rsa, long csa, const T *restrict b, long ldb, T *c,      \
      long ldc, long mr, long nr, int accumulate) {                                             \
    GEN_VEC_T(T) acc[GEN_MR][GNR / GEN_VL(T)];                                                  \
    for (int i = 0; i < GEN_MR; ++i)                                                            \
      for (int v = 0; v < GNR / GEN_VL(T); ++v) acc[i][v] = GEN_SPLAT(T, 0);                    \
    for (long p = 0; p < k; ++p) {                                                              \
      GEN_VEC_T(T) bv[GNR / GEN_VL(T)];                                                         \
      for (int v = 0; v < GNR / GEN_VL(T); ++v)                                                 \
        memcpy(&bv[v], b + v * GEN_VL(T), sizeof bv[v]);                                        \
      for (int i = 0; i < GEN_MR; ++i) {                                                        \
        const GEN_VEC_T(T) ai = GEN_SPLAT(T, a[i * rsa]);                                       \
        for (int v = 0; v < GNR / GEN_VL(T); ++v) acc[i][v] += ai * bv[v];                      \
      }                                                                                         \
      a += csa;                                                                                 \
      b += ldb;                                                                                 \
    }                                                                                           \
    /* Copying out first keeps acc free of variable indices, so it stays in registers. */     \
    T tile[GEN_MR][GNR];                                                                        \
    memcpy(tile, acc, sizeof tile);                                                             \
    if (mr == GEN_MR && nr == GNR) {                                                            \
      for (int i = 0; i < GEN_MR; ++i)                                                          \
        for (int j = 0; j < GNR; ++j)                                                           \
          c[i * ldc + j] = accumulate ? c[i * ldc + j] + tile[i][j] : tile[i][j];               \
      return;                                                                                   \
    }                                                                                           \
    for (long i = 0; i < mr; ++i)                                                               \
      for (long j = 0; j < nr; ++j)                                                             \
        c[i * ldc + j] = accumulate ? c[i * ldc + j] + tile[i][j] : tile[i][j];                 \
  }                                                                                             \
                                                                                                \
  static void S##ukr(long k, const void *a, long rsa, long csa, const void *b, long ldb,        \
                     void *c, long ldc, long mr, long nr, int accumulate) {                     \
    if (rsa == 1)                                                                               \
      S##ukr_body(k, a, 1, csa, b, ldb, c, ldc, mr, nr, accumulate);                            \
    else                                                                                        \
      S##ukr_body(k, a, rsa, 1, b, ldb, c, ldc, mr, nr, accumulate);                            \
  }                                                                                             \
                                                                                                \
  static void S##gemv_n(long k, long n, const void *xv, const void *mv, long ldm, void *yv,     \
                        int accumulate) {                                                       \
    const T *restrict x = xv, *restrict mat = mv;                                               \
    T *restrict y = yv;                                                                         \
    if (!accumulate)                                                                            \
      for (long j = 0; j < n; ++j) y[j] = 0;                                                    \
    long p = 0;                                                                                 \
    for (; p + 4 <= k; p += 4) {                                                                \
      const T *m0 = mat + p * ldm, *m1 = m0 + ldm, *m2 = m1 + ldm, *m3 = m2 + ldm;              \
      const T x0 = x[p], x1 = x[p + 1], x2 = x[p + 2], x3 = x[p + 3];                           \
      for (long j = 0; j < n; ++j) y[j] += (x0 * m0[j] + x1 * m1[j]) + (x2 * m2[j] + x3 * m3[j]); \
    }                                                                                           \
    for (; p < k; ++p) {                                                                        \
      const T *m0 = mat + p * ldm;                                                              \
      const T x0 = x[p];                                                                        \
      for (long j = 0; j < n; ++j) y[j] += x0 * m0[j];                                          \
    }                                                                                           \
  }                                                                                             \
                                                                                                \
  static void S##gemv_t(long k, long n, const void *xv, const void *mv, long ldm, void *yv,     \
                        int accumulate) {                                                       \
    const T *restrict x = xv, *restrict mat = mv;                                               \
    T *restrict y = yv;                                                                         \
    for (long j = 0; j < n; ++j) {                                                              \
      const T *col = mat + j * ldm;                                                             \
      T s[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                                        \
      long p = 0;                                                                               \
      for (; p + 8 <= k; p += 8)                                                                \
        for (int q = 0; q < 8; ++q) s[q] += x[p + q] * col[p + q];                              \
      T r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));                  \
      for (; p < k; ++p) r += x[p] * col[p];                                                    \
      y[j] = accumulate ? y[j] + r : r;                                                         \
    }                                                                                           \
  }                                                                                             \
                                                                                                \
  static const type_ops S##ops = {(long)sizeof(T), S##pack_a, S##pack_b, S##pack_b_rows,        \
                                  S##naive,        S##gather, S##scatter};                      \
  static const born_gemm_kernels S##generic = {                                                 \
      .mr = GEN_MR, .nr = GNR, .nr_narrow = 0, .mc = 128, .kc = 256, .nc = 2048,                \
      .ukr = S##ukr, .ukr_narrow = NULL, .pack_a_t = NULL, .pack_b_t = NULL,                    \
      .gemv_n = S##gemv_n, .gemv_t = S##gemv_t};

BORN_GEMM_TYPED(float, s_, GEN_NR_S)
BORN_GEMM_TYPED(double, d_, GEN_NR_D)

// MARK: - Thread split

static void split_range(long units, long parts, long idx, long *begin, long *end) {
  long q = units / parts, r = units % parts;
  *begin = idx * q + min_l(idx, r);
  *end = *begin + q + (idx < r);
}

// Splits C into a tm×tn grid of thread blocks (tm·tn = tc) aligned to the register tile. The
// cost is the largest block's area plus a term for the packing every thread repeats for its
// own rows and columns.
static void grid_split(long m, long n, int mr, int nr, int tc, int ti, long *i0, long *i1,
                       long *j0, long *j1) {
  long mu = ceil_div(m, mr), nu = ceil_div(n, nr);
  long best_tn = 1;
  double best = -1;
  for (long tn = 1; tn <= tc; ++tn) {
    if (tc % tn) continue;
    long tm = tc / tn;
    double rows = (double)ceil_div(mu, tm) * mr, cols = (double)ceil_div(nu, tn) * nr;
    double cost = rows * cols + 16.0 * (rows + cols);
    if (best < 0 || cost < best) {
      best = cost;
      best_tn = tn;
    }
  }
  long tm = tc / best_tn, ti_m = ti / best_tn, ti_n = ti % best_tn;
  long b, e;
  split_range(mu, tm, ti_m, &b, &e);
  *i0 = min_l(b * mr, m);
  *i1 = min_l(e * mr, m);
  split_range(nu, best_tn, ti_n, &b, &e);
  *j0 = min_l(b * nr, n);
  *j1 = min_l(e * nr, n);
}

// MARK: - GEMV

// m == 1 or n == 1: y = x·M with M = B (m == 1) or Aᵀ (n == 1), split over y between threads.
// Returns 0 when M has no unit stride, leaving the product to the blocked path.
static int gemv_run(const type_ops *t, const born_gemm_kernels *kr, long m, long n, long k,
                    const char *a, long rsa, long csa, const char *b, long rsb, long csb, char *c,
                    long ldc, int accumulate, int ti, int tc) {
  const long es = t->es;
  const char *x, *mat;
  long incx, rsm, csm, ny, incy;
  if (m == 1) {
    ny = n, x = a, incx = csa, mat = b, rsm = rsb, csm = csb, incy = 1;
  } else {
    ny = m, x = b, incx = rsb, mat = a, rsm = csa, csm = rsa, incy = ldc;
  }
  if (ny == 1) {
    if (ti != 0) return 1;
    char *buf = incx == 1 && rsm == 1 ? NULL : scratch(2 * round_up(k * es, 64));
    if (!buf && !(incx == 1 && rsm == 1)) {
      t->naive(1, 1, k, a, rsa, csa, b, rsb, csb, c, ldc, accumulate);
      return 1;
    }
    const char *xs = x, *ms = mat;
    if (incx != 1) {
      t->gather(k, x, incx, buf);
      xs = buf;
    }
    if (rsm != 1) {
      char *mbuf = buf + round_up(k * es, 64);
      t->gather(k, mat, rsm, mbuf);
      ms = mbuf;
    }
    kr->gemv_t(k, 1, xs, ms, 0, c, accumulate);
    return 1;
  }
  if (csm != 1 && rsm != 1) return 0;
  long j0, j1;
  split_range(ceil_div(ny, 16), tc, ti, &j0, &j1);
  j0 = min_l(j0 * 16, ny);
  j1 = min_l(j1 * 16, ny);
  if (j0 >= j1) return 1;
  long cnt = j1 - j0;
  long xbytes = incx != 1 ? round_up(k * es, 64) : 0;
  long ybytes = incy != 1 ? round_up(cnt * es, 64) : 0;
  char *buf = NULL;
  if (xbytes + ybytes) {
    buf = scratch(xbytes + ybytes);
    if (!buf) {
      // The other threads still take their own slices of y, so this one must finish its own.
      if (m == 1)
        t->naive(1, cnt, k, a, rsa, csa, b + j0 * csb * es, rsb, csb, c + j0 * es, ldc,
                 accumulate);
      else
        t->naive(cnt, 1, k, a + j0 * rsa * es, rsa, csa, b, rsb, csb, c + j0 * ldc * es, ldc,
                 accumulate);
      return 1;
    }
  }
  const char *xs = x;
  if (incx != 1) {
    t->gather(k, x, incx, buf);
    xs = buf;
  }
  char *y = incy != 1 ? buf + xbytes : c + j0 * es;
  int acc = incy != 1 ? 0 : accumulate;
  if (csm == 1)
    kr->gemv_n(k, cnt, xs, mat + j0 * es, rsm, y, acc);
  else
    kr->gemv_t(k, cnt, xs, mat + j0 * csm * es, csm, y, acc);
  if (incy != 1) t->scatter(cnt, y, c + j0 * ldc * es, ldc, accumulate);
  return 1;
}

// MARK: - Blocked GEMM

static void gemm_run(const type_ops *t, const born_gemm_kernels *kr, long m, long n, long k,
                     const char *a, long rsa, long csa, const char *b, long rsb, long csb,
                     char *c, long ldc, int accumulate, int ti, int tc) {
  if (m <= 0 || n <= 0) return;
  if (tc < 1) tc = 1;
  if (ti < 0 || ti >= tc) return;
  const long es = t->es;
  const long MR = kr->mr, NR = kr->nr, narrow = kr->nr_narrow;

  if (k > 0 && (m == 1 || n == 1) &&
      gemv_run(t, kr, m, n, k, a, rsa, csa, b, rsb, csb, c, ldc, accumulate, ti, tc))
    return;
  // Two to four columns (or two rows) of C: a GEMV pass per column streams A at cache
  // bandwidth, while the register tile would spend most of its lanes on padding.
  if (k > 0 && n * es <= 16 && n < m && (rsa == 1 || csa == 1)) {
    for (long j = 0; j < n; ++j)
      gemv_run(t, kr, m, 1, k, a, rsa, csa, b + j * csb * es, rsb, csb, c + j * es, ldc,
               accumulate, ti, tc);
    return;
  }
  if (k > 0 && m * es <= 8 && m < n && (rsb == 1 || csb == 1)) {
    for (long i = 0; i < m; ++i)
      gemv_run(t, kr, 1, n, k, a + i * rsa * es, rsa, csa, b, rsb, csb, c + i * ldc * es, ldc,
               accumulate, ti, tc);
    return;
  }

  long i0, i1, j0, j1;
  grid_split(m, n, (int)MR, (int)NR, tc, ti, &i0, &i1, &j0, &j1);
  if (i0 >= i1 || j0 >= j1) return;
  long rows = i1 - i0, cols = j1 - j0;

  if (k <= 0) {
    if (!accumulate)
      for (long i = i0; i < i1; ++i) memset(c + (i * ldc + j0) * es, 0, (size_t)(cols * es));
    return;
  }

  long MC = kr->mc, KC = kr->kc, NC = kr->nc;
  // The micro-kernel reads A in place when it has a unit stride and B when its rows are
  // contiguous. That saves the packing copy, which dominates for the small and mid-size shapes;
  // once a thread's share of an operand outgrows half of L2, strided rows start to thrash cache
  // sets and TLB entries, and the contiguous packed copy wins.
  const long half_l2 = 512 * 1024;
  int pack_a = !(rsa == 1 || csa == 1) || (cols > 2 * NR && rows * k * es >= half_l2);
  int pack_b = csb != 1 || (rows > 4 * MR && k * cols * es >= half_l2);
#ifdef BORN_GEMM_TUNING
  if (born_gemm_tune_mc) MC = born_gemm_tune_mc;
  if (born_gemm_tune_kc) KC = born_gemm_tune_kc;
  if (born_gemm_tune_nc) NC = born_gemm_tune_nc;
  if (born_gemm_tune_pack_a >= 0 && (rsa == 1 || csa == 1)) pack_a = born_gemm_tune_pack_a;
  if (born_gemm_tune_pack_b >= 0 && csb == 1) pack_b = born_gemm_tune_pack_b;
#endif

  const long kcs = ceil_div(k, ceil_div(k, KC));
  const long mcs = round_up(ceil_div(rows, ceil_div(rows, MC)), MR);
  const long ncs = round_up(ceil_div(cols, ceil_div(cols, NC)), NR);
  const long abytes = round_up((pack_a ? min_l(mcs, round_up(rows, MR)) : MR) * kcs * es, 64);
  const long bbytes = round_up((pack_b ? min_l(ncs, round_up(cols, NR)) : NR) * kcs * es, 64);
  char *abuf = scratch(abytes + bbytes);
  if (!abuf) {
    t->naive(rows, cols, k, a + i0 * rsa * es, rsa, csa, b + j0 * csb * es, rsb, csb,
             c + (i0 * ldc + j0) * es, ldc, accumulate);
    return;
  }
  char *bbuf = abuf + abytes;

  for (long jc = j0; jc < j1; jc += ncs) {
    const long nc = min_l(ncs, j1 - jc);
    const long nc_edge = nc % NR, jr_edge = nc - nc_edge;
    const long w_edge = narrow && nc_edge <= narrow ? narrow : NR;
    for (long pc = 0; pc < k; pc += kcs) {
      const long kc = min_l(kcs, k - pc);
      const int acc = accumulate || pc > 0;
      const char *bblk = b + (pc * rsb + jc * csb) * es;
      if (pack_b && csb == 1) {
        t->pack_b_rows(kc, nc, bblk, rsb, bbuf, (int)NR);
      } else if (pack_b) {
        for (long jr = 0; jr < nc; jr += NR) {
          const long nr = min_l(NR, nc - jr);
          if (kr->pack_b_t && rsb == 1 && nr == NR)
            kr->pack_b_t(kc, bblk + jr * csb * es, csb, bbuf + jr * kc * es);
          else
            t->pack_b(kc, nr, bblk + jr * csb * es, rsb, csb, bbuf + jr * kc * es, (int)NR);
        }
      } else if (nc_edge) {
        t->pack_b(kc, nc_edge, bblk + jr_edge * es, rsb, 1, bbuf, (int)w_edge);
      }
      for (long ic = i0; ic < i1; ic += mcs) {
        const long mc = min_l(mcs, i1 - ic);
        const long mc_edge = mc % MR, ir_edge = mc - mc_edge;
        const char *ablk = a + (ic * rsa + pc * csa) * es;
        if (pack_a) {
          for (long ir = 0; ir < mc; ir += MR) {
            const long mr = min_l(MR, mc - ir);
            if (kr->pack_a_t && csa == 1 && mr == MR)
              kr->pack_a_t(kc, ablk + ir * rsa * es, rsa, abuf + ir * kc * es);
            else
              t->pack_a(kc, mr, ablk + ir * rsa * es, rsa, csa, abuf + ir * kc * es, (int)MR);
          }
        } else if (mc_edge) {
          t->pack_a(kc, mc_edge, ablk + ir_edge * rsa * es, rsa, csa, abuf, (int)MR);
        }
        for (long jr = 0; jr < nc; jr += NR) {
          const long nr = min_l(NR, nc - jr);
          const char *bp;
          long ldb;
          if (pack_b) {
            bp = bbuf + jr * kc * es;
            ldb = NR;
          } else if (nr < NR) {
            bp = bbuf;
            ldb = w_edge;
          } else {
            bp = bblk + jr * es;
            ldb = rsb;
          }
          born_gemm_ukr ukr = narrow && nr <= narrow ? kr->ukr_narrow : kr->ukr;
          char *cp = c + (ic * ldc + jc + jr) * es;
          for (long ir = 0; ir < mc; ir += MR) {
            const long mr = min_l(MR, mc - ir);
            if (pack_a)
              ukr(kc, abuf + ir * kc * es, 1, MR, bp, ldb, cp, ldc, mr, nr, acc);
            else if (mr < MR)
              ukr(kc, abuf, 1, MR, bp, ldb, cp, ldc, mr, nr, acc);
            else
              ukr(kc, ablk + ir * rsa * es, rsa, csa, bp, ldb, cp, ldc, mr, nr, acc);
            cp += MR * ldc * es;
          }
        }
      }
    }
  }
}

// MARK: - Public entry points

static const born_gemm_kernels *s_kernels(void) {
  switch (born_isa_active()) {
#ifdef BORN_GEMM_X86
  case BORN_ISA_AVX512: return &born_sgemm_avx512;
  case BORN_ISA_AVX2: return &born_sgemm_avx2;
#endif
  default: return &s_generic;
  }
}

static const born_gemm_kernels *d_kernels(void) {
  switch (born_isa_active()) {
#ifdef BORN_GEMM_X86
  case BORN_ISA_AVX512: return &born_dgemm_avx512;
  case BORN_ISA_AVX2: return &born_dgemm_avx2;
#endif
  default: return &d_generic;
  }
}

void born_sgemm(long m, long n, long k, const float *a, long rsa, long csa, const float *b,
                long rsb, long csb, float *c, long ldc, int accumulate, int thread_index,
                int thread_count) {
  gemm_run(&s_ops, s_kernels(), m, n, k, (const char *)a, rsa, csa, (const char *)b, rsb, csb,
           (char *)c, ldc, accumulate, thread_index, thread_count);
}

void born_dgemm(long m, long n, long k, const double *a, long rsa, long csa, const double *b,
                long rsb, long csb, double *c, long ldc, int accumulate, int thread_index,
                int thread_count) {
  gemm_run(&d_ops, d_kernels(), m, n, k, (const char *)a, rsa, csa, (const char *)b, rsb, csb,
           (char *)c, ldc, accumulate, thread_index, thread_count);
}

int born_gemm_threads(long m, long n, long k, int max_threads) {
  if (max_threads <= 1 || m <= 0 || n <= 0 || k <= 0) return 1;
  double t;
  if (m == 1 || n == 1) {
    // Memory-bound: worth a thread per ~128K matrix elements streamed.
    t = (double)k * (double)max_l(m, n) / (128.0 * 1024.0);
  } else {
    // Waking a thread costs several µs: give each at least ~2 MFLOP.
    t = 2.0 * (double)m * (double)n * (double)k / 2.0e6;
    double tiles = (double)ceil_div(m, 8) * (double)ceil_div(n, 16);
    if (t > tiles) t = tiles;
  }
  if (t < 2) return 1;
  return t >= max_threads ? max_threads : (int)t;
}

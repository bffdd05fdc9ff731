// Dev harness for Born's C GEMM kernels.
//
//   gemm_harness test [quick]   compare every ISA variant with a double-accumulated reference
//   gemm_harness bench [seconds [isa]]  time the benchmark shapes (GFLOP/s, best single call)
//
// Built with -DBORN_GEMM_TUNING so the tests can force packing modes and tiny cache blocks.
#define _POSIX_C_SOURCE 200809L
#include "born_gemm.h"
#include "born_isa.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

extern int born_gemm_tune_mc, born_gemm_tune_kc, born_gemm_tune_nc;
extern int born_gemm_tune_pack_a, born_gemm_tune_pack_b, born_gemm_tune_no_scratch;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng_next(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}
static double rng_uniform(void) { return (double)(rng_next() >> 11) * 0x1p-53 * 2.0 - 1.0; }
static long rng_below(long n) { return (long)(rng_next() % (uint64_t)n); }

// MARK: - Calls on several threads

typedef struct {
  int dbl;
  long m, n, k;
  const void *a;
  long rsa, csa;
  const void *b;
  long rsb, csb;
  void *c;
  long ldc;
  int accumulate, tc;
} gemm_call;

static void call_part(const gemm_call *g, int ti) {
  if (g->dbl)
    born_dgemm(g->m, g->n, g->k, g->a, g->rsa, g->csa, g->b, g->rsb, g->csb, g->c, g->ldc,
               g->accumulate, ti, g->tc);
  else
    born_sgemm(g->m, g->n, g->k, g->a, g->rsa, g->csa, g->b, g->rsb, g->csb, g->c, g->ldc,
               g->accumulate, ti, g->tc);
}

typedef struct {
  const gemm_call *g;
  int ti;
} part_arg;

static void *part_thread(void *p) {
  part_arg *pa = p;
  call_part(pa->g, pa->ti);
  return NULL;
}

// Fresh pthreads per call: fine for tests, and safe with more threads than cores.
static void call_threads(const gemm_call *g) {
  pthread_t th[16];
  part_arg args[16];
  for (int t = 1; t < g->tc; ++t) {
    args[t] = (part_arg){g, t};
    pthread_create(&th[t], NULL, part_thread, &args[t]);
  }
  call_part(g, 0);
  for (int t = 1; t < g->tc; ++t) pthread_join(th[t], NULL);
}

// Spinning worker pool for timing: a wake-up costs well under a µs, so the timings measure
// the kernels rather than the scheduler.
#define POOL_MAX 8
static const gemm_call *pool_job;
static _Atomic unsigned pool_gen;
static _Atomic int pool_done, pool_quit;
static int pool_workers;
static pthread_t pool_th[POOL_MAX];

static void *pool_main(void *p) {
  int ti = (int)(intptr_t)p;
  unsigned seen = 0;
  for (;;) {
    unsigned g;
    while ((g = atomic_load_explicit(&pool_gen, memory_order_acquire)) == seen) {
      if (atomic_load_explicit(&pool_quit, memory_order_relaxed)) return NULL;
      CPU_RELAX();
    }
    seen = g;
    if (ti < pool_job->tc) call_part(pool_job, ti);
    atomic_fetch_add_explicit(&pool_done, 1, memory_order_release);
  }
}

static void pool_start(int workers) {
  pool_workers = workers;
  for (int i = 0; i < workers; ++i)
    pthread_create(&pool_th[i], NULL, pool_main, (void *)(intptr_t)(i + 1));
}

static void pool_stop(void) {
  atomic_store(&pool_quit, 1);
  for (int i = 0; i < pool_workers; ++i) pthread_join(pool_th[i], NULL);
  pool_workers = 0;
}

static void pool_call(const gemm_call *g) {
  if (g->tc <= 1) {
    call_part(g, 0);
    return;
  }
  pool_job = g;
  atomic_store_explicit(&pool_done, 0, memory_order_relaxed);
  atomic_fetch_add_explicit(&pool_gen, 1, memory_order_release);
  call_part(g, 0);
  while (atomic_load_explicit(&pool_done, memory_order_acquire) < pool_workers) CPU_RELAX();
}

// MARK: - Correctness

static const born_isa all_isas[] = {BORN_ISA_GENERIC, BORN_ISA_AVX2, BORN_ISA_AVX512};

// Storage layouts of an r×c operand: row-major with padding, column-major with padding, and
// element stride 2 (neither stride is 1, so it must be packed).
enum { ROW, COL, STRIDED, NLAYOUT };
static const char *layout_name[] = {"row", "col", "str2"};

static void layout_strides(int layout, long r, long c, long *rs, long *cs, long *elems) {
  switch (layout) {
  case ROW: *rs = c + 3, *cs = 1; break;
  case COL: *rs = 1, *cs = r + 5; break;
  default: *rs = 2 * c + 1, *cs = 2; break;
  }
  *elems = r > 0 && c > 0 ? (r - 1) * *rs + (c - 1) * *cs + 1 : 1;
}

static long failures, checks;
static double worst_f32, worst_f64;

// Threads 1, 2, 3 always, plus extra_tc (> 3) for a two-dimensional split of C.
static int check_shape(long m, long n, long k, int extra_tc) {
  int bad = 0;
  // Logical operands in double; the reference accumulates in double from the rounded values.
  double *ad = malloc(sizeof(double) * (size_t)(m * k + 1));
  double *bd = malloc(sizeof(double) * (size_t)(k * n + 1));
  double *c0 = malloc(sizeof(double) * (size_t)(m * n));
  double *ref[2], *mag = malloc(sizeof(double) * (size_t)(m * n));
  ref[0] = malloc(sizeof(double) * (size_t)(m * n));
  ref[1] = malloc(sizeof(double) * (size_t)(m * n));
  for (long i = 0; i < m * k; ++i) ad[i] = rng_uniform();
  for (long i = 0; i < k * n; ++i) bd[i] = rng_uniform();
  for (long i = 0; i < m * n; ++i) c0[i] = rng_uniform();
  for (int dbl = 0; dbl < 2; ++dbl)
    for (long i = 0; i < m; ++i)
      for (long j = 0; j < n; ++j) {
        double s = 0, am = 0;
        for (long p = 0; p < k; ++p) {
          double x = ad[i * k + p], y = bd[p * n + j];
          if (!dbl) x = (float)x, y = (float)y;
          s += x * y;
          am += fabs(x * y);
        }
        ref[dbl][i * n + j] = s;
        mag[i * n + j] = am;
      }

  const long ldc = n + 2;
  const size_t csize = (size_t)(m * ldc);
  void *cbuf = malloc(sizeof(double) * csize);
  for (int dbl = 0; dbl < 2; ++dbl) {
    const size_t es = dbl ? sizeof(double) : sizeof(float);
    const double tol = (dbl ? 1e-13 : 1e-5) * sqrt((double)(k > 0 ? k : 1));
    for (int la = 0; la < NLAYOUT; ++la)
      for (int lb = 0; lb < NLAYOUT; ++lb) {
        long rsa, csa, na, rsb, csb, nb;
        layout_strides(la, m, k, &rsa, &csa, &na);
        layout_strides(lb, k, n, &rsb, &csb, &nb);
        char *a = malloc(es * (size_t)na), *b = malloc(es * (size_t)nb);
        // Fill gaps with NaN: a kernel reading outside the operand poisons the result.
        for (long i = 0; i < na; ++i)
          dbl ? (((double *)a)[i] = NAN) : (((float *)a)[i] = NAN);
        for (long i = 0; i < nb; ++i)
          dbl ? (((double *)b)[i] = NAN) : (((float *)b)[i] = NAN);
        for (long i = 0; i < m; ++i)
          for (long p = 0; p < k; ++p) {
            long o = i * rsa + p * csa;
            dbl ? (((double *)a)[o] = ad[i * k + p]) : (((float *)a)[o] = (float)ad[i * k + p]);
          }
        for (long p = 0; p < k; ++p)
          for (long j = 0; j < n; ++j) {
            long o = p * rsb + j * csb;
            dbl ? (((double *)b)[o] = bd[p * n + j]) : (((float *)b)[o] = (float)bd[p * n + j]);
          }
        for (size_t is = 0; is < sizeof all_isas / sizeof *all_isas; ++is) {
          if (!born_isa_set(all_isas[is])) continue;
          for (int acc = 0; acc < 2; ++acc)
            for (int tc = 1; tc <= (extra_tc > 3 ? 4 : 3); ++tc) {
              if (tc == 4) tc = extra_tc;
              // C: NaN when overwritten (must not be read), c0 when accumulated; the padding
              // columns hold a sentinel that must survive.
              for (long i = 0; i < m; ++i)
                for (long j = 0; j < ldc; ++j) {
                  double v = j >= n ? 12345.0 : acc ? c0[i * n + j] : NAN;
                  if (dbl)
                    ((double *)cbuf)[i * ldc + j] = v;
                  else
                    ((float *)cbuf)[i * ldc + j] = (float)v;
                }
              gemm_call g = {dbl, m, n, k, a, rsa, csa, b, rsb, csb, cbuf, ldc, acc, tc};
              call_threads(&g);
              double worst = 0;
              long bi = -1, bj = -1;
              for (long i = 0; i < m; ++i)
                for (long j = 0; j < ldc; ++j) {
                  double got = dbl ? ((double *)cbuf)[i * ldc + j] : ((float *)cbuf)[i * ldc + j];
                  if (j >= n) {
                    if (got != 12345.0) worst = INFINITY, bi = i, bj = j;
                    continue;
                  }
                  double base = acc ? (dbl ? c0[i * n + j] : (float)c0[i * n + j]) : 0.0;
                  double want = base + ref[dbl][i * n + j];
                  double scale = fabs(base) + mag[i * n + j] + 1e-30;
                  double e = fabs(got - want) / scale;
                  if (!(e <= worst)) worst = isnan(e) ? INFINITY : e, bi = i, bj = j;
                }
              ++checks;
              double *w = dbl ? &worst_f64 : &worst_f32;
              if (worst > *w && worst <= tol) *w = worst;
              if (!(worst <= tol)) {
                ++failures;
                if (bad++ < 5)
                  printf("FAIL %s %s m=%ld n=%ld k=%ld A=%s B=%s acc=%d threads=%d: rel err %.3g "
                         "at (%ld,%ld) tol %.3g\n",
                         dbl ? "dgemm" : "sgemm", born_isa_name(all_isas[is]), m, n, k,
                         layout_name[la], layout_name[lb], acc, tc, worst, bi, bj, tol);
              }
            }
        }
        free(a);
        free(b);
      }
  }
  born_isa_set(BORN_ISA_GENERIC);
  free(ad), free(bd), free(c0), free(ref[0]), free(ref[1]), free(mag), free(cbuf);
  return bad;
}

static void restore_best_isa(void) {
  for (int i = 2; i >= 0; --i)
    if (born_isa_set(all_isas[i])) return;
}

static int run_tests(int quick) {
  static const long sizes[] = {1, 2, 5, 7, 15, 17, 31, 33, 63, 65, 127, 129, 257};
  const int ns = (int)(sizeof sizes / sizeof *sizes);
  double t0 = now();
  printf("ISAs supported:");
  for (int i = 0; i < 3; ++i)
    if (born_isa_supported(all_isas[i])) printf(" %s", born_isa_name(all_isas[i]));
  printf("\n");

  // Every edge size on each axis against a few partners, then random triples.
  long shapes[400][3];
  int count = 0;
  for (int i = 0; i < ns; ++i) {
    shapes[count][0] = sizes[i], shapes[count][1] = 33, shapes[count][2] = 17, ++count;
    shapes[count][0] = 17, shapes[count][1] = sizes[i], shapes[count][2] = 33, ++count;
    shapes[count][0] = 33, shapes[count][1] = 17, shapes[count][2] = sizes[i], ++count;
  }
  long fixed[][3] = {{0, 5, 7},   {5, 0, 7},    {5, 7, 0},     {1, 1, 1},     {1, 1, 300},
                     {1, 300, 1}, {300, 1, 1},  {1, 257, 129}, {257, 1, 129}, {1, 1536, 576},
                     {64, 10, 128}, {64, 128, 10}, {10, 128, 64}, {129, 65, 600},
                     {65, 3, 33},   {129, 4, 65},  {2, 65, 33},   {3, 129, 17},  {4, 4, 4}};
  for (size_t i = 0; i < sizeof fixed / sizeof *fixed; ++i, ++count)
    memcpy(shapes[count], fixed[i], sizeof fixed[i]);
  int randoms = quick ? 10 : 60;
  for (int r = 0; r < randoms; ++r, ++count)
    for (int d = 0; d < 3; ++d) shapes[count][d] = sizes[rng_below(quick ? 10 : ns)];

  for (int s = 0; s < count; ++s)
    check_shape(shapes[s][0], shapes[s][1], shapes[s][2], s % 2 ? 4 : 0);
  printf("default blocking: %ld checks, %ld failures (%.1fs)\n", checks, failures, now() - t0);

  // Tiny cache blocks and forced packing modes exercise every loop and edge of the driver on
  // shapes small enough to check exhaustively.
  static const int blocks[][3] = {{16, 16, 64}, {24, 7, 40}, {0, 0, 0}};
  for (size_t bi = 0; bi < sizeof blocks / sizeof *blocks; ++bi)
    for (int pa = -1; pa <= 1; ++pa)
      for (int pb = -1; pb <= 1; ++pb) {
        born_gemm_tune_mc = blocks[bi][0], born_gemm_tune_kc = blocks[bi][1];
        born_gemm_tune_nc = blocks[bi][2];
        born_gemm_tune_pack_a = pa, born_gemm_tune_pack_b = pb;
        for (int r = 0; r < (quick ? 2 : 4); ++r) {
          long m = sizes[rng_below(ns - 1)], n = sizes[rng_below(ns - 1)],
               k = sizes[rng_below(ns - 1)];
          check_shape(m, n, k, 0);
        }
        check_shape(65, 129, 33, 0);
      }
  born_gemm_tune_mc = born_gemm_tune_kc = born_gemm_tune_nc = 0;
  born_gemm_tune_pack_a = born_gemm_tune_pack_b = -1;

  // Allocation failure: every path falls back to plain loops over the thread's own part.
  born_gemm_tune_no_scratch = 1;
  for (int r = 0; r < 6; ++r)
    check_shape(sizes[rng_below(8)], sizes[rng_below(8)], sizes[rng_below(8)], 0);
  check_shape(1, 65, 33, 0);
  check_shape(65, 1, 33, 0);
  check_shape(1, 1, 33, 0);
  born_gemm_tune_no_scratch = 0;

  // Large enough for several real cache blocks (k > KC, n > NC on one thread, m > MC).
  if (!quick) {
    check_shape(600, 70, 700, 6);
    check_shape(33, 4200, 40, 4);
    check_shape(530, 530, 520, 8);
  }
  printf("total: %ld checks, %ld failures; worst passing rel err f32 %.3g, f64 %.3g (%.1fs)\n",
         checks, failures, worst_f32, worst_f64, now() - t0);
  restore_best_isa();
  return failures != 0;
}

// MARK: - Timing

typedef struct {
  const char *name;
  long m, n, k;
  int ta, tb;  // A / B read transposed in place
  int dbl;
} bench_shape;

static const bench_shape bench_shapes[] = {
    {"sgemm 256^3", 256, 256, 256, 0, 0, 0},
    {"sgemm 512^3", 512, 512, 512, 0, 0, 0},
    {"sgemm 1024^3", 1024, 1024, 1024, 0, 0, 0},
    {"sgemm 2048^3", 2048, 2048, 2048, 0, 0, 0},
    {"64x784*784x128", 64, 128, 784, 0, 0, 0},
    {"64x128*128x10", 64, 10, 128, 0, 0, 0},
    {"784x64*64x128 (A^T)", 784, 128, 64, 1, 0, 0},
    {"128x64*64x10 (A^T)", 128, 10, 64, 1, 0, 0},
    {"64x10*10x128 (B^T)", 64, 128, 10, 0, 1, 0},
    {"gemv 1x576*576x1536", 1, 1536, 576, 0, 0, 0},
    {"sgemm 1024^3 (A^T)", 1024, 1024, 1024, 1, 0, 0},
    {"sgemm 1024^3 (B^T)", 1024, 1024, 1024, 0, 1, 0},
    {"dgemm 512^3", 512, 512, 512, 0, 0, 1},
    {"dgemm 1024^3", 1024, 1024, 1024, 0, 0, 1},
    {"dgemm 64x784*784x128", 64, 128, 784, 0, 0, 1},
};

// Minimum over single calls: on a shared machine a run that another process interrupts is
// slower, never faster, so the minimum is the cleanest estimate.
static double time_call(const gemm_call *g, double budget) {
  for (int i = 0; i < 3; ++i) pool_call(g);
  double best = INFINITY, start = now();
  for (long calls = 0; calls < 5 || (now() - start < budget && calls < 20000); ++calls) {
    double t = now();
    pool_call(g);
    t = now() - t;
    if (t < best) best = t;
  }
  return best;
}

static int env_int(const char *name, int fallback) {
  const char *v = getenv(name);
  return v ? atoi(v) : fallback;
}

static int run_bench(double budget, const char *only_isa) {
  // GEMM_MC / GEMM_KC / GEMM_NC / GEMM_PACK_A / GEMM_PACK_B override the blocking for tuning.
  born_gemm_tune_mc = env_int("GEMM_MC", 0), born_gemm_tune_kc = env_int("GEMM_KC", 0);
  born_gemm_tune_nc = env_int("GEMM_NC", 0);
  born_gemm_tune_pack_a = env_int("GEMM_PACK_A", -1);
  born_gemm_tune_pack_b = env_int("GEMM_PACK_B", -1);
  const char *only_shape = getenv("GEMM_SHAPE");
  pool_start(1);
  printf("%-24s %7s %4s", "shape", "isa", "thr");
  printf(" %10s %8s\n", "us", "GFLOP/s");
  // GEMM_MNK=m,n,k[,ta,tb,dbl] times that shape alone.
  bench_shape custom = {"custom", 0, 0, 0, 0, 0, 0};
  const char *mnk = getenv("GEMM_MNK");
  if (mnk)
    sscanf(mnk, "%ld,%ld,%ld,%d,%d,%d", &custom.m, &custom.n, &custom.k, &custom.ta, &custom.tb,
           &custom.dbl);
  const size_t nshapes = mnk ? 1 : sizeof bench_shapes / sizeof *bench_shapes;
  for (size_t s = 0; s < nshapes; ++s) {
    const bench_shape *sh = mnk ? &custom : &bench_shapes[s];
    if (only_shape && !strstr(sh->name, only_shape)) continue;
    long m = sh->m, n = sh->n, k = sh->k;
    const size_t es = sh->dbl ? sizeof(double) : sizeof(float);
    void *a = aligned_alloc(64, es * (size_t)(m * k + 16));
    void *b = aligned_alloc(64, es * (size_t)(k * n + 16));
    void *c = aligned_alloc(64, es * (size_t)(m * n + 16));
    for (long i = 0; i < m * k; ++i)
      sh->dbl ? (((double *)a)[i] = rng_uniform()) : (((float *)a)[i] = (float)rng_uniform());
    for (long i = 0; i < k * n; ++i)
      sh->dbl ? (((double *)b)[i] = rng_uniform()) : (((float *)b)[i] = (float)rng_uniform());
    // A^T: A is stored as its k×m transpose (row-major), read with rsa = 1, csa = m.
    long rsa = sh->ta ? 1 : k, csa = sh->ta ? m : 1;
    long rsb = sh->tb ? 1 : n, csb = sh->tb ? k : 1;
    int tc = born_gemm_threads(m, n, k, env_int("GEMM_THREADS", 2));
    for (int is = 2; is >= 0; --is) {
      if (!born_isa_set(all_isas[is])) continue;
      if (only_isa && strcmp(only_isa, born_isa_name(all_isas[is])) != 0) continue;
      gemm_call g = {sh->dbl, m, n, k, a, rsa, csa, b, rsb, csb, c, n, 0, tc};
      double t = time_call(&g, budget);
      printf("%-24s %7s %4d %10.2f %8.1f\n", sh->name, born_isa_name(all_isas[is]), tc, t * 1e6,
             2.0 * (double)m * (double)n * (double)k / t * 1e-9);
      fflush(stdout);
    }
    free(a), free(b), free(c);
  }
  pool_stop();
  restore_best_isa();
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "test") == 0)
    return run_tests(argc >= 3 && strcmp(argv[2], "quick") == 0);
  if (argc >= 2 && strcmp(argv[1], "bench") == 0)
    return run_bench(argc >= 3 ? atof(argv[2]) : 0.5, argc >= 4 ? argv[3] : NULL);
  fprintf(stderr, "usage: %s test [quick] | bench [seconds [isa]]\n", argv[0]);
  return 2;
}

// Exhaustive (or strided) accuracy sweep of the vector variants over float inputs.
//
//   exhaustive [stride] [func ...]
//
// Every stride-th bit pattern of the 2^32 floats (stride 1 = all of them) is run through each
// available vector variant and compared with a double-precision reference (the C library in
// double, the same formulas as the generic variant before its final rounding). Prints, per
// function and variant, the largest error in ulps (ulps of float at the reference; below 2^-126
// the subnormal ulp), where it occurs, and the number of NaN / infinity mismatches. Two threads.
#include "born_isa.h"
#include "born_vmath.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *names[] = {"exp", "log", "log1p", "expm1", "tanh", "sigmoid", "sin",
                              "cos", "gelu", "gelu_tanh", "silu", "softplus", "erf"};
enum { NFUNC = 13, CHUNK = 1 << 16, THREADS = 2 };

static double ref(int f, float xf) {
  double x = xf;
  switch (f) {
  case BORN_VEXP: return exp(x);
  case BORN_VLOG: return log(x);
  case BORN_VLOG1P: return log1p(x);
  case BORN_VEXPM1: return expm1(x);
  case BORN_VTANH: return tanh(x);
  case BORN_VSIGMOID: return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
  case BORN_VSIN: return sin(x);
  case BORN_VCOS: return cos(x);
  case BORN_VERF: return erf(x);
  case BORN_VSOFTPLUS: return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
  default: break;
  }
  if (x == -INFINITY) return -0.0;
  double v = x;
  if (f == BORN_VGELU) return 0.5 * x * erfc(-x * 0.7071067811865476);
  if (f == BORN_VGELU_TANH) v = 2 * 0.7978845608028654 * (x + 0.044715 * x * x * x);
  return v >= 0 ? x / (1 + exp(-v)) : x * exp(v) / (1 + exp(v));
}

static double ulps(float y, double r) {
  if (isnan(r) || isnan(y)) return isnan(r) && isnan(y) ? 0 : INFINITY;
  float r32 = (float)r;
  if (isinf(r32) || isinf(y)) return (double)y == (double)r32 ? 0 : INFINITY;
  int e;
  frexp(r, &e);  // r = m 2^e, m in [0.5, 1)
  if (r == 0 || e - 1 < -126) e = -125;
  return fabs((double)y - r) / ldexp(1.0, e - 1 - 23);
}

typedef struct {
  int func, isa;
  double worst;
  uint32_t worst_bits;
  long bad;  // NaN/inf mismatches
} result;

static int funcs[NFUNC], nfuncs, isas[2], nisas, cur;
static long stride;
static _Atomic long next_chunk;
static result results[NFUNC][2];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg) {
  (void)arg;
  float *x = malloc(CHUNK * sizeof(float)), *y = malloc(CHUNK * sizeof(float));
  uint64_t total = (1ull << 32) / (uint64_t)stride;
  for (;;) {
    uint64_t c = (uint64_t)next_chunk++;
    if (c * CHUNK >= total) break;
    long n = (long)(total - c * CHUNK < CHUNK ? total - c * CHUNK : CHUNK);
    for (long i = 0; i < n; i++) {
      uint32_t b = (uint32_t)((c * CHUNK + (uint64_t)i) * (uint64_t)stride);
      memcpy(&x[i], &b, 4);
    }
    for (int fi = 0; fi < nfuncs; fi++) {
      int f = funcs[fi];
      double *r = malloc(n * sizeof(double));
      for (long i = 0; i < n; i++) r[i] = ref(f, x[i]);
      {
        int k = cur;
        born_vmath_f32((born_vfunc)f, x, y, n);
        double worst = 0;
        long worst_i = -1, bad = 0;
        for (long i = 0; i < n; i++) {
          double u = ulps(y[i], r[i]);
          if (isinf(u)) bad++;
          else if (u > worst) worst = u, worst_i = i;
        }
        pthread_mutex_lock(&lock);
        result *res = &results[fi][k];
        res->bad += bad;
        if (worst_i >= 0 && worst > res->worst) {
          res->worst = worst;
          memcpy(&res->worst_bits, &x[worst_i], 4);
        }
        pthread_mutex_unlock(&lock);
      }
      free(r);
    }
  }
  free(x);
  free(y);
  return NULL;
}

int main(int argc, char **argv) {
  stride = argc > 1 ? atol(argv[1]) : 1;
  if (stride < 1) stride = 1;
  for (int i = 2; i < argc; i++)
    for (int f = 0; f < NFUNC; f++)
      if (strcmp(argv[i], names[f]) == 0) funcs[nfuncs++] = f;
  if (nfuncs == 0)
    for (int f = 0; f < NFUNC; f++) funcs[nfuncs++] = f;
  if (born_isa_supported(BORN_ISA_AVX2)) isas[nisas++] = BORN_ISA_AVX2;
  if (born_isa_supported(BORN_ISA_AVX512)) isas[nisas++] = BORN_ISA_AVX512;
  if (nisas == 0) {
    printf("no vector variant on this CPU\n");
    return 0;
  }
  // born_isa_set is process-wide: one variant at a time, both threads on it.
  for (cur = 0; cur < nisas; cur++) {
    born_isa_set((born_isa)isas[cur]);
    next_chunk = 0;
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  }
  printf("%-10s", "function");
  for (int k = 0; k < nisas; k++)
    printf(" | %-8s max ulp  at x               mismatches", born_isa_name((born_isa)isas[k]));
  printf("\n");
  for (int fi = 0; fi < nfuncs; fi++) {
    printf("%-10s", names[funcs[fi]]);
    for (int k = 0; k < nisas; k++) {
      result *r = &results[fi][k];
      float xw;
      memcpy(&xw, &r->worst_bits, 4);
      printf(" | %8.3f  %-16.9g (%08x) %6ld", r->worst, xw, r->worst_bits, r->bad);
    }
    printf("\n");
  }
  printf("stride %ld: %llu inputs per function\n", stride,
         (1ull << 32) / (unsigned long long)stride);
  return 0;
}

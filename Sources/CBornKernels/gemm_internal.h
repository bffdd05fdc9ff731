// Private interface between the GEMM driver (gemm.c) and its per-ISA kernels.
#ifndef BORN_GEMM_INTERNAL_H
#define BORN_GEMM_INTERNAL_H

// The x86 variants rely on GCC/Clang target attributes to build without -m flags.
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define BORN_GEMM_X86 1
#endif

// Micro-kernel for one MR×W tile, W being the kernel's width (nr or nr_narrow):
//   C[0:mr, 0:nr] = (accumulate ? C : 0) + A·B  over k.
// A's element (i, p) is a[i*rsa + p*csa], and rsa == 1 or csa == 1. Row p of B is the W
// contiguous elements at b + p*ldb. All MR rows of A and W columns of B are read (the driver
// pads edges with zeros); only mr ≤ MR rows and nr ≤ W columns of C are touched.
typedef void (*born_gemm_ukr)(long k, const void *a, long rsa, long csa, const void *b, long ldb,
                              void *c, long ldc, long mr, long nr, int accumulate);

// Vector-matrix product y = (accumulate ? y : 0) + x·M with x of length k, y of length n (both
// contiguous) and M k×n. gemv_n: M's rows are contiguous (element (p, j) at m[p*ldm + j]).
// gemv_t: M's columns are contiguous (element (p, j) at m[p + j*ldm]).
typedef void (*born_gemv)(long k, long n, const void *x, const void *m, long ldm, void *y,
                          int accumulate);

// Transposing copy of one full micro-panel: dst[p*W + i] = src[i*rs + p] for i < W, p < kc,
// W being MR (pack_a_t: rows of a row-major A) or NR (pack_b_t: columns of a column-major B).
// An ISA's in-register transposes beat the generic strided copy by several times.
typedef void (*born_gemm_pack)(long kc, const void *src, long rs, void *dst);

typedef struct {
  int mr, nr;      // register tile
  int nr_narrow;   // width of ukr_narrow (0: none), used for tiles with nr <= nr_narrow
  int mc, kc, nc;  // cache blocks: A block mc×kc in L2, B micro-panel kc×nr in L1
  born_gemm_ukr ukr, ukr_narrow;
  born_gemm_pack pack_a_t, pack_b_t;  // NULL: the generic copy
  born_gemv gemv_n, gemv_t;
} born_gemm_kernels;

#ifdef BORN_GEMM_X86
extern const born_gemm_kernels born_sgemm_avx2, born_dgemm_avx2;
extern const born_gemm_kernels born_sgemm_avx512, born_dgemm_avx512;
#endif

#endif

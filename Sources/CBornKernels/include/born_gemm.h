// Dense matrix multiplication micro-kernels: C = A·B (or C += A·B).
//
// A is m×k with element (i, p) at a[i*rsa + p*csa]; B is k×n with element (p, j) at
// b[p*rsb + j*csb]; C is m×n row-major with row stride ldc. Any strides are accepted, so
// transposed operands need no copy: packing reads them in place.
//
// Threading is the caller's: call the same function from `thread_count` threads at once with
// thread_index = 0 ..< thread_count; each computes a disjoint part of C. Per-thread packing
// buffers are thread-local and reused between calls.
#ifndef BORN_GEMM_H
#define BORN_GEMM_H

#ifdef __cplusplus
extern "C" {
#endif

void born_sgemm(long m, long n, long k, const float *a, long rsa, long csa, const float *b,
                long rsb, long csb, float *c, long ldc, int accumulate, int thread_index,
                int thread_count);

void born_dgemm(long m, long n, long k, const double *a, long rsa, long csa, const double *b,
                long rsb, long csb, double *c, long ldc, int accumulate, int thread_index,
                int thread_count);

/// The number of threads (1 ... max_threads) worth using for an m×k·k×n product.
int born_gemm_threads(long m, long n, long k, int max_threads);

#ifdef __cplusplus
}
#endif
#endif

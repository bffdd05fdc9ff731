// Fused optimizer updates and small elementwise kernels over contiguous f32 arrays.
#ifndef BORN_UPDATE_H
#define BORN_UPDATE_H

#ifdef __cplusplus
extern "C" {
#endif

/// y[i] = sqrt(x[i]) (x and y may be the same array).
void born_vsqrt_f32(const float *x, float *y, long n);
/// y[i] = 1 / sqrt(x[i]).
void born_vrsqrt_f32(const float *x, float *y, long n);

/// One Adam/AdamW step over n elements (PyTorch's arithmetic): m and v (and vmax when not
/// NULL) are updated in place, the new parameter goes to out. `shrink` multiplies the
/// parameter first (AdamW's 1 - lr·wd, else 1); `wd` adds wd·θ to the gradient (Adam's L2).
void born_adam_f32(const float *p, const float *g, float *m, float *v, float *vmax, float *out, long n,
                   float beta1, float beta2, float shrink, float wd, float step_size, float inv_bc2_root,
                   float eps);

/// C[i][j] += Σₖ A[i][k]·B[j][k] for row-major A (m×k, row stride lda) and B (n×k, row
/// stride ldb): the product A·Bᵀ computed as dot products of rows, for few outputs and long k.
void born_dot_rows_f32(long m, long n, long k, const float *a, long lda, const float *bm, long ldb, float *c,
                       long ldc);

#ifdef __cplusplus
}
#endif
#endif

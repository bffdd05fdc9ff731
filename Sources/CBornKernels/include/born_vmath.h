// Vectorized math over contiguous arrays (f32 and f16/bf16 conversion).
//
// Each function has generic, AVX2+FMA and AVX-512 variants selected by born_isa_active().
// x and y may be the same array (in place); otherwise they must not overlap.
#ifndef BORN_VMATH_H
#define BORN_VMATH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  BORN_VEXP = 0,
  BORN_VLOG,
  BORN_VLOG1P,
  BORN_VEXPM1,
  BORN_VTANH,
  BORN_VSIGMOID,
  BORN_VSIN,
  BORN_VCOS,
  BORN_VGELU,       // x * Φ(x), exact (erf)
  BORN_VGELU_TANH,  // tanh approximation
  BORN_VSILU,
  BORN_VSOFTPLUS,   // log(1 + exp(x)), stable
  BORN_VERF,
} born_vfunc;

/// y[i] = f(x[i]) for i < n.
void born_vmath_f32(born_vfunc f, const float *x, float *y, long n);

/// Sum of n floats (accurate: multiple accumulators and pairwise blocks).
float born_sum_f32(const float *x, long n);
/// Maximum of n floats (NaN if any is NaN); -inf for n == 0.
float born_max_f32(const float *x, long n);

/// Softmax (or log-softmax when `log` != 0) of each of `rows` contiguous rows of `cols` floats.
void born_softmax_rows_f32(const float *x, float *y, long rows, long cols, int log);

/// Conversions with round-to-nearest-even; NaN stays NaN (quiet), overflow goes to ±inf.
void born_f32_to_f16(const float *x, uint16_t *y, long n);
void born_f16_to_f32(const uint16_t *x, float *y, long n);
void born_f32_to_bf16(const float *x, uint16_t *y, long n);
void born_bf16_to_f32(const uint16_t *x, float *y, long n);

#ifdef __cplusplus
}
#endif
#endif

// Memory-bound loops written with clang vector types: __builtin_elementwise_sqrt has no errno
// side effect, so these vectorize at the baseline ISA without -fno-math-errno.
#include "born_update.h"

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

void born_adam_f32(const float *p, const float *g, float *m, float *v, float *vmax, float *out, long n,
                   float beta1, float beta2, float shrink, float wd, float step_size, float inv_bc2_root,
                   float eps) {
  const float a1 = 1.0f - beta1, a2 = 1.0f - beta2;
  long i = 0;
  for (; i + 4 <= n; i += 4) {
    v8f param = load8(p + i) * shrink;
    v8f grad = load8(g + i) + param * wd;
    v8f mi = load8(m + i) * beta1 + grad * a1;
    v8f vi = load8(v + i) * beta2 + grad * grad * a2;
    store8(m + i, mi);
    store8(v + i, vi);
    if (vmax) {
      vi = __builtin_elementwise_max(load8(vmax + i), vi);
      store8(vmax + i, vi);
    }
    store8(out + i, param - (mi / (__builtin_elementwise_sqrt(vi) * inv_bc2_root + eps)) * step_size);
  }
  for (; i < n; i++) {
    float param = p[i] * shrink;
    float grad = g[i] + param * wd;
    float mi = m[i] * beta1 + grad * a1;
    float vi = v[i] * beta2 + grad * grad * a2;
    m[i] = mi;
    v[i] = vi;
    if (vmax) {
      vi = vmax[i] > vi ? vmax[i] : vi;
      vmax[i] = vi;
    }
    out[i] = param - (mi / (__builtin_sqrtf(vi) * inv_bc2_root + eps)) * step_size;
  }
}

// AVX2 + FMA (+ F16C) variant of the vector math kernels: the primitives used by the shared
// kernels of vmath_internal.h, then the f16/bf16 conversions.
#include "vmath_internal.h"

#ifdef BORN_VM_X86

#include <immintrin.h>
#include <string.h>

#define VM_TARGET __attribute__((target("avx2,fma,f16c")))
#define VM_FN static inline VM_TARGET
#define VM_NAME(name) name##_avx2

enum { W = 8 };
typedef __m256 V;
typedef __m256i VI;
typedef __m256 M;  // lanes of all ones or all zeros
typedef __m256d VD;

VM_FN V vset(float a) { return _mm256_set1_ps(a); }
VM_FN VI viset(int a) { return _mm256_set1_epi32(a); }
VM_FN V vload(const float *p) { return _mm256_loadu_ps(p); }
VM_FN void vstore(float *p, V v) { _mm256_storeu_ps(p, v); }
VM_FN VI vtaili(long k) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
VM_FN M vtail(long k) { return _mm256_castsi256_ps(vtaili(k)); }
// p aligned to the vector size.
VM_FN void vstream(float *p, V v) { _mm256_stream_ps(p, v); }
VM_FN void vfence(void) { _mm_sfence(); }
VM_FN V vload_n(const float *p, long k) { return _mm256_maskload_ps(p, vtaili(k)); }
VM_FN void vstore_n(float *p, V v, long k) { _mm256_maskstore_ps(p, vtaili(k), v); }

VM_FN V vadd(V a, V b) { return _mm256_add_ps(a, b); }
VM_FN V vsub(V a, V b) { return _mm256_sub_ps(a, b); }
VM_FN V vmul(V a, V b) { return _mm256_mul_ps(a, b); }
VM_FN V vdiv(V a, V b) { return _mm256_div_ps(a, b); }
VM_FN V vfma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
VM_FN V vfms(V a, V b, V c) { return _mm256_fmsub_ps(a, b, c); }
VM_FN V vfnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
// Return b when either operand is NaN.
VM_FN V vmin(V a, V b) { return _mm256_min_ps(a, b); }
VM_FN V vmax(V a, V b) { return _mm256_max_ps(a, b); }
VM_FN V vxor(V a, V b) { return _mm256_xor_ps(a, b); }
VM_FN V vabs(V a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
VM_FN V vneg(V a) { return _mm256_xor_ps(_mm256_set1_ps(-0.0f), a); }
VM_FN V vxorsign(V a, V s) { return _mm256_xor_ps(a, _mm256_and_ps(s, _mm256_set1_ps(-0.0f))); }
VM_FN V vcopysign(V a, V s) { return vxorsign(vabs(a), s); }
VM_FN V vround(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
VM_FN VI vcvt(V a) { return _mm256_cvtps_epi32(a); }
VM_FN VI vcvtt(V a) { return _mm256_cvttps_epi32(a); }
VM_FN V vcvtf(VI a) { return _mm256_cvtepi32_ps(a); }
VM_FN VI vasi(V a) { return _mm256_castps_si256(a); }
VM_FN V vasf(VI a) { return _mm256_castsi256_ps(a); }
VM_FN VI viadd(VI a, VI b) { return _mm256_add_epi32(a, b); }
VM_FN VI visub(VI a, VI b) { return _mm256_sub_epi32(a, b); }
VM_FN VI viand(VI a, VI b) { return _mm256_and_si256(a, b); }
VM_FN VI vimin(VI a, VI b) { return _mm256_min_epi32(a, b); }
#define vslli(a, n) _mm256_slli_epi32((a), (n))
#define vsrai(a, n) _mm256_srai_epi32((a), (n))

VM_FN M vlt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
VM_FN M vgt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
VM_FN M vge(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
VM_FN M veq(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
VM_FN M vnle(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_NLE_UQ); }
VM_FN M vnan(V a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
VM_FN M mieq(VI a, VI b) { return _mm256_castsi256_ps(_mm256_cmpeq_epi32(a, b)); }
VM_FN M mand(M a, M b) { return _mm256_and_ps(a, b); }
VM_FN M mor(M a, M b) { return _mm256_or_ps(a, b); }
VM_FN int many(M m) { return _mm256_movemask_ps(m) != 0; }
VM_FN V vsel(M m, V a, V b) { return _mm256_blendv_ps(b, a, m); }

// tab[i] for each lane's i in 0..7.
VM_FN V vperm8(const float *tab, VI i) { return _mm256_permutevar8x32_ps(_mm256_loadu_ps(tab), i); }

// v 2^k for integer-valued k in [-252, 254]: two factors, each a normal power of two, so that the
// product rounds once even when it is subnormal.
VM_FN V vscale(V v, V k) {
  VI n = _mm256_cvtps_epi32(k);
  VI h = _mm256_srai_epi32(n, 1);
  VI bias = _mm256_set1_epi32(127);
  V s1 = vasf(_mm256_slli_epi32(_mm256_add_epi32(h, bias), 23));
  V s2 = vasf(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(n, h), bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(v, s1), s2);
}

VM_FN float vhsum(V v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

VM_FN float vhmax(V v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

VM_FN VD vdset(double a) { return _mm256_set1_pd(a); }
VM_FN VD vdmul(VD a, VD b) { return _mm256_mul_pd(a, b); }
VM_FN VD vdfma(VD a, VD b, VD c) { return _mm256_fmadd_pd(a, b, c); }
VM_FN VD vd_lo(V a) { return _mm256_cvtps_pd(_mm256_castps256_ps128(a)); }
VM_FN VD vd_hi(V a) { return _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)); }
VM_FN V vd_join(VD lo, VD hi) { return _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo)); }

#define BORN_VM_KERNELS
#include "vmath_internal.h"

#define VM_RNE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

// f32 -> f16 with F16C, round to nearest even; the instruction quiets NaNs and keeps their sign.
VM_TARGET void born_f32_to_f16_avx2(const float *x, uint16_t *y, long n) {
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(vload(x + i), VM_RNE));
    _mm_storeu_si128((__m128i *)(y + i + 8), _mm256_cvtps_ph(vload(x + i + 8), VM_RNE));
  }
  for (; i < n; i += 8) {
    long m = n - i < 8 ? n - i : 8;
    uint16_t t[8];
    _mm_storeu_si128((__m128i *)t, _mm256_cvtps_ph(vload_n(x + i, m), VM_RNE));
    memcpy(y + i, t, (size_t)m * sizeof(uint16_t));
  }
}

// Sets the quiet bit of NaN lanes (f32 bits in v).
VM_FN VI vm_quiet(VI v) {
  VI mag = _mm256_and_si256(v, _mm256_set1_epi32(0x7fffffff));
  VI nan = _mm256_cmpgt_epi32(mag, _mm256_set1_epi32(0x7f800000));
  return _mm256_or_si256(v, _mm256_and_si256(nan, _mm256_set1_epi32(0x00400000)));
}

VM_TARGET void born_f16_to_f32_avx2(const uint16_t *x, float *y, long n) {
  long i = 0;
  for (; i + 8 <= n; i += 8)
    vstore(y + i, vasf(vm_quiet(vasi(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i)))))));
  if (i < n) {
    uint16_t t[8] = {0};
    memcpy(t, x + i, (size_t)(n - i) * sizeof(uint16_t));
    V v = vasf(vm_quiet(vasi(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)t)))));
    vstore_n(y + i, v, n - i);
  }
}

// (bits + 0x7fff + lsb) >> 16 rounds to nearest even; NaNs are truncated and made quiet instead
// (rounding could carry a NaN into infinity).
VM_FN VI vm_bf16_bits(V v) {
  VI b = vasi(v);
  VI lsb = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
  VI r = _mm256_add_epi32(_mm256_add_epi32(b, _mm256_set1_epi32(0x7fff)), lsb);
  r = _mm256_srli_epi32(r, 16);
  VI q = _mm256_or_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(0x0040));
  VI nan = _mm256_cmpgt_epi32(_mm256_and_si256(b, _mm256_set1_epi32(0x7fffffff)),
                              _mm256_set1_epi32(0x7f800000));
  return _mm256_blendv_epi8(r, q, nan);
}

VM_TARGET void born_f32_to_bf16_avx2(const float *x, uint16_t *y, long n) {
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    // packus interleaves 128-bit lanes; the permute restores element order.
    VI p = _mm256_packus_epi32(vm_bf16_bits(vload(x + i)), vm_bf16_bits(vload(x + i + 8)));
    _mm256_storeu_si256((__m256i *)(y + i), _mm256_permute4x64_epi64(p, 0xd8));
  }
  if (i < n) {
    uint16_t t[16];
    V a = vload_n(x + i, n - i), b = n - i > 8 ? vload_n(x + i + 8, n - i - 8) : vset(0.0f);
    VI p = _mm256_packus_epi32(vm_bf16_bits(a), vm_bf16_bits(b));
    _mm256_storeu_si256((__m256i *)t, _mm256_permute4x64_epi64(p, 0xd8));
    memcpy(y + i, t, (size_t)(n - i) * sizeof(uint16_t));
  }
}

VM_FN V vm_bf16_to_f32(__m128i h) {
  return vasf(vm_quiet(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)));
}

VM_TARGET void born_bf16_to_f32_avx2(const uint16_t *x, float *y, long n) {
  long i = 0;
  for (; i + 8 <= n; i += 8)
    vstore(y + i, vm_bf16_to_f32(_mm_loadu_si128((const __m128i *)(x + i))));
  if (i < n) {
    uint16_t t[8] = {0};
    memcpy(t, x + i, (size_t)(n - i) * sizeof(uint16_t));
    vstore_n(y + i, vm_bf16_to_f32(_mm_loadu_si128((const __m128i *)t)), n - i);
  }
}

#endif  // BORN_VM_X86

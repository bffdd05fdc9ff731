// AVX-512 variant of the vector math kernels: the primitives used by the shared kernels of
// vmath_internal.h, then the f16/bf16 conversions.
#include "vmath_internal.h"

#ifdef BORN_VM_X86

#include <immintrin.h>

#define VM_TARGET __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")))
#define VM_FN static inline VM_TARGET
#define VM_NAME(name) name##_avx512

enum { W = 16 };
typedef __m512 V;
typedef __m512i VI;
typedef __mmask16 M;
typedef __m512d VD;

VM_FN V vset(float a) { return _mm512_set1_ps(a); }
VM_FN VI viset(int a) { return _mm512_set1_epi32(a); }
VM_FN V vload(const float *p) { return _mm512_loadu_ps(p); }
VM_FN void vstore(float *p, V v) { _mm512_storeu_ps(p, v); }
VM_FN M vtail(long k) { return (M)((1u << k) - 1); }
// p aligned to the vector size.
VM_FN void vstream(float *p, V v) { _mm512_stream_ps(p, v); }
VM_FN void vfence(void) { _mm_sfence(); }
VM_FN V vload_n(const float *p, long k) { return _mm512_maskz_loadu_ps(vtail(k), p); }
VM_FN void vstore_n(float *p, V v, long k) { _mm512_mask_storeu_ps(p, vtail(k), v); }

VM_FN V vadd(V a, V b) { return _mm512_add_ps(a, b); }
VM_FN V vsub(V a, V b) { return _mm512_sub_ps(a, b); }
VM_FN V vmul(V a, V b) { return _mm512_mul_ps(a, b); }
VM_FN V vdiv(V a, V b) { return _mm512_div_ps(a, b); }
VM_FN V vfma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
VM_FN V vfms(V a, V b, V c) { return _mm512_fmsub_ps(a, b, c); }
VM_FN V vfnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
// Return b when either operand is NaN.
VM_FN V vmin(V a, V b) { return _mm512_min_ps(a, b); }
VM_FN V vmax(V a, V b) { return _mm512_max_ps(a, b); }
VM_FN V vxor(V a, V b) { return _mm512_xor_ps(a, b); }
VM_FN V vabs(V a) { return _mm512_andnot_ps(_mm512_set1_ps(-0.0f), a); }
VM_FN V vneg(V a) { return _mm512_xor_ps(_mm512_set1_ps(-0.0f), a); }
VM_FN V vxorsign(V a, V s) { return _mm512_xor_ps(a, _mm512_and_ps(s, _mm512_set1_ps(-0.0f))); }
VM_FN V vcopysign(V a, V s) { return vxorsign(vabs(a), s); }
VM_FN V vround(V a) {
  return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
VM_FN VI vcvt(V a) { return _mm512_cvtps_epi32(a); }
VM_FN VI vcvtt(V a) { return _mm512_cvttps_epi32(a); }
VM_FN V vcvtf(VI a) { return _mm512_cvtepi32_ps(a); }
VM_FN VI vasi(V a) { return _mm512_castps_si512(a); }
VM_FN V vasf(VI a) { return _mm512_castsi512_ps(a); }
VM_FN VI viadd(VI a, VI b) { return _mm512_add_epi32(a, b); }
VM_FN VI visub(VI a, VI b) { return _mm512_sub_epi32(a, b); }
VM_FN VI viand(VI a, VI b) { return _mm512_and_si512(a, b); }
VM_FN VI vimin(VI a, VI b) { return _mm512_min_epi32(a, b); }
#define vslli(a, n) _mm512_slli_epi32((a), (n))
#define vsrai(a, n) _mm512_srai_epi32((a), (n))

VM_FN M vlt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
VM_FN M vgt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
VM_FN M vge(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
VM_FN M veq(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
VM_FN M vnle(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_NLE_UQ); }
VM_FN M vnan(V a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
VM_FN M mieq(VI a, VI b) { return _mm512_cmpeq_epi32_mask(a, b); }
VM_FN M mand(M a, M b) { return (M)(a & b); }
VM_FN M mor(M a, M b) { return (M)(a | b); }
VM_FN int many(M m) { return m != 0; }
VM_FN V vsel(M m, V a, V b) { return _mm512_mask_blend_ps(m, b, a); }

// tab[i] for each lane's i in 0..7.
VM_FN V vperm8(const float *tab, VI i) {
  return _mm512_permutexvar_ps(i, _mm512_broadcast_f32x8(_mm256_loadu_ps(tab)));
}

// v 2^k, rounded once (subnormal results included), for any k.
VM_FN V vscale(V v, V k) { return _mm512_scalef_ps(v, k); }

VM_FN float vhsum(V v) {
  __m256 s = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 t = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  t = _mm_add_ps(t, _mm_movehl_ps(t, t));
  t = _mm_add_ss(t, _mm_movehdup_ps(t));
  return _mm_cvtss_f32(t);
}

VM_FN float vhmax(V v) {
  __m256 s = _mm256_max_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 t = _mm_max_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  t = _mm_max_ps(t, _mm_movehl_ps(t, t));
  t = _mm_max_ss(t, _mm_movehdup_ps(t));
  return _mm_cvtss_f32(t);
}

VM_FN VD vdset(double a) { return _mm512_set1_pd(a); }
VM_FN VD vdmul(VD a, VD b) { return _mm512_mul_pd(a, b); }
VM_FN VD vdfma(VD a, VD b, VD c) { return _mm512_fmadd_pd(a, b, c); }
VM_FN VD vd_lo(V a) { return _mm512_cvtps_pd(_mm512_castps512_ps256(a)); }
VM_FN VD vd_hi(V a) { return _mm512_cvtps_pd(_mm512_extractf32x8_ps(a, 1)); }
VM_FN V vd_join(VD lo, VD hi) {
  return _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1);
}

#define BORN_VM_KERNELS
#include "vmath_internal.h"

#define VM_RNE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

// f32 -> f16 with F16C, round to nearest even; the instruction quiets NaNs and keeps their sign.
VM_TARGET void born_f32_to_f16_avx512(const float *x, uint16_t *y, long n) {
  long i = 0;
  for (; i + 16 <= n; i += 16)
    _mm256_storeu_si256((__m256i *)(y + i), _mm512_cvtps_ph(vload(x + i), VM_RNE));
  if (i < n)
    _mm256_mask_storeu_epi16(y + i, vtail(n - i), _mm512_cvtps_ph(vload_n(x + i, n - i), VM_RNE));
}

// Sets the quiet bit of NaN lanes (f32 bits in v).
VM_FN VI vm_quiet(VI v) {
  M nan = _mm512_cmpgt_epi32_mask(_mm512_and_si512(v, viset(0x7fffffff)), viset(0x7f800000));
  return _mm512_mask_or_epi32(v, nan, v, viset(0x00400000));
}

VM_TARGET void born_f16_to_f32_avx512(const uint16_t *x, float *y, long n) {
  long i = 0;
  for (; i + 16 <= n; i += 16)
    vstore(y + i, vasf(vm_quiet(vasi(_mm512_cvtph_ps(_mm256_loadu_si256((const void *)(x + i)))))));
  if (i < n) {
    __m256i h = _mm256_maskz_loadu_epi16(vtail(n - i), x + i);
    vstore_n(y + i, vasf(vm_quiet(vasi(_mm512_cvtph_ps(h)))), n - i);
  }
}

// (bits + 0x7fff + lsb) >> 16 rounds to nearest even; NaNs are truncated and made quiet instead
// (rounding could carry a NaN into infinity).
VM_FN VI vm_bf16_bits(V v) {
  VI b = vasi(v);
  VI lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), viset(1));
  VI r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(b, viset(0x7fff)), lsb), 16);
  M nan = _mm512_cmpgt_epi32_mask(_mm512_and_si512(b, viset(0x7fffffff)), viset(0x7f800000));
  return _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(b, 16), viset(0x0040));
}

VM_TARGET void born_f32_to_bf16_avx512(const float *x, uint16_t *y, long n) {
  long i = 0;
  for (; i + 16 <= n; i += 16)
    _mm256_storeu_si256((__m256i *)(y + i), _mm512_cvtepi32_epi16(vm_bf16_bits(vload(x + i))));
  if (i < n)
    _mm512_mask_cvtepi32_storeu_epi16(y + i, vtail(n - i), vm_bf16_bits(vload_n(x + i, n - i)));
}

VM_FN V vm_bf16_to_f32(__m256i h) {
  return vasf(vm_quiet(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)));
}

VM_TARGET void born_bf16_to_f32_avx512(const uint16_t *x, float *y, long n) {
  long i = 0;
  for (; i + 16 <= n; i += 16)
    vstore(y + i, vm_bf16_to_f32(_mm256_loadu_si256((const __m256i *)(x + i))));
  if (i < n) vstore_n(y + i, vm_bf16_to_f32(_mm256_maskz_loadu_epi16(vtail(n - i), x + i)), n - i);
}

#endif  // BORN_VM_X86

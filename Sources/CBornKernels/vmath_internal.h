// Private to vmath.c, vmath_avx2.c and vmath_avx512.c.
//
// The first part declares the per-ISA entry points. The second part, compiled only where
// BORN_VM_KERNELS is defined, holds the vector kernels shared by the AVX2 and AVX-512 files: each
// of them defines the same small set of vector primitives (V, VI, M, VD and the v*() helpers)
// before including this header, so the algorithms are written once.
#ifndef BORN_VMATH_INTERNAL_H
#define BORN_VMATH_INTERNAL_H

#include "born_vmath.h"

#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#define BORN_VM_X86 1
#define BORN_VM_HIDDEN __attribute__((visibility("hidden")))

BORN_VM_HIDDEN void born_vmath_f32_avx2(born_vfunc f, const float *x, float *y, long n);
BORN_VM_HIDDEN float born_sum_f32_avx2(const float *x, long n);
BORN_VM_HIDDEN float born_max_f32_avx2(const float *x, long n);
BORN_VM_HIDDEN void born_softmax_rows_f32_avx2(const float *x, float *y, long rows, long cols,
                                               int log);
BORN_VM_HIDDEN void born_f32_to_f16_avx2(const float *x, uint16_t *y, long n);
BORN_VM_HIDDEN void born_f16_to_f32_avx2(const uint16_t *x, float *y, long n);
BORN_VM_HIDDEN void born_f32_to_bf16_avx2(const float *x, uint16_t *y, long n);
BORN_VM_HIDDEN void born_bf16_to_f32_avx2(const uint16_t *x, float *y, long n);

BORN_VM_HIDDEN void born_vmath_f32_avx512(born_vfunc f, const float *x, float *y, long n);
BORN_VM_HIDDEN float born_sum_f32_avx512(const float *x, long n);
BORN_VM_HIDDEN float born_max_f32_avx512(const float *x, long n);
BORN_VM_HIDDEN void born_softmax_rows_f32_avx512(const float *x, float *y, long rows, long cols,
                                                 int log);
BORN_VM_HIDDEN void born_f32_to_f16_avx512(const float *x, uint16_t *y, long n);
BORN_VM_HIDDEN void born_f16_to_f32_avx512(const uint16_t *x, float *y, long n);
BORN_VM_HIDDEN void born_f32_to_bf16_avx512(const float *x, uint16_t *y, long n);
BORN_VM_HIDDEN void born_bf16_to_f32_avx512(const uint16_t *x, float *y, long n);
#endif

// Vectorized sin/cos reduce |x| <= 2^20 themselves (k = round(x 2/pi) is then within 1/32 of the
// nearest integer and |r| <= 0.87, inside the polynomials' fitted range); larger arguments, inf
// and NaN go to the C library's sinf/cosf one element at a time.
#define BORN_VM_TRIG_LIMIT 1048576.0f

#endif  // BORN_VMATH_INTERNAL_H

#ifdef BORN_VM_KERNELS
#undef BORN_VM_KERNELS

#include <math.h>

// Coefficients below come from Benchmarks/vmath-c/fit_poly.py (minimax, float32 coefficients);
// the error bounds quoted are those of the approximation, before rounding in the evaluation.

// erf(z) for z in [i/2, i/2 + 1/2), i = 0..7: rows are the centre c_i, the constant term as a float
// pair, then the coefficients of v^1..v^7, v = z - c_i. Interval 0 is z + z P(z): its pair is zero
// and v is added in its place. Relative error 2^-26.3.
static const float vm_erf_tab[10][8] = {
  {0.0f, 0.75f, 1.25f, 1.75f, 2.25f, 2.75f, 3.25f, 3.75f},
  {0.0f, 0.711155653f, 0.92290014f, 0.986671686f, 0.998537302f, 0.999899387f, 0.999995708f,
   0.999999881f},
  {0.0f, -1.96027496e-08f, -1.13594778e-08f, -1.50306825e-08f, -1.87226039e-08f, -9.2722594e-09f,
   -1.12352811e-08f, 5.48340262e-09f},
  {0.128379181f, 0.642931104f, 0.236521125f, 0.0527749956f, 0.00714231934f, 0.00058627734f,
   2.9189001e-05f, 8.81426217e-07f},
  {-2.47323965e-06f, -0.482198179f, -0.295651734f, -0.092356205f, -0.0160701573f, -0.00161226722f,
   -9.48693269e-05f, -3.30607054e-06f},
  {-0.376054764f, 0.0267841462f, 0.167535678f, 0.0901573971f, 0.0217244942f, 0.00276037469f,
   0.000195813991f, 7.97066423e-06f},
  {-0.00077201752f, 0.150676653f, -0.00613269582f, -0.0481053852f, -0.0190882403f, -0.00325771957f,
   -0.000286169699f, -1.37854267e-05f},
  {0.116727576f, -0.0530823804f, -0.0471826568f, 0.0066178292f, 0.0106606688f, 0.00275645452f,
   0.00031358542f, 1.83193042e-05f},
  {-0.0095984526f, -0.0265958197f, 0.0206058957f, 0.00904802792f, -0.00277972338f, -0.00166775135f,
   -0.000273755635f, -2.06922341e-05f},
  {-0.0168642979f, 0.0166580435f, 0.00372661976f, -0.0059256535f, -0.000727220089f, 0.000634400931f,
   0.000173993016f, 1.72429973e-05f},
};

// h(s) = Phi(-s) e^(s^2/2) = erfcx(s/sqrt2)/2 for s in [0.75 i, 0.75 i + 0.75), i = 0..6, with
// v = s - c_i, and s h(s) for s in [5.25, 15] (i = 7) with v = 1/s - c_7: s h(s) is nearly flat
// there, so the rounding of 1/s hardly matters. Same row layout as above. Relative error 2^-27.8.
static const float vm_gelu_tab[10][8] = {
  {0.375f, 1.125f, 1.875f, 2.625f, 3.375f, 4.125f, 4.875f, 0.128571436f},
  {0.379604429f, 0.245331392f, 0.176290885f, 0.135835603f, 0.10978967f, 0.0918183178f,
   0.0787539855f, 0.392650276f},
  {-2.51467447e-09f, -2.96080271e-09f, 6.70571731e-09f, -3.83464993e-09f, 1.71030856e-09f,
   -3.89536126e-10f, 1.00998254e-09f, -9.38735845e-09f},
  {-0.256590635f, -0.122944467f, -0.0683968589f, -0.0423738323f, -0.0284021404f, -0.0201917216f,
   -0.0150165968f, -0.0935070738f},
  {0.141691744f, 0.0535094701f, 0.0240233969f, 0.0123021454f, 0.00696622487f, 0.00426373398f,
   0.00277403975f, -0.300471932f},
  {-0.0678182915f, -0.0209154859f, -0.00778434193f, -0.0033602654f, -0.0016303577f,
   -0.000867916504f, -0.000497693662f, 0.423773557f},
  {0.0290544387f, 0.00749339536f, 0.00235667988f, 0.000870329561f, 0.000365906773f, 0.000170861633f,
   8.69132491e-05f, 0.26410988f},
  {-0.011387201f, -0.00249621202f, -0.000672901631f, -0.000214692729f, -7.93570143e-05f,
   -3.29452887e-05f, -1.51360455e-05f, -1.73415697f},
  {0.00425706571f, 0.000798884023f, 0.000185687342f, 5.16058535e-05f, 1.6703294e-05f,
   6.13224665e-06f, 2.49171899e-06f, 1.69852102f},
  {-0.00141951826f, -0.000236066553f, -4.81398238e-05f, -1.32368123e-05f, -2.22373774e-06f,
   1.9559775e-07f, 9.43216662e-07f, 4.45659542f},
};

VM_FN V vzero(void) { return vset(0.0f); }

// Table polynomial: rows 3..9 of tab by Horner in v, plus the constant pair of rows 1, 2.
VM_FN V k_table_poly(const float (*tab)[8], VI i, V v, V *c0lo) {
  V q = vperm8(tab[9], i);
  for (int j = 8; j >= 3; j--) q = vfma(q, v, vperm8(tab[j], i));
  *c0lo = vperm8(tab[2], i);
  return q;
}

// x = k ln2 + r, |r| <= ln2/2 (k an integer-valued float). ln2 is float(ln2) plus a tail: for
// |x| < 256, x - k float(ln2) is a multiple of 2^-24 below 1/2 in magnitude, so the first fma is
// exact and only the tail term rounds.
VM_FN V k_exp_reduce(V x, V *k) {
  V kk = vround(vmul(x, vset(1.44269502f)));
  *k = kk;
  return vfnma(kk, vset(-1.90465421e-09f), vfnma(kk, vset(0.693147182f), x));
}

// The same for x + xl, |xl| tiny.
VM_FN V k_exp_reduce2(V x, V xl, V *k) { return vadd(k_exp_reduce(x, k), xl); }

// e^r = 1 + r Q(r) on |r| <= ln2/2; relative error 2^-28.3.
VM_FN V k_exp_poly(V r) {
  V q = vfma(vset(0.00138214463f), r, vset(0.00836866163f));
  q = vfma(q, r, vset(0.0416682549f));
  q = vfma(q, r, vset(0.166665211f));
  q = vfma(q, r, vset(0.49999994f));
  q = vfma(q, r, vset(1.0f));
  return vfma(q, r, vset(1.0f));
}

// e^r - 1 = r + r^2 P(r) on |r| <= ln2/2; relative error 2^-26.1.
VM_FN V k_expm1_poly(V r) {
  V p = vfma(vset(0.00138702767f), r, vset(0.00836625416f));
  p = vfma(p, r, vset(0.041667439f));
  p = vfma(p, r, vset(0.166665465f));
  p = vfma(p, r, vset(0.49999997f));
  return vfma(vmul(r, r), p, r);
}

// 2^n for integer n in [-126, 127].
VM_FN V vpow2(VI n) { return vasf(vslli(viadd(n, viset(127)), 23)); }

VM_FN V k_exp(V x) {
  // Below -104 the result is 0 and above 89 it is inf; vmax/vmin return their second operand
  // when it is NaN, so NaN passes through.
  x = vmax(vset(-104.0f), vmin(vset(89.0f), x));
  V k, r = k_exp_reduce(x, &k);
  return vscale(k_exp_poly(r), k);
}

// exp(x + nm) for softmax (nm = -max, x <= max): x + nm is formed exactly as a float pair
// (TwoSum), since half an ulp of a difference near -10 would already cost ~8 ulps of the result.
VM_FN V k_exp_diff(V x, V nm) {
  V s = vadd(x, nm);
  V b = vsub(s, x);
  V err = vadd(vsub(x, vsub(s, b)), vsub(nm, b));
  M under = vlt(s, vset(-104.0f));  // the result is 0 (and err may be NaN for x = -inf)
  V k, r = k_exp_reduce2(vmax(vset(-104.0f), s), vsel(under, vzero(), err), &k);
  return vscale(k_exp_poly(r), k);
}

// expm1 for x in [-17.5, 88.8] or NaN.
VM_FN V k_expm1_core(V x) {
  V k, r = k_exp_reduce(x, &k);
  V em = k_expm1_poly(r);
  // 2^k (1 + em) - 1 = 2 (s em + (s - 1/2)) with s = 2^(k-1): s - 1/2 is exact for -24 <= k <= 24
  // (beyond, the 1 is below half an ulp), and 2^k itself would overflow for k = 128.
  V s = vpow2(visub(vcvt(k), viset(1)));
  V y = vmul(vfma(s, em, vsub(s, vset(0.5f))), vset(2.0f));
  return vsel(veq(k, vzero()), em, y);
}

VM_FN V k_expm1(V x) {
  // expm1 rounds to -1 below -17.33 and overflows above 88.73.
  V y = k_expm1_core(vmax(vset(-17.5f), vmin(vset(88.8f), x)));
  return vsel(veq(x, vzero()), x, y);
}

VM_FN V k_tanh(V x) {
  // tanh a = t / (t + 2), t = expm1(2a). With 2a = k ln2 + r and E = 2^k, t = E em + (E - 1),
  // em = expm1(r): E - 1 is exact while it matters (k <= 24), and for k = 0 t is em itself, so
  // small |x| keep their relative accuracy. tanh(10) rounds to 1.
  V a = vmin(vset(10.0f), vabs(x));
  V k, r = k_exp_reduce(vadd(a, a), &k);
  V e = vpow2(vcvt(k));
  V t = vfma(e, k_expm1_poly(r), vsub(e, vset(1.0f)));
  return vcopysign(vdiv(t, vadd(t, vset(2.0f))), x);
}

VM_FN V k_sigmoid(V x) {
  // 1 / (1 + e) for x >= 0, e / (1 + e) for x < 0, with e = exp(-|x|) <= 1.
  V e = k_exp(vneg(vabs(x)));
  return vdiv(vsel(vlt(x, vzero()), e, vset(1.0f)), vadd(vset(1.0f), e));
}

VM_FN V k_silu(V x) {
  // x sigmoid(x). For x < 0 it is x e^x / (1 + e^x), computed as (x p / (1 + e^x)) 2^k with
  // e^x = p 2^k, so that results in the subnormal range are rounded once. Arguments are clamped at
  // -120 where the result is already -0 (x e^x < 2^-150 below -99.4).
  V a = vmax(vset(-120.0f), vneg(vabs(x)));
  V k, r = k_exp_reduce(a, &k);
  V p = k_exp_poly(r);
  V e = vscale(p, k);
  M neg = vlt(x, vzero());
  V q = vdiv(vsel(neg, vmul(vmax(vset(-120.0f), x), p), x), vadd(vset(1.0f), e));
  return vsel(neg, vscale(q, k), q);
}

VM_FN V k_gelu_tanh(V x) {
  // 0.5 x (1 + tanh(u)) = x sigmoid(v), v = 2u = x (A + B x^2). The relative error of e^v is the
  // absolute error of v, and |v| reaches ~100 before the result underflows, so v is carried as a
  // float pair (vh + vl); A and B are float pairs too.
  const double a_d = 1.5957691216057308, b_d = 1.5957691216057308 * 0.044715;
  const float ah = (float)a_d, al = (float)(a_d - (double)ah);
  const float bh = (float)b_d, bl = (float)(b_d - (double)bh);
  V xc = vmax(vset(-20.0f), vmin(vset(20.0f), x));
  V x2 = vmul(xc, xc), x2l = vfms(xc, xc, x2);
  V th = vmul(vset(bh), x2);
  V tl = vadd(vfms(vset(bh), x2, th), vfma(vset(bh), x2l, vmul(vset(bl), x2)));
  // A + th by Fast2Sum, both positive: the larger operand first.
  V big = vmax(vset(ah), th), small = vmin(vset(ah), th);
  V qh = vadd(big, small);
  V ql = vadd(vsub(small, vsub(qh, big)), vadd(vset(al), tl));
  V vh = vmul(xc, qh);
  V vl = vfma(xc, ql, vfms(xc, qh, vh));
  // e^-|v| with -|v| = -|vh| - sign(vh) vl; past -150 it underflows whatever vl is.
  V nh = vmax(vset(-150.0f), vneg(vabs(vh)));
  V nl = vxorsign(vl, vneg(vh));
  V k, r = k_exp_reduce2(nh, nl, &k);
  V p = k_exp_poly(r);
  V e = vscale(p, k);
  M neg = vlt(x, vzero());
  V q = vdiv(vsel(neg, vmul(xc, p), x), vadd(vset(1.0f), e));
  return vsel(neg, vscale(q, k), q);
}

VM_FN V k_gelu(V x) {
  // x Phi(x). s Phi(-s) = e^(-s^2/2) s h(s), s = |x|, with h (or s h) from the table above and s^2
  // as a float pair (an error of one ulp in s^2/2 ~ 100 would cost ~100 ulps). With
  // e^(-s^2/2) = p 2^k and s Phi(-s) = a 2^k, the result is x - a 2^k for x >= 0 and -a 2^k for
  // x < 0, scaled last so that subnormal results round once. s is clamped at 15, where Phi(-s) is
  // far below 2^-150.
  V s = vmin(vset(15.0f), vabs(x));
  VI i = vimin(vcvtt(vmul(s, vset(4.0f / 3.0f))), viset(7));
  M tail = mieq(i, viset(7));
  V v = vsub(vsel(tail, vdiv(vset(1.0f), s), s), vperm8(vm_gelu_tab[0], i));
  V lo, q = k_table_poly(vm_gelu_tab, i, v, &lo);
  V h = vadd(vperm8(vm_gelu_tab[1], i), vfma(q, v, lo));
  V s2 = vmul(s, s), s2l = vfms(s, s, s2);
  V k, r = k_exp_reduce2(vmul(s2, vset(-0.5f)), vmul(s2l, vset(-0.5f)), &k);
  V a = vmul(vsel(tail, h, vmul(s, h)), k_exp_poly(r));
  V pos = vsub(x, vscale(a, k));
  V neg = vscale(vneg(a), k);
  return vsel(vlt(x, vzero()), neg, pos);
}

VM_FN V k_erf(V x) {
  V z = vmin(vset(4.0f), vabs(x));
  VI i = vimin(vcvtt(vadd(z, z)), viset(7));
  V v = vsub(z, vperm8(vm_erf_tab[0], i));
  V lo, q = k_table_poly(vm_erf_tab, i, v, &lo);
  lo = vsel(mieq(i, viset(0)), v, lo);
  return vcopysign(vadd(vperm8(vm_erf_tab[1], i), vfma(q, v, lo)), x);
}

// log1p(f) = f + f^2 P(f) on [sqrt(1/2) - 1, sqrt(2) - 1]; relative error 2^-27.8.
VM_FN V k_log1p_poly(V f) {
  V p = vfma(vset(-0.0762317032f), f, vset(0.129147291f));
  p = vfma(p, f, vset(-0.132475004f));
  p = vfma(p, f, vset(0.141805962f));
  p = vfma(p, f, vset(-0.166084304f));
  p = vfma(p, f, vset(0.200020134f));
  p = vfma(p, f, vset(-0.250016093f));
  p = vfma(p, f, vset(0.333333254f));
  p = vfma(p, f, vset(-0.499999881f));
  return vfma(vmul(f, f), p, f);
}

// e ln2 + p. The high part of ln2 has 9 significant bits, so e times it is exact for |e| < 2^15.
VM_FN V k_log_combine(V e, V p) {
  return vfma(e, vset(0.693359375f), vfma(e, vset(-2.12194440e-04f), p));
}

// Splits positive normal bits b = 2^e m with m in [sqrt(1/2), sqrt(2)): subtracting the bits of
// sqrt(1/2) carries into the exponent field exactly when m's mantissa is at least sqrt(1/2)'s.
VM_FN V k_log_split(VI b, VI *e) {
  VI t = visub(b, viset(0x3f3504f3));
  *e = vsrai(t, 23);
  return vasf(viadd(viand(t, viset(0x007fffff)), viset(0x3f3504f3)));
}

VM_FN V k_log(V x) {
  M sub = vlt(x, vset(0x1p-126f));
  VI ei;
  V m = k_log_split(vasi(vsel(sub, vmul(x, vset(0x1p23f)), x)), &ei);
  V e = vsub(vcvtf(ei), vsel(sub, vset(23.0f), vzero()));
  V y = k_log_combine(e, k_log1p_poly(vsub(m, vset(1.0f))));
  M ok = mand(vgt(x, vzero()), vlt(x, vset(INFINITY)));
  V special = vsel(veq(x, vzero()), vset(-INFINITY),
                   vsel(vlt(x, vzero()), vset(NAN), vadd(x, x)));
  return vsel(ok, y, special);
}

VM_FN V k_log1p(V x) {
  V one = vset(1.0f);
  V u = vadd(x, one);
  // (1 + x) - u exactly (Fast2Sum, larger magnitude first; x > -1 on the normal path).
  V c = vsub(vmin(x, one), vsub(u, vmax(x, one)));
  VI ei;
  V m = k_log_split(vasi(u), &ei);
  // 1 + x = 2^e (m + c 2^-e); 2^-e is clamped to 2^-126 where c no longer matters.
  V f = vfma(c, vpow2(visub(viset(0), vimin(ei, viset(126)))), vsub(m, one));
  V y = k_log_combine(vcvtf(ei), k_log1p_poly(f));
  M ok = mand(vgt(x, vset(-1.0f)), vlt(x, vset(INFINITY)));
  V special = vsel(veq(x, vset(-1.0f)), vset(-INFINITY),
                   vsel(vlt(x, vset(-1.0f)), vset(NAN), vadd(x, x)));
  y = vsel(ok, y, special);
  return vsel(veq(x, vzero()), x, y);
}

VM_FN V k_softplus(V x) {
  // max(x, 0) + log1p(e), e = exp(-|x|) in [0, 1]: u = 1 + e is in [1, 2], so the split is a
  // halving when u >= sqrt(2).
  V one = vset(1.0f);
  V e = k_exp(vneg(vabs(x)));
  V u = vadd(one, e);
  V c = vsub(e, vsub(u, one));
  M hi = vge(u, vset(1.41421354f));
  V f = vsel(hi, vfma(u, vset(0.5f), vset(-1.0f)), vsub(u, one));
  f = vfma(c, vsel(hi, vset(0.5f), one), f);
  V l = k_log_combine(vsel(hi, one, vzero()), k_log1p_poly(f));
  return vadd(vmax(vzero(), x), l);
}

// sin(r) = r + r^3 S(r^2), cos(r) = 1 + r^2 C(r^2) on |r| <= 0.9, evaluated in double; relative
// errors 2^-35.5 and 2^-41.2.
VM_FN VD k_sin_d(VD r, VD w) {
  VD s = vdfma(vdset(2.7063655849135247e-06), w, vdset(-0.00019837891156603167));
  s = vdfma(s, w, vdset(0.0083333241812064869));
  s = vdfma(s, w, vdset(-0.16666666589210258));
  return vdfma(vdmul(r, w), s, r);
}

VM_FN VD k_cos_d(VD w) {
  VD c = vdfma(vdset(-2.7053451644605385e-07), w, vdset(2.4797019125658786e-05));
  c = vdfma(c, w, vdset(-0.0013888869956679773));
  c = vdfma(c, w, vdset(0.041666666321331362));
  c = vdfma(c, w, vdset(-0.49999999997929412));
  return vdfma(w, c, vdset(1.0));
}

// r = x - k pi/2 in double with pi/2 as a double pair: the first fma rounds only to 53 bits of a
// result no larger than |r| + 2^-35, so r keeps ~50 correct bits for |x| <= 2^20.
VM_FN VD k_trig_reduce_d(VD x, VD k) {
  return vdfma(k, vdset(-6.123233995736766e-17), vdfma(k, vdset(-1.5707963267948966), x));
}

VM_FN V k_sincos(V x, int cosine) {
  V k = vround(vmul(x, vset(0.636619747f)));
  VI q = viadd(vcvt(k), viset(cosine));
  VD r0 = k_trig_reduce_d(vd_lo(x), vd_lo(k)), r1 = k_trig_reduce_d(vd_hi(x), vd_hi(k));
  VD w0 = vdmul(r0, r0), w1 = vdmul(r1, r1);
  V s = vd_join(k_sin_d(r0, w0), k_sin_d(r1, w1));
  V c = vd_join(k_cos_d(w0), k_cos_d(w1));
  // Quadrant q: sin, cos, -sin, -cos.
  V y = vsel(mieq(viand(q, viset(1)), viset(1)), c, s);
  y = vxor(y, vasf(vslli(viand(q, viset(2)), 30)));
  return cosine ? y : vsel(veq(x, vzero()), x, y);
}

// Outputs of at least VM_STREAM_MIN floats (32 MB, an L3's worth; not in place) are written with
// non-temporal stores: they would not stay in cache anyway, and skipping the read-for-ownership
// of the destination saves a third of the memory traffic of these bandwidth-bound loops
// (exp of 16M floats: 3.2 -> 2.6 ms on Zen 5). Below that a consumer finds the output in L3.
enum { VM_STREAM_MIN = 1 << 23 };

#define VM_MAP(KERNEL)                                                               \
  do {                                                                               \
    long i_ = 0;                                                                     \
    if (n >= VM_STREAM_MIN && x != y && ((uintptr_t)y & 3) == 0) {                   \
      long head_ = (long)((-(uintptr_t)y / sizeof(float)) & (W - 1));                \
      if (head_) vstore_n(y, KERNEL(vload_n(x, head_)), head_);                      \
      for (i_ = head_; i_ + W <= n; i_ += W) vstream(y + i_, KERNEL(vload(x + i_))); \
      vfence();                                                                      \
    } else {                                                                         \
      for (; i_ + W <= n; i_ += W) vstore(y + i_, KERNEL(vload(x + i_)));            \
    }                                                                                \
    if (i_ < n) vstore_n(y + i_, KERNEL(vload_n(x + i_, n - i_)), n - i_);           \
  } while (0)

static VM_TARGET void vm_map_sincos(const float *x, float *y, long n, int cosine) {
  for (long i = 0; i < n; i += W) {
    long m = n - i < W ? n - i : W;
    V v = m == W ? vload(x + i) : vload_n(x + i, m);
    V r = k_sincos(v, cosine);
    if (many(vnle(vabs(v), vset(BORN_VM_TRIG_LIMIT)))) {
      float xs[W], ys[W];
      vstore(xs, v);
      vstore(ys, r);
      for (long j = 0; j < m; j++)
        if (!(fabsf(xs[j]) <= BORN_VM_TRIG_LIMIT)) ys[j] = cosine ? cosf(xs[j]) : sinf(xs[j]);
      r = vload(ys);
    }
    if (m == W) vstore(y + i, r);
    else vstore_n(y + i, r, m);
  }
}

VM_TARGET void VM_NAME(born_vmath_f32)(born_vfunc f, const float *x, float *y, long n) {
  switch (f) {
  case BORN_VEXP: VM_MAP(k_exp); break;
  case BORN_VLOG: VM_MAP(k_log); break;
  case BORN_VLOG1P: VM_MAP(k_log1p); break;
  case BORN_VEXPM1: VM_MAP(k_expm1); break;
  case BORN_VTANH: VM_MAP(k_tanh); break;
  case BORN_VSIGMOID: VM_MAP(k_sigmoid); break;
  case BORN_VSIN: vm_map_sincos(x, y, n, 0); break;
  case BORN_VCOS: vm_map_sincos(x, y, n, 1); break;
  case BORN_VGELU: VM_MAP(k_gelu); break;
  case BORN_VGELU_TANH: VM_MAP(k_gelu_tanh); break;
  case BORN_VSILU: VM_MAP(k_silu); break;
  case BORN_VSOFTPLUS: VM_MAP(k_softplus); break;
  case BORN_VERF: VM_MAP(k_erf); break;
  }
}

// Pairwise summation of block partial sums: block b (1-based) is added to the previous ones
// once for every trailing zero bit of b, like carries in a binary counter, so each partial sum
// combines equal-sized halves and the rounding error grows like log2 of the number of blocks.
typedef struct {
  V stack[64];
  int depth;
  long count;
} vm_pairwise;

VM_FN void pw_push(vm_pairwise *p, V b) {
  for (long t = ++p->count; (t & 1) == 0; t >>= 1) b = vadd(p->stack[--p->depth], b);
  p->stack[p->depth++] = b;
}

VM_FN V pw_total(vm_pairwise *p, V b) {
  while (p->depth > 0) b = vadd(p->stack[--p->depth], b);
  return b;
}

// Block of VM_BLOCK floats summed by 4 accumulators, VM_STEPS vectors deep.
enum { VM_STEPS = 16, VM_BLOCK = 4 * W * VM_STEPS };

VM_TARGET float VM_NAME(born_sum_f32)(const float *x, long n) {
  vm_pairwise pw;
  pw.depth = 0;
  pw.count = 0;
  long i = 0;
  for (; i + VM_BLOCK <= n; i += VM_BLOCK) {
    const float *p = x + i;
    V a0 = vload(p), a1 = vload(p + W), a2 = vload(p + 2 * W), a3 = vload(p + 3 * W);
    for (long j = 4 * W; j < VM_BLOCK; j += 4 * W) {
      a0 = vadd(a0, vload(p + j));
      a1 = vadd(a1, vload(p + j + W));
      a2 = vadd(a2, vload(p + j + 2 * W));
      a3 = vadd(a3, vload(p + j + 3 * W));
    }
    pw_push(&pw, vadd(vadd(a0, a1), vadd(a2, a3)));
  }
  V a0 = vzero(), a1 = vzero();
  for (; i + 2 * W <= n; i += 2 * W) {
    a0 = vadd(a0, vload(x + i));
    a1 = vadd(a1, vload(x + i + W));
  }
  if (i + W <= n) {
    a0 = vadd(a0, vload(x + i));
    i += W;
  }
  if (i < n) a1 = vadd(a1, vload_n(x + i, n - i));
  return vhsum(pw_total(&pw, vadd(a0, a1)));
}

VM_FN float vm_first_nan(const float *x, long n) {
  for (long i = 0; i < n; i++)
    if (x[i] != x[i]) return x[i] + 0.0f;
  return NAN;
}

VM_TARGET float VM_NAME(born_max_f32)(const float *x, long n) {
  V m0 = vset(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
  M nan = vnan(m0);
  long i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    V v0 = vload(x + i), v1 = vload(x + i + W);
    V v2 = vload(x + i + 2 * W), v3 = vload(x + i + 3 * W);
    m0 = vmax(m0, v0);
    m1 = vmax(m1, v1);
    m2 = vmax(m2, v2);
    m3 = vmax(m3, v3);
    nan = mor(nan, mor(mor(vnan(v0), vnan(v1)), mor(vnan(v2), vnan(v3))));
  }
  for (; i < n; i += W) {
    V v = n - i >= W ? vload(x + i) : vsel(vtail(n - i), vload_n(x + i, n - i), vset(-INFINITY));
    m0 = vmax(m0, v);
    nan = mor(nan, vnan(v));
  }
  if (many(nan)) return vm_first_nan(x, n);
  return vhmax(vmax(vmax(m0, m1), vmax(m2, m3)));
}

// Softmax of one row: max, then exp(x - max) stored and summed (pairwise, as born_sum_f32), then
// a scaling pass that finds the row in L1. A row of -inf gives -inf - -inf = NaN everywhere, and a
// row holding +inf gives NaN everywhere, as in PyTorch.
static VM_TARGET void vm_softmax_row(const float *x, float *y, long n, int log) {
  V mx = vset(VM_NAME(born_max_f32)(x, n)), nm = vneg(mx);
  vm_pairwise pw;
  pw.depth = 0;
  pw.count = 0;
  long i = 0;
  for (; i + VM_BLOCK <= n; i += VM_BLOCK) {
    V a0 = vzero(), a1 = vzero(), a2 = vzero(), a3 = vzero();
    for (long j = i; j < i + VM_BLOCK; j += 4 * W) {
      V e0 = k_exp_diff(vload(x + j), nm), e1 = k_exp_diff(vload(x + j + W), nm);
      V e2 = k_exp_diff(vload(x + j + 2 * W), nm), e3 = k_exp_diff(vload(x + j + 3 * W), nm);
      if (!log) {
        vstore(y + j, e0);
        vstore(y + j + W, e1);
        vstore(y + j + 2 * W, e2);
        vstore(y + j + 3 * W, e3);
      }
      a0 = vadd(a0, e0);
      a1 = vadd(a1, e1);
      a2 = vadd(a2, e2);
      a3 = vadd(a3, e3);
    }
    pw_push(&pw, vadd(vadd(a0, a1), vadd(a2, a3)));
  }
  V a = vzero();
  for (; i < n; i += W) {
    long m = n - i < W ? n - i : W;
    V e = k_exp_diff(m == W ? vload(x + i) : vload_n(x + i, m), nm);
    if (m < W) e = vsel(vtail(m), e, vzero());
    if (!log) {
      if (m == W) vstore(y + i, e);
      else vstore_n(y + i, e, m);
    }
    a = vadd(a, e);
  }
  float sum = vhsum(pw_total(&pw, a));
  if (!log) {
    V s = vset(1.0f / sum);
    for (i = 0; i + W <= n; i += W) vstore(y + i, vmul(vload(y + i), s));
    if (i < n) vstore_n(y + i, vmul(vload_n(y + i, n - i), s), n - i);
  } else {
    V l = vset(logf(sum));
    for (i = 0; i + W <= n; i += W) vstore(y + i, vsub(vsub(vload(x + i), mx), l));
    if (i < n) vstore_n(y + i, vsub(vsub(vload_n(x + i, n - i), mx), l), n - i);
  }
}

VM_TARGET void VM_NAME(born_softmax_rows_f32)(const float *x, float *y, long rows, long cols,
                                               int log) {
  for (long r = 0; r < rows; r++) vm_softmax_row(x + r * cols, y + r * cols, cols, log);
}

#endif  // BORN_VM_KERNELS

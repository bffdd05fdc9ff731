#include "born_conv.h"
#include "born_isa.h"

#include <math.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// For each output column ox, the input column is ox*stride - pad + k*dil. The range of ox
// whose input column lies inside [0, w) is computed once per (k, row), so the inner loops are
// branch-free copies (a memcpy when the stride is 1 and the input row is contiguous).
static inline void valid_range(long ow, long stride, long offset, long w, long *lo, long *hi) {
  // smallest ox with ox*stride + offset >= 0
  long a = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  // largest ox with ox*stride + offset <= w - 1, plus one
  long b = (w - 1 - offset) < 0 ? 0 : (w - 1 - offset) / stride + 1;
  if (b > ow) b = ow;
  if (a > b) a = b;
  *lo = a;
  *hi = b;
}

// Rows are short (LeNet: 24 and 8 floats): an inline loop beats a call to memcpy, so the
// compiler is told not to turn the copy loop back into one.
__attribute__((no_builtin("memcpy"))) static inline void copy_floats(float *restrict dst, const float *restrict src,
                                                                     long n) {
  for (long i = 0; i < n; i++) dst[i] = src[i];
}

// Stride 1, no padding, contiguous rows (LeNet's and every "valid" convolution): each patch row
// is oh runs of ow consecutive inputs, with none of the general path's bounds arithmetic.
static inline int is_valid_unit_stride(const born_window *g) {
  return g->stride_h == 1 && g->stride_w == 1 && g->pad_h == 0 && g->pad_w == 0 &&
         (g->kh - 1) * g->dil_h + g->oh <= g->h && (g->kw - 1) * g->dil_w + g->ow <= g->w;
}

// The copy and add loops below are compiled three times (baseline, AVX2, AVX-512) and picked by
// born_isa_active(); they only move or add elements in a fixed order, so every variant gives
// identical results.
#define BORN_IM2COL_VALID_BODY                                                                   \
  const long oh = g->oh, ow = g->ow, kh = g->kh, kw = g->kw, dh = g->dil_h, dw = g->dil_w;        \
  for (long c = 0; c < channels; c++)                                                            \
    for (long ki = 0; ki < kh; ki++)                                                             \
      for (long kj = 0; kj < kw; kj++) {                                                         \
        const float *src = x + c * sc + ki * dh * sh + kj * dw;                                  \
        for (long oy = 0; oy < oh; oy++, cols += ow) {                                           \
          const float *restrict line = src + oy * sh;                                            \
          for (long ox = 0; ox < ow; ox++) cols[ox] = line[ox];                                  \
        }                                                                                        \
      }

#define BORN_COL2IM_VALID_BODY                                                                   \
  const long oh = g->oh, ow = g->ow, kh = g->kh, kw = g->kw, dh = g->dil_h, dw = g->dil_w;        \
  const long h = g->h, w = g->w;                                                                 \
  for (long c = 0; c < channels; c++)                                                            \
    for (long ki = 0; ki < kh; ki++)                                                             \
      for (long kj = 0; kj < kw; kj++) {                                                         \
        float *dst = x + (c * h + ki * dh) * w + kj * dw;                                        \
        for (long oy = 0; oy < oh; oy++, cols += ow) {                                           \
          float *restrict row = dst + oy * w;                                                    \
          for (long ox = 0; ox < ow; ox++) row[ox] += cols[ox];                                  \
        }                                                                                        \
      }

#define BORN_IM2COL_VALID_PARAMS \
  const float *restrict x, long sc, long sh, long channels, const born_window *g, float *restrict cols
#define BORN_COL2IM_VALID_PARAMS const float *restrict cols, long channels, const born_window *g, float *restrict x

#define BORN_NO_MEMCPY __attribute__((no_builtin("memcpy")))
BORN_NO_MEMCPY static void im2col_valid_generic(BORN_IM2COL_VALID_PARAMS) { BORN_IM2COL_VALID_BODY }
static void col2im_add_valid_generic(BORN_COL2IM_VALID_PARAMS) { BORN_COL2IM_VALID_BODY }
#if defined(__x86_64__)
BORN_NO_MEMCPY __attribute__((target("avx2"))) static void im2col_valid_avx2(BORN_IM2COL_VALID_PARAMS) {
  BORN_IM2COL_VALID_BODY
}
BORN_NO_MEMCPY __attribute__((target("avx512f"))) static void im2col_valid_avx512(BORN_IM2COL_VALID_PARAMS) {
  BORN_IM2COL_VALID_BODY
}
__attribute__((target("avx2"))) static void col2im_add_valid_avx2(BORN_COL2IM_VALID_PARAMS) {
  BORN_COL2IM_VALID_BODY
}
__attribute__((target("avx512f"))) static void col2im_add_valid_avx512(BORN_COL2IM_VALID_PARAMS) {
  BORN_COL2IM_VALID_BODY
}
#endif

static void im2col_valid(BORN_IM2COL_VALID_PARAMS) {
  switch (born_isa_active()) {
#if defined(__x86_64__)
  case BORN_ISA_AVX512: im2col_valid_avx512(x, sc, sh, channels, g, cols); return;
  case BORN_ISA_AVX2: im2col_valid_avx2(x, sc, sh, channels, g, cols); return;
#endif
  default: im2col_valid_generic(x, sc, sh, channels, g, cols);
  }
}

static void col2im_add_valid(BORN_COL2IM_VALID_PARAMS) {
  switch (born_isa_active()) {
#if defined(__x86_64__)
  case BORN_ISA_AVX512: col2im_add_valid_avx512(cols, channels, g, x); return;
  case BORN_ISA_AVX2: col2im_add_valid_avx2(cols, channels, g, x); return;
#endif
  default: col2im_add_valid_generic(cols, channels, g, x);
  }
}

__attribute__((no_builtin("memcpy")))
void born_im2col_f32(const float *x, long sc, long sh, long sw, long channels, const born_window *g,
                     float *cols) {
  if (sw == 1 && is_valid_unit_stride(g)) {
    im2col_valid(x, sc, sh, channels, g, cols);
    return;
  }
  const long spatial = g->oh * g->ow;
  float *dst = cols;
  for (long c = 0; c < channels; c++) {
    for (long ki = 0; ki < g->kh; ki++) {
      for (long kj = 0; kj < g->kw; kj++) {
        const long xoff = kj * g->dil_w - g->pad_w;
        long lo, hi;
        valid_range(g->ow, g->stride_w, xoff, g->w, &lo, &hi);
        for (long oy = 0; oy < g->oh; oy++) {
          float *line = dst + oy * g->ow;
          const long y = oy * g->stride_h - g->pad_h + ki * g->dil_h;
          if (y < 0 || y >= g->h) {
            memset(line, 0, sizeof(float) * g->ow);
            continue;
          }
          const float *src = x + c * sc + y * sh;
          for (long ox = 0; ox < lo; ox++) line[ox] = 0;
          if (g->stride_w == 1 && sw == 1) {
            copy_floats(line + lo, src + lo + xoff, hi - lo);
          } else {
            for (long ox = lo; ox < hi; ox++) line[ox] = src[(ox * g->stride_w + xoff) * sw];
          }
          for (long ox = hi; ox < g->ow; ox++) line[ox] = 0;
        }
        dst += spatial;
      }
    }
  }
}

void born_col2im_add_f32(const float *cols, long channels, const born_window *g, float *x) {
  if (is_valid_unit_stride(g)) {
    col2im_add_valid(cols, channels, g, x);
    return;
  }
  const long spatial = g->oh * g->ow;
  const float *src = cols;
  for (long c = 0; c < channels; c++) {
    for (long ki = 0; ki < g->kh; ki++) {
      for (long kj = 0; kj < g->kw; kj++) {
        const long xoff = kj * g->dil_w - g->pad_w;
        long lo, hi;
        valid_range(g->ow, g->stride_w, xoff, g->w, &lo, &hi);
        for (long oy = 0; oy < g->oh; oy++) {
          const long y = oy * g->stride_h - g->pad_h + ki * g->dil_h;
          if (y < 0 || y >= g->h) continue;
          float *row = x + (c * g->h + y) * g->w;
          const float *line = src + oy * g->ow;
          if (g->stride_w == 1) {
            for (long ox = lo; ox < hi; ox++) row[ox + xoff] += line[ox];
          } else {
            for (long ox = lo; ox < hi; ox++) row[ox * g->stride_w + xoff] += line[ox];
          }
        }
        src += spatial;
      }
    }
  }
}

// Non-overlapping 2×2 windows with no padding: the LeNet/VGG case, without bounds checks.
static inline int is_plain_2x2(const born_window *g, long sw) {
  return g->kh == 2 && g->kw == 2 && g->stride_h == 2 && g->stride_w == 2 && g->pad_h == 0 && g->pad_w == 0 &&
         g->dil_h == 1 && g->dil_w == 1 && sw == 1 && 2 * g->oh <= g->h && 2 * g->ow <= g->w;
}

// The first maximum of four values in window order (a, b on the top row; c, d below), NaN
// first. Written without branches: on real activations the comparisons are unpredictable, and
// a mispredicted branch per comparison made pooling several times slower.
static inline int takes(float candidate, float best) {
  return (candidate > best) | ((candidate != candidate) & (best == best));
}

static inline int argmax4(float a, float b, float c, float d) {
  float m = a;
  int i = 0;
  int t = takes(b, m);
  m = t ? b : m;
  i = t ? 1 : i;
  t = takes(c, m);
  m = t ? c : m;
  i = t ? 2 : i;
  t = takes(d, m);
  i = t ? 3 : i;
  return i;
}

static inline float max4(float a, float b, float c, float d) {
  float m = a;
  m = takes(b, m) ? b : m;
  m = takes(c, m) ? c : m;
  return takes(d, m) ? d : m;
}

// The 2×2 loops take their sizes as values and restrict pointers: with the window passed by
// pointer, every store forced a reload of its fields (10× slower backward).
static void maxpool_2x2(const float *restrict x, long sh, long oh, long ow, float *restrict out) {
  for (long oy = 0; oy < oh; oy++) {
    const float *r0 = x + 2 * oy * sh, *r1 = r0 + sh;
    float *o = out + oy * ow;
    for (long ox = 0; ox < ow; ox++) o[ox] = max4(r0[2 * ox], r0[2 * ox + 1], r1[2 * ox], r1[2 * ox + 1]);
  }
}

static void maxpool_2x2_backward(const float *restrict x, long sh, long oh, long ow, long w, const float *restrict gout,
                                 float *restrict dx) {
  // Two passes per stretch of windows: first every window's argmax, then the stores. Mixing
  // the loads of x with the stores to dx in one loop ran 5× slower (measured 750 µs against
  // 150 µs for 384 planes of 24×24).
  unsigned char which[256];
  for (long oy = 0; oy < oh; oy++) {
    const float *r0 = x + 2 * oy * sh, *r1 = r0 + sh;
    const float *go = gout + oy * ow;
    float *d0 = dx + 2 * oy * w, *d1 = d0 + w;
    for (long start = 0; start < ow; start += 256) {
      const long end = start + 256 < ow ? start + 256 : ow;
      for (long ox = start; ox < end; ox++)
        which[ox - start] = (unsigned char)argmax4(r0[2 * ox], r0[2 * ox + 1], r1[2 * ox], r1[2 * ox + 1]);
      for (long ox = start; ox < end; ox++) {
        // Each window owns its four positions (no overlap), so store instead of add.
        const int i = which[ox - start];
        const float gv = go[ox];
        d0[2 * ox] = i == 0 ? gv : 0.0f;
        d0[2 * ox + 1] = i == 1 ? gv : 0.0f;
        d1[2 * ox] = i == 2 ? gv : 0.0f;
        d1[2 * ox + 1] = i == 3 ? gv : 0.0f;
      }
    }
  }
}

#if defined(__x86_64__)
// The same 2×2 backward on 8 windows per step. Two rows of 16 inputs hold 8 windows as lane
// pairs (a b | a b ...) and (c d | c d ...). Each pair's first maximum is found against its
// lane-swapped copy, then the bottom winner against the top one; this tournament picks the
// same position as the sequential a, b, c, d scan (NaN first, then the first maximum).
__attribute__((target("avx512f"))) static inline __mmask16 takes16(__m512 candidate, __m512 best) {
  const __mmask16 greater = _mm512_cmp_ps_mask(candidate, best, _CMP_GT_OQ);
  const __mmask16 nan_candidate = _mm512_cmp_ps_mask(candidate, candidate, _CMP_UNORD_Q);
  const __mmask16 best_ordered = _mm512_cmp_ps_mask(best, best, _CMP_ORD_Q);
  return greater | (nan_candidate & best_ordered);
}

__attribute__((target("avx512f"))) static void maxpool_2x2_backward_avx512(const float *restrict x, long sh, long oh,
                                                                          long ow, long w, const float *restrict gout,
                                                                          float *restrict dx) {
  const __m512i dup = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512i even_to_pair = _mm512_setr_epi32(0, 0, 2, 2, 4, 4, 6, 6, 8, 8, 10, 10, 12, 12, 14, 14);
  const __m512i lane_parity = _mm512_setr_epi32(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1);
  const __m512i two = _mm512_set1_epi32(2);
  const __m512 zero = _mm512_setzero_ps();
  for (long oy = 0; oy < oh; oy++) {
    const float *r0 = x + 2 * oy * sh, *r1 = r0 + sh;
    const float *go = gout + oy * ow;
    float *d0 = dx + 2 * oy * w, *d1 = d0 + w;
    for (long ox = 0; ox < ow; ox += 8) {
      // The last step may hold fewer than 8 windows: masked loads and stores.
      const long n = ow - ox < 8 ? ow - ox : 8;
      const __mmask16 pairs = (__mmask16)((1u << (2 * n)) - 1);
      const __m512 top = _mm512_maskz_loadu_ps(pairs, r0 + 2 * ox), bot = _mm512_maskz_loadu_ps(pairs, r1 + 2 * ox);
      const __m512 top_sw = _mm512_permute_ps(top, 0xB1), bot_sw = _mm512_permute_ps(bot, 0xB1);
      // Even lanes: the winner of (a, b) and of (c, d), and their window positions.
      const __mmask16 tb = takes16(top_sw, top), dc = takes16(bot_sw, bot);
      const __m512 wt = _mm512_mask_blend_ps(tb, top, top_sw), wb = _mm512_mask_blend_ps(dc, bot, bot_sw);
      const __m512i it = _mm512_mask_blend_epi32(tb, _mm512_setzero_si512(), _mm512_set1_epi32(1));
      const __m512i ib = _mm512_mask_blend_epi32(dc, two, _mm512_set1_epi32(3));
      const __m512i idx = _mm512_mask_blend_epi32(takes16(wb, wt), it, ib);
      // Copy each window's position to both lanes of its pair, and its gradient likewise.
      const __m512i pos = _mm512_permutexvar_epi32(even_to_pair, idx);
      const __m512 gv = _mm512_permutexvar_ps(dup, _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), go + ox));
      const __mmask16 on_top = _mm512_cmpeq_epi32_mask(pos, lane_parity);
      const __mmask16 on_bot = _mm512_cmpeq_epi32_mask(pos, _mm512_add_epi32(lane_parity, two));
      _mm512_mask_storeu_ps(d0 + 2 * ox, pairs, _mm512_mask_blend_ps(on_top, zero, gv));
      _mm512_mask_storeu_ps(d1 + 2 * ox, pairs, _mm512_mask_blend_ps(on_bot, zero, gv));
    }
  }
}
#endif

void born_maxpool_f32(const float *x, long sh, long sw, const born_window *g, float *out) {
  if (is_plain_2x2(g, sw)) {
    maxpool_2x2(x, sh, g->oh, g->ow, out);
    return;
  }
  for (long oy = 0; oy < g->oh; oy++) {
    for (long ox = 0; ox < g->ow; ox++) {
      const long y0 = oy * g->stride_h - g->pad_h, x0 = ox * g->stride_w - g->pad_w;
      float m = -INFINITY;
      int nan = 0;
      for (long ki = 0; ki < g->kh && !nan; ki++) {
        const long y = y0 + ki * g->dil_h;
        if (y < 0 || y >= g->h) continue;
        for (long kj = 0; kj < g->kw; kj++) {
          const long xx = x0 + kj * g->dil_w;
          if (xx < 0 || xx >= g->w) continue;
          const float v = x[y * sh + xx * sw];
          if (v != v) {
            m = v;
            nan = 1;
            break;
          }
          if (v > m) m = v;
        }
      }
      out[oy * g->ow + ox] = m;
    }
  }
}

void born_maxpool_backward_f32(const float *x, long sh, long sw, const born_window *g, const float *gout,
                               float *dx) {
  const int plain = is_plain_2x2(g, sw);
  // The plain 2×2 path stores every position its windows cover; only the rest needs zeros.
  if (!plain || 2 * g->oh != g->h || 2 * g->ow != g->w) memset(dx, 0, sizeof(float) * g->h * g->w);
  if (plain) {
#if defined(__x86_64__)
    if (born_isa_active() == BORN_ISA_AVX512) {
      maxpool_2x2_backward_avx512(x, sh, g->oh, g->ow, g->w, gout, dx);
      return;
    }
#endif
    maxpool_2x2_backward(x, sh, g->oh, g->ow, g->w, gout, dx);
    return;
  }
  for (long oy = 0; oy < g->oh; oy++) {
    for (long ox = 0; ox < g->ow; ox++) {
      const long y0 = oy * g->stride_h - g->pad_h, x0 = ox * g->stride_w - g->pad_w;
      float m = -INFINITY;
      long best = -1;
      int nan = 0;
      for (long ki = 0; ki < g->kh && !nan; ki++) {
        const long y = y0 + ki * g->dil_h;
        if (y < 0 || y >= g->h) continue;
        for (long kj = 0; kj < g->kw; kj++) {
          const long xx = x0 + kj * g->dil_w;
          if (xx < 0 || xx >= g->w) continue;
          const float v = x[y * sh + xx * sw];
          if (v > m || best < 0 || v != v) {
            m = v;
            best = y * g->w + xx;
            if (v != v) {
              nan = 1;
              break;
            }
          }
        }
      }
      if (best >= 0) dx[best] += gout[oy * g->ow + ox];
    }
  }
}

static inline long avg_divisor(const born_window *g, long y0, long x0, int include_pad, long *ya, long *yb,
                               long *xa, long *xb) {
  long y1 = y0 + g->kh, x1 = x0 + g->kw;
  if (y1 > g->h + g->pad_h) y1 = g->h + g->pad_h;
  if (x1 > g->w + g->pad_w) x1 = g->w + g->pad_w;
  const long padded = (y1 - y0) * (x1 - x0);
  *ya = y0 < 0 ? 0 : y0;
  *yb = y1 > g->h ? g->h : y1;
  *xa = x0 < 0 ? 0 : x0;
  *xb = x1 > g->w ? g->w : x1;
  if (*yb < *ya) *yb = *ya;
  if (*xb < *xa) *xb = *xa;
  const long d = include_pad ? padded : (*yb - *ya) * (*xb - *xa);
  return d > 0 ? d : 1;
}

void born_avgpool_f32(const float *x, long sh, long sw, const born_window *g, int count_include_pad,
                      float *out) {
  for (long oy = 0; oy < g->oh; oy++) {
    for (long ox = 0; ox < g->ow; ox++) {
      long ya, yb, xa, xb;
      const long d = avg_divisor(g, oy * g->stride_h - g->pad_h, ox * g->stride_w - g->pad_w, count_include_pad, &ya,
                                 &yb, &xa, &xb);
      float s = 0;
      for (long y = ya; y < yb; y++)
        for (long xx = xa; xx < xb; xx++) s += x[y * sh + xx * sw];
      out[oy * g->ow + ox] = s / (float)d;
    }
  }
}

void born_avgpool_backward_f32(const born_window *g, int count_include_pad, const float *gout, float *dx) {
  memset(dx, 0, sizeof(float) * g->h * g->w);
  for (long oy = 0; oy < g->oh; oy++) {
    for (long ox = 0; ox < g->ow; ox++) {
      long ya, yb, xa, xb;
      const long d = avg_divisor(g, oy * g->stride_h - g->pad_h, ox * g->stride_w - g->pad_w, count_include_pad, &ya,
                                 &yb, &xa, &xb);
      const float share = gout[oy * g->ow + ox] / (float)d;
      for (long y = ya; y < yb; y++)
        for (long xx = xa; xx < xb; xx++) dx[y * g->w + xx] += share;
    }
  }
}

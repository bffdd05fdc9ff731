// Convolution and pooling helpers over f32 images (one image or plane at a time).
#ifndef BORN_CONV_H
#define BORN_CONV_H

#ifdef __cplusplus
extern "C" {
#endif

/// The geometry of a 2-D window over an image.
typedef struct {
  long h, w;           // input height and width
  long kh, kw;         // window
  long oh, ow;         // output height and width
  long stride_h, stride_w;
  long pad_h, pad_w;
  long dil_h, dil_w;
} born_window;

/// Writes the [channels·kh·kw, oh·ow] patch matrix of one image whose element (c, y, x) is at
/// x[c*sc + y*sh + x*sw]; padding reads as 0.
void born_im2col_f32(const float *x, long sc, long sh, long sw, long channels, const born_window *g,
                     float *cols);

/// Adds the patch matrix back into a contiguous [channels, h, w] image (the adjoint of im2col).
void born_col2im_add_f32(const float *cols, long channels, const born_window *g, float *x);

/// Max pooling of one plane (element (y, x) at x[y*sh + x*sw]) into a contiguous [oh, ow] plane.
/// NaN propagates; padding counts as -inf.
void born_maxpool_f32(const float *x, long sh, long sw, const born_window *g, float *out);

/// Writes the input gradient of max pooling into dx (a contiguous [h, w] plane): each output
/// gradient goes to the input position of its window's first maximum, the rest is 0.
void born_maxpool_backward_f32(const float *x, long sh, long sw, const born_window *g, const float *gout,
                               float *dx);

/// Average pooling of one plane; the divisor counts padded positions when count_include_pad.
void born_avgpool_f32(const float *x, long sh, long sw, const born_window *g, int count_include_pad,
                      float *out);

/// Writes the input gradient of average pooling into dx (a contiguous [h, w] plane): each output
/// gradient spread evenly over its window.
void born_avgpool_backward_f32(const born_window *g, int count_include_pad, const float *gout, float *dx);

#ifdef __cplusplus
}
#endif
#endif

/* conv_core.h — the numeric core of convolution shared by Conv, ConvTranspose, ConvInteger and
 * QLinearConv: im2col/col2im over a 3-D window plus one BLAS GEMM per image and group. */
#ifndef CS_CONV_CORE_H
#define CS_CONV_CORE_H

#include <stdint.h>

#include "spatial.h"

/* Shape of one convolution. win describes the forward window (input -> output), any rank 1-3. */
typedef struct cs_conv_shape {
    cs_window win;
    int64_t batch;
    int64_t in_channels;   /* C of the forward input */
    int64_t out_channels;  /* M of the forward output */
    int64_t group;
} cs_conv_shape;

/* y[N,M,out...] = sum over the window of x[N,C,in...] * w[M,C/group,k...], plus bias[M] when given. */
cs_status cs_conv_forward_f32(const cs_conv_shape *s, const float *x, const float *w, const float *bias,
                              float *y, cs_error *err);
cs_status cs_conv_forward_f64(const cs_conv_shape *s, const double *x, const double *w, const double *bias,
                              double *y, cs_error *err);

/* Column-matrix budget (elements) above which forward convolutions run in bands of output rows; <= 0
 * restores the default (2^25). For tests and tuning; not thread-safe against running convolutions. */
void cs_conv_set_tile_budget(int64_t elems);

/* The transpose (gradient) of the forward convolution: x holds the forward output [N,M,out...],
 * w is [M, C/group, k...] as ConvTranspose stores it, y receives the forward input [N,C,in...]. */
cs_status cs_conv_backward_f32(const cs_conv_shape *s, const float *x, const float *w, const float *bias,
                               float *y, cs_error *err);
cs_status cs_conv_backward_f64(const cs_conv_shape *s, const double *x, const double *w, const double *bias,
                               double *y, cs_error *err);

/* ---- kernel-level helpers (conv.c) ---- */

/* Reads group and window attributes and checks x [N,C,in...] against w [M, C/group, k...]
 * (transposed: w [C, M/group, k...] and the window is filled but not resolved). */
cs_status cs_conv_prepare(cs_kernel_ctx *ctx, const cs_tensor *x, const cs_tensor *w, cs_conv_shape *s);

/* Exact integer convolution into doubles: sum of (x - x_zp) * (w - w_zp[m]) with padding equal to x_zp,
 * for 8-bit x and w; w_zp has one value per output channel. *acc (N x M x out) is malloc'd. */
cs_status cs_conv_integer_acc(cs_kernel_ctx *ctx, const cs_conv_shape *s, const cs_tensor *x, double x_zp,
                              const cs_tensor *w, const double *w_zp, double **acc);

#endif

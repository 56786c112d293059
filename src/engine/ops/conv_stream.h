/* conv_stream.h — convolutions with few output pixels and large weights (batch 1, the late layers of a CNN):
 * a GEMM over weight panels packed once, streamed from memory with software prefetch one block ahead. */
#ifndef CS_CONV_STREAM_H
#define CS_CONV_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "conv_core.h"
#include "fusion.h"

/* Weights and bias of one convolution, packed for the streamed kernel. */
typedef struct cs_stream_conv cs_stream_conv;

/* Whether the streamed kernel takes a convolution of this shape with this activation after it: an AVX-512
 * CPU; 2-D, one group, output channels a multiple of 64; at most 256 output pixels (batch x height x width);
 * at least 256 products per output (C x kernel area) and at least 1 MiB of weights. act: NONE, RELU (any
 * slope), CLIP, or SILU (which the caller applies afterwards). */
bool cs_stream_conv_fits(const cs_conv_shape *s, cs_act_kind act);

/* Packs w [M, C, kh, kw] (f32, row-major) and bias [M] (NULL: zeros). NULL when out of memory. */
cs_stream_conv *cs_stream_conv_pack(const cs_conv_shape *s, const float *w, const float *bias);
/* Bytes the packed weights and bias hold. */
size_t cs_stream_conv_bytes(const cs_stream_conv *sc);
void cs_stream_conv_free(cs_stream_conv *sc);

/* What follows the product: a residual added (of the output's shape, channels-last when residual_nhwc), then
 * an activation (NONE, RELU with slope alpha, CLIP to [alpha, beta]; anything else is left to the caller). */
typedef struct cs_stream_epilogue {
    const float *residual;
    bool residual_nhwc;
    cs_act_kind act;
    float alpha, beta;
} cs_stream_epilogue;

/* y = conv(x) + bias, then the epilogue, for a convolution of shape s (any batch and window on the channels and
 * kernel size sc was packed for). x is [N,C,H,W], stored channels-last when x_nhwc; y is [N,M,OH,OW], stored
 * channels-last when y_nhwc. y may be the residual itself (the sum runs in place). Uses up to `threads` threads
 * (each takes whole panels of 64 output channels). False when out of memory or s does not match sc. */
bool cs_stream_conv_run(const cs_stream_conv *sc, const cs_conv_shape *s, const float *x, bool x_nhwc,
                        const cs_stream_epilogue *ep, float *y, bool y_nhwc, int threads);

#endif

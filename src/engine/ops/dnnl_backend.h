/* dnnl_backend.h — the oneDNN fast path: convolution (any group count) and matrix products through
 * oneDNN, with packed weights and primitives cached per plan; used only when cs_kernels_fast(). */
#ifndef CS_DNNL_BACKEND_H
#define CS_DNNL_BACKEND_H

#include <stdbool.h>

#include "conv_core.h"
#include "ops.h"

typedef struct cs_dnnl_cache cs_dnnl_cache;

/* A cache of primitives and packed weights; it belongs to one plan (one graph). Thread-safe. */
cs_dnnl_cache *cs_dnnl_cache_new(void);
void cs_dnnl_cache_free(cs_dnnl_cache *c);
/* Bytes of packed weights (and biases) the cache holds, each packed copy counted once. */
size_t cs_dnnl_cache_packed_bytes(const cs_dnnl_cache *c);

/* Runs ctx's Conv through oneDNN, honouring ctx->fuse when it can (ctx->fuse_done tells). *handled is
 * false when oneDNN does not take this case (dtype, non-constant weights, no primitive): nothing was
 * written and the caller runs the reference kernel. Weights must be constants of ctx->graph. */
cs_status cs_dnnl_conv(cs_kernel_ctx *ctx, const cs_conv_shape *s, const cs_tensor *x, const cs_tensor *w,
                       const cs_tensor *b, bool *handled);

/* MaxPool (one output) or AveragePool of ctx's channels-last f32 rank-4 input 0 (dnnl_pool.c); out[0] is left
 * channels-last when ctx->nhwc_out_ok (ctx->out_nhwc tells). *handled is false when oneDNN does not take the
 * case (window, semantics): nothing was written and the caller converts the input and runs the plain kernel. */
cs_status cs_dnnl_pool_nhwc(cs_kernel_ctx *ctx, bool *handled);

/* y [rows, N] = a [rows, K] x b [K, N] (+ bias, N values, when not NULL) through oneDNN's matmul primitive (dnnl_matmul.c),
 * b packed once per plan: b must be the f32 graph constant behind ctx's input 1, bias a constant too. *handled is
 * false when oneDNN does not take the case: nothing was written. */
cs_status cs_dnnl_matmul(cs_kernel_ctx *ctx, int64_t rows, const float *a, const cs_tensor *b, const cs_tensor *bias,
                         float *y, bool *handled);

/* Row-major f32 GEMM, C = alpha * op(A) op(B) + beta * C, through oneDNN's sgemm (AVX-512 where the
 * processor has it), with the thread count of fastpath.h. */
void cs_dnnl_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                   int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

#endif

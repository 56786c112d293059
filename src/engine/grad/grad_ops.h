/* grad_ops.h — the backward-op interface: one function per IR op maps output gradients to input
 * gradients, given the forward inputs and outputs. Op rows name them (.backward, declared in backward.h). */
#ifndef CS_GRAD_OPS_H
#define CS_GRAD_OPS_H

#include <stdbool.h>

#include "../ops/ops.h"

typedef struct cs_grad_ctx {
    const cs_graph *graph;
    const cs_node *node;
    int64_t opset;
    const cs_tensor *const *in;   /* forward inputs (NULL where absent) */
    int n_in;
    const cs_tensor *const *out;  /* forward outputs (NULL where unused) */
    int n_out;
    const cs_tensor *const *dout; /* gradients of the outputs (NULL where none flows), f32 */
    const bool *need;             /* per input: a gradient is wanted */
    cs_tensor **din;              /* per input: filled (f32, shaped like in[i]) where need[i] */
    cs_error *err;
} cs_grad_ctx;

typedef cs_status (*cs_grad_fn)(cs_grad_ctx *ctx);

/* ---- helpers (grad_util.c) ---- */
cs_status cs_grad_fail(cs_grad_ctx *ctx, cs_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A zero f32 tensor shaped like input i, stored into din[i]; NULL on failure (err set). */
float *cs_grad_alloc(cs_grad_ctx *ctx, int i);
/* Fails unless inputs 0..n-1 are present and every present one of them is f32. */
cs_status cs_grad_need_f32(cs_grad_ctx *ctx, int n);
/* A kernel context over the node, for reusing kernel-side attribute readers (window, conv, matmul). */
cs_kernel_ctx cs_grad_kernel_ctx(const cs_grad_ctx *ctx);
/* Adds src (shape sdims, broadcast from dst's shape) into dst, reducing broadcast dims:
 * dst[j] += sum over i mapping to j of src[i] * (scale ? scale[i] : 1). */
void cs_grad_reduce_broadcast(float *dst, int rd, const int64_t *ddims, const float *src, int rs,
                              const int64_t *sdims, const float *scale);

#endif

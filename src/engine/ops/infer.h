/* infer.h — shape and dtype inference rules shared by the op tables (the `infer` of a cs_op_def row):
 * an op names the rule that fits it (same as input 0, broadcast, a window, a product...). Each rule checks
 * what it reads and fails with the node named, like a kernel. */
#ifndef CS_OPS_INFER_H
#define CS_OPS_INFER_H

#include "ops.h"

/* Output 0 has input 0's dtype and shape (unary elementwise, activations, softmax, normalisations). */
cs_status cs_infer_same(cs_infer_ctx *ctx);
/* Output 0 is the numpy broadcast of every present input, dtype of input 0 (Add, Mul, Max, ...). */
cs_status cs_infer_broadcast(cs_infer_ctx *ctx);
/* The same, with a bool output (Equal, Less, And, ...). */
cs_status cs_infer_compare(cs_infer_ctx *ctx);
/* Conv: [N, M, spatial...] from X [N, C, spatial...], W [M, C/group, k...], strides, pads, dilations, auto_pad. */
cs_status cs_infer_conv(cs_infer_ctx *ctx);
/* MaxPool / AveragePool / LpPool: kernel_shape, strides, pads, dilations, ceil_mode, auto_pad. */
cs_status cs_infer_pool(cs_infer_ctx *ctx);
/* GlobalXPool: [N, C, 1, ...]. */
cs_status cs_infer_global_pool(cs_infer_ctx *ctx);
/* Gemm: [M, N] with transA / transB. */
cs_status cs_infer_gemm(cs_infer_ctx *ctx);
/* MatMul: numpy matmul shapes (1-D operands promoted and squeezed, batch dims broadcast). */
cs_status cs_infer_matmul(cs_infer_ctx *ctx);
/* Flatten: [prod(dims[:axis]), prod(dims[axis:])]. */
cs_status cs_infer_flatten(cs_infer_ctx *ctx);
/* Reshape with a constant shape input (0 copies, -1 inferred). */
cs_status cs_infer_reshape(cs_infer_ctx *ctx);
/* Transpose by perm (reversed dims without it). */
cs_status cs_infer_transpose(cs_infer_ctx *ctx);
/* Concat along axis. */
cs_status cs_infer_concat(cs_infer_ctx *ctx);

#endif

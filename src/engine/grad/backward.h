/* backward.h — the backward functions an op row names in its `.backward` field (the ops tables): each maps
 * the gradients of a node's outputs to those of its inputs (cs_grad_ctx in grad_ops.h). Defined in grad/. */
#ifndef CS_GRAD_BACKWARD_H
#define CS_GRAD_BACKWARD_H

#include "../status.h"

struct cs_grad_ctx;

/* grad_ew.c — elementwise: activations as dx = dy * f'(x, y), broadcasting arithmetic with reduction */
cs_status cs_grad_abs(struct cs_grad_ctx *ctx);
cs_status cs_grad_add(struct cs_grad_ctx *ctx);
cs_status cs_grad_cast(struct cs_grad_ctx *ctx);
cs_status cs_grad_clip(struct cs_grad_ctx *ctx);
cs_status cs_grad_div(struct cs_grad_ctx *ctx);
cs_status cs_grad_elu(struct cs_grad_ctx *ctx);
cs_status cs_grad_exp(struct cs_grad_ctx *ctx);
cs_status cs_grad_hardsigmoid(struct cs_grad_ctx *ctx);
cs_status cs_grad_identity(struct cs_grad_ctx *ctx);
cs_status cs_grad_leaky(struct cs_grad_ctx *ctx);
cs_status cs_grad_log(struct cs_grad_ctx *ctx);
cs_status cs_grad_mul(struct cs_grad_ctx *ctx);
cs_status cs_grad_neg(struct cs_grad_ctx *ctx);
cs_status cs_grad_relu(struct cs_grad_ctx *ctx);
cs_status cs_grad_sigmoid(struct cs_grad_ctx *ctx);
cs_status cs_grad_softplus(struct cs_grad_ctx *ctx);
cs_status cs_grad_sqrt(struct cs_grad_ctx *ctx);
cs_status cs_grad_sub(struct cs_grad_ctx *ctx);
cs_status cs_grad_sum(struct cs_grad_ctx *ctx);
cs_status cs_grad_tanh(struct cs_grad_ctx *ctx);

/* grad_shape.c — data movement: the reshape family, Transpose, Concat, Pad */
cs_status cs_grad_concat(struct cs_grad_ctx *ctx);
cs_status cs_grad_pad(struct cs_grad_ctx *ctx);
cs_status cs_grad_reshape(struct cs_grad_ctx *ctx);
cs_status cs_grad_transpose(struct cs_grad_ctx *ctx);

/* grad_nn.c — layers: Conv (input), Gemm, MatMul, pools, inference BatchNormalization, softmaxes, LpNorm */
cs_status cs_grad_avgpool(struct cs_grad_ctx *ctx);
cs_status cs_grad_batchnorm(struct cs_grad_ctx *ctx);
cs_status cs_grad_conv(struct cs_grad_ctx *ctx);
cs_status cs_grad_gap(struct cs_grad_ctx *ctx);
cs_status cs_grad_gemm(struct cs_grad_ctx *ctx);
cs_status cs_grad_gmp(struct cs_grad_ctx *ctx);
cs_status cs_grad_logsoftmax(struct cs_grad_ctx *ctx);
cs_status cs_grad_lp_norm(struct cs_grad_ctx *ctx);
cs_status cs_grad_matmul(struct cs_grad_ctx *ctx);
cs_status cs_grad_maxpool(struct cs_grad_ctx *ctx);
cs_status cs_grad_softmax(struct cs_grad_ctx *ctx);

#endif

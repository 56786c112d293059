/* training.c — op family 'training' (domain ai.onnx.preview.training): the optimizer update rules Adagrad,
 * Momentum (standard and Nesterov) and Adam, applied element-wise to n tensors at once, as the ONNX spec writes them. */
#include <math.h>
#include <string.h>

#include "registry.h"

/* The inputs after R and T come in `groups` blocks of n tensors (X, G, then state); every output block is
 * shaped like X. Checks counts and shapes; *n receives the tensor count. */
static cs_status check_groups(cs_kernel_ctx *ctx, int groups, int *n, double *r, int64_t *t)
{
    if (ctx->n_in < 2 + groups || (ctx->n_in - 2) % groups)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "%d inputs: want R, T and %d blocks of n tensors", ctx->n_in, groups);
    *n = (ctx->n_in - 2) / groups;
    if (ctx->n_out != *n * (groups - 1))
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "%d outputs for %d tensors (want %d)", ctx->n_out, *n,
                              *n * (groups - 1));
    const cs_tensor *R = cs_kernel_input(ctx, 0), *T = cs_kernel_input(ctx, 1);
    if (!R || !T || cs_tensor_numel(R) != 1 || cs_tensor_numel(T) != 1 || !cs_dtype_is_float(R->dtype))
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "R must be a float scalar and T an integer scalar");
    *r = cs_tensor_get_f64(R, 0);
    *t = cs_tensor_get_i64(T, 0);
    for (int i = 0; i < *n; i++) {
        const cs_tensor *x = cs_kernel_input(ctx, 2 + i);
        for (int g = 1; g < groups; g++) {
            const cs_tensor *o = cs_kernel_input(ctx, 2 + g * *n + i);
            if (!x || !o || !cs_tensor_same_shape(x, o) || !cs_dtype_is_float(x->dtype))
                return cs_kernel_fail(ctx, CS_ERR_SHAPE, "tensor %d: X, G and the optimizer states must be float "
                                      "tensors of one shape", i);
        }
    }
    return CS_OK;
}

/* Output block b, tensor i, shaped like X_i. */
static cs_tensor *out_like(cs_kernel_ctx *ctx, int b, int n, int i)
{
    const cs_tensor *x = cs_kernel_input(ctx, 2 + i);
    return cs_kernel_output_raw(ctx, b * n + i, x->dtype, x->rank, x->dims);
}

static cs_status op_adagrad(cs_kernel_ctx *ctx)
{
    int n;
    double r;
    int64_t t;
    if (check_groups(ctx, 3, &n, &r, &t) != CS_OK)
        return ctx->err->status;
    const cs_attrs *a = &ctx->node->attrs;
    double decay = cs_attrs_float(a, "decay_factor", 0), eps = cs_attrs_float(a, "epsilon", 0);
    double norm = cs_attrs_float(a, "norm_coefficient", 0), rate = r / (1 + (double)t * decay);
    for (int i = 0; i < n; i++) {
        const cs_tensor *X = cs_kernel_input(ctx, 2 + i), *G = cs_kernel_input(ctx, 2 + n + i);
        const cs_tensor *H = cs_kernel_input(ctx, 2 + 2 * n + i);
        cs_tensor *xo = out_like(ctx, 0, n, i), *ho = xo ? out_like(ctx, 1, n, i) : NULL;
        if (!ho)
            return ctx->err->status;
        for (int64_t k = 0; k < cs_tensor_numel(X); k++) {
            double x = cs_tensor_get_f64(X, k), g = norm * x + cs_tensor_get_f64(G, k);
            double h = cs_tensor_get_f64(H, k) + g * g;
            cs_tensor_set_f64(ho, k, h);
            cs_tensor_set_f64(xo, k, x - rate * g / (sqrt(h) + eps));
        }
    }
    return CS_OK;
}

static cs_status op_momentum(cs_kernel_ctx *ctx)
{
    int n;
    double r;
    int64_t t;
    if (check_groups(ctx, 3, &n, &r, &t) != CS_OK)
        return ctx->err->status;
    const cs_attrs *a = &ctx->node->attrs;
    double alpha = cs_attrs_float(a, "alpha", 0), beta = cs_attrs_float(a, "beta", 0);
    double norm = cs_attrs_float(a, "norm_coefficient", 0), beta_t = t > 0 ? beta : 1;
    const char *mode = cs_attrs_string(a, "mode", "standard");
    bool nesterov = strcmp(mode, "nesterov") == 0;
    if (!nesterov && strcmp(mode, "standard") != 0)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "unknown momentum mode '%s'", mode);
    for (int i = 0; i < n; i++) {
        const cs_tensor *X = cs_kernel_input(ctx, 2 + i), *G = cs_kernel_input(ctx, 2 + n + i);
        const cs_tensor *V = cs_kernel_input(ctx, 2 + 2 * n + i);
        cs_tensor *xo = out_like(ctx, 0, n, i), *vo = xo ? out_like(ctx, 1, n, i) : NULL;
        if (!vo)
            return ctx->err->status;
        for (int64_t k = 0; k < cs_tensor_numel(X); k++) {
            double x = cs_tensor_get_f64(X, k), g = norm * x + cs_tensor_get_f64(G, k);
            double v = alpha * cs_tensor_get_f64(V, k) + beta_t * g;
            cs_tensor_set_f64(vo, k, v);
            cs_tensor_set_f64(xo, k, nesterov ? x - r * (g + alpha * v) : x - r * v);
        }
    }
    return CS_OK;
}

static cs_status op_adam(cs_kernel_ctx *ctx)
{
    int n;
    double r;
    int64_t t;
    if (check_groups(ctx, 4, &n, &r, &t) != CS_OK)
        return ctx->err->status;
    const cs_attrs *a = &ctx->node->attrs;
    double alpha = cs_attrs_float(a, "alpha", 0.9), beta = cs_attrs_float(a, "beta", 0.999);
    double eps = cs_attrs_float(a, "epsilon", 1e-6), norm = cs_attrs_float(a, "norm_coefficient", 0);
    double post = cs_attrs_float(a, "norm_coefficient_post", 0);
    double rate = t > 0 ? r * sqrt(1 - pow(beta, (double)t)) / (1 - pow(alpha, (double)t)) : r;
    for (int i = 0; i < n; i++) {
        const cs_tensor *X = cs_kernel_input(ctx, 2 + i), *G = cs_kernel_input(ctx, 2 + n + i);
        const cs_tensor *V = cs_kernel_input(ctx, 2 + 2 * n + i), *H = cs_kernel_input(ctx, 2 + 3 * n + i);
        cs_tensor *xo = out_like(ctx, 0, n, i), *vo = xo ? out_like(ctx, 1, n, i) : NULL;
        cs_tensor *ho = vo ? out_like(ctx, 2, n, i) : NULL;
        if (!ho)
            return ctx->err->status;
        for (int64_t k = 0; k < cs_tensor_numel(X); k++) {
            double x = cs_tensor_get_f64(X, k), g = norm * x + cs_tensor_get_f64(G, k);
            double v = alpha * cs_tensor_get_f64(V, k) + (1 - alpha) * g;
            double h = beta * cs_tensor_get_f64(H, k) + (1 - beta) * g * g;
            cs_tensor_set_f64(vo, k, v);
            cs_tensor_set_f64(ho, k, h);
            cs_tensor_set_f64(xo, k, (1 - post) * (x - rate * v / (sqrt(h) + eps)));
        }
    }
    return CS_OK;
}

const cs_op_def cs_ops_training[] = {
    {"Adagrad", op_adagrad},
    {"Momentum", op_momentum},
    {"Adam", op_adam},
    {"Gradient", cs_grad_op_gradient}, /* grad/grad_op.c */
    {NULL, NULL},
};

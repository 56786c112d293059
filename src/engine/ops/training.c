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

/* One optimizer run: R, T and n from the inputs, its attributes, and its per-element rule, which takes x and
 * the gradient (norm term added), updates the `states` state values s[] in place and returns the new x. */
typedef struct optimizer {
    int states, n;
    double r, norm, rate, alpha, beta, eps, post;
    int64_t t;
    bool nesterov;
    double (*step)(const struct optimizer *o, double x, double g, double *s);
} optimizer;

/* Checks the inputs for o->states state blocks; fills r, t, n and norm_coefficient. */
static cs_status begin(cs_kernel_ctx *ctx, optimizer *o)
{
    o->norm = cs_attrs_float(&ctx->node->attrs, "norm_coefficient", 0);
    return check_groups(ctx, 2 + o->states, &o->n, &o->r, &o->t);
}

/* Applies o->step to every element of every X, writing X_new and the new states (output blocks 0, 1...). */
static cs_status apply(cs_kernel_ctx *ctx, const optimizer *o)
{
    int n = o->n;
    for (int i = 0; i < n; i++) {
        const cs_tensor *X = cs_kernel_input(ctx, 2 + i), *G = cs_kernel_input(ctx, 2 + n + i), *S[2] = {0};
        cs_tensor *xo = out_like(ctx, 0, n, i), *so[2] = {0};
        for (int b = 0; xo && b < o->states; b++) {
            S[b] = cs_kernel_input(ctx, 2 + (2 + b) * n + i);
            if (!(so[b] = out_like(ctx, 1 + b, n, i)))
                return ctx->err->status;
        }
        if (!xo)
            return ctx->err->status;
        for (int64_t k = 0; k < cs_tensor_numel(X); k++) {
            double x = cs_tensor_get_f64(X, k), g = o->norm * x + cs_tensor_get_f64(G, k), st[2];
            for (int b = 0; b < o->states; b++)
                st[b] = cs_tensor_get_f64(S[b], k);
            double xn = o->step(o, x, g, st);
            for (int b = 0; b < o->states; b++)
                cs_tensor_set_f64(so[b], k, st[b]);
            cs_tensor_set_f64(xo, k, xn);
        }
    }
    return CS_OK;
}

/* s[0] = H, the accumulated squared gradient. */
static double adagrad_step(const optimizer *o, double x, double g, double *s)
{
    s[0] += g * g;
    return x - o->rate * g / (sqrt(s[0]) + o->eps);
}

static cs_status op_adagrad(cs_kernel_ctx *ctx)
{
    optimizer o = {.states = 1, .step = adagrad_step};
    if (begin(ctx, &o) != CS_OK)
        return ctx->err->status;
    const cs_attrs *a = &ctx->node->attrs;
    o.eps = cs_attrs_float(a, "epsilon", 0);
    o.rate = o.r / (1 + (double)o.t * cs_attrs_float(a, "decay_factor", 0));
    return apply(ctx, &o);
}

/* s[0] = V, the momentum; beta applies from the second step on (T > 0). */
static double momentum_step(const optimizer *o, double x, double g, double *s)
{
    s[0] = o->alpha * s[0] + (o->t > 0 ? o->beta : 1) * g;
    return o->nesterov ? x - o->r * (g + o->alpha * s[0]) : x - o->r * s[0];
}

static cs_status op_momentum(cs_kernel_ctx *ctx)
{
    optimizer o = {.states = 1, .step = momentum_step};
    if (begin(ctx, &o) != CS_OK)
        return ctx->err->status;
    const cs_attrs *a = &ctx->node->attrs;
    o.alpha = cs_attrs_float(a, "alpha", 0), o.beta = cs_attrs_float(a, "beta", 0);
    const char *mode = cs_attrs_string(a, "mode", "standard");
    o.nesterov = strcmp(mode, "nesterov") == 0;
    if (!o.nesterov && strcmp(mode, "standard") != 0)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "unknown momentum mode '%s'", mode);
    return apply(ctx, &o);
}

/* s[0] = V (first moment), s[1] = H (second moment). */
static double adam_step(const optimizer *o, double x, double g, double *s)
{
    s[0] = o->alpha * s[0] + (1 - o->alpha) * g;
    s[1] = o->beta * s[1] + (1 - o->beta) * g * g;
    return (1 - o->post) * (x - o->rate * s[0] / (sqrt(s[1]) + o->eps));
}

static cs_status op_adam(cs_kernel_ctx *ctx)
{
    optimizer o = {.states = 2, .step = adam_step};
    if (begin(ctx, &o) != CS_OK)
        return ctx->err->status;
    const cs_attrs *a = &ctx->node->attrs;
    o.alpha = cs_attrs_float(a, "alpha", 0.9), o.beta = cs_attrs_float(a, "beta", 0.999);
    o.eps = cs_attrs_float(a, "epsilon", 1e-6), o.post = cs_attrs_float(a, "norm_coefficient_post", 0);
    double t = (double)o.t;
    o.rate = o.t > 0 ? o.r * sqrt(1 - pow(o.beta, t)) / (1 - pow(o.alpha, t)) : o.r;
    return apply(ctx, &o);
}

const cs_op_def cs_ops_training[] = {
    {.name = "Adagrad", .run = op_adagrad},
    {.name = "Momentum", .run = op_momentum},
    {.name = "Adam", .run = op_adam},
    {.name = "Gradient", .run = cs_grad_op_gradient}, /* grad/grad_op.c */
    {.name = NULL},
};

/* norm.c — op family 'norm': BatchNormalization (inference and training statistics, every opset),
 * InstanceNormalization, LRN, LayerNormalization, MeanVarianceNormalization, LpNormalization and Dropout. */
#include "fastpath.h"
#include "registry.h"
#include "vecmath.h"
#include "infer.h"
#include "../grad/backward.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double *doubles(cs_kernel_ctx *ctx, int64_t n)
{
    double *p = n >= 0 && n < (INT64_C(1) << 32) ? calloc((size_t)(n > 0 ? n : 1), sizeof *p) : NULL;
    if (!p)
        cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory for %lld values", (long long)n);
    return p;
}

static cs_status need_float(cs_kernel_ctx *ctx, const cs_tensor *x)
{
    if (!cs_dtype_is_float(x->dtype))
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "dtype %s is not supported (float types only)",
                              cs_dtype_name(x->dtype));
    return CS_OK;
}

static int64_t prod(const int64_t *dims, int from, int to)
{
    int64_t n = 1;
    for (int i = from; i < to; i++)
        n *= dims[i];
    return n;
}

/* y[o, p, i] = x[o, p, i] * a[p] + b[p] over a view [outer, P, inner] of x. */
static void affine(const cs_tensor *x, cs_tensor *y, int64_t outer, int64_t P, int64_t inner, const double *a,
                   const double *b)
{
    if (x->dtype == CS_DT_F32) {
        const float *xs = x->data;
        float *ys = y->data;
        for (int64_t o = 0; o < outer; o++)
            for (int64_t p = 0; p < P; p++) {
                float fa = (float)a[p], fb = (float)b[p];
                for (int64_t i = 0; i < inner; i++, xs++, ys++)
                    *ys = *xs * fa + fb;
            }
        return;
    }
    for (int64_t o = 0, k = 0; o < outer; o++)
        for (int64_t p = 0; p < P; p++)
            for (int64_t i = 0; i < inner; i++, k++)
                cs_tensor_set_f64(y, k, cs_tensor_get_f64(x, k) * a[p] + b[p]);
}

/* Per-p mean and (population) variance over the outer and inner axes of the view [outer, P, inner]. */
static void moments(const cs_tensor *x, int64_t outer, int64_t P, int64_t inner, double *mean, double *var)
{
    double count = (double)(outer * inner > 0 ? outer * inner : 1);
    for (int64_t o = 0, k = 0; o < outer; o++)
        for (int64_t p = 0; p < P; p++)
            for (int64_t i = 0; i < inner; i++, k++)
                mean[p] += cs_tensor_get_f64(x, k);
    for (int64_t p = 0; p < P; p++)
        mean[p] /= count;
    for (int64_t o = 0, k = 0; o < outer; o++)
        for (int64_t p = 0; p < P; p++)
            for (int64_t i = 0; i < inner; i++, k++) {
                double d = cs_tensor_get_f64(x, k) - mean[p];
                var[p] += d * d;
            }
    for (int64_t p = 0; p < P; p++)
        var[p] /= count;
}

/* ---- BatchNormalization ---- */

typedef struct bn_params {
    int64_t outer, P, inner;   /* view of X: [N, P, inner] */
    double eps, momentum;
    bool training;
    double *scale, *bias, *mean, *var; /* P each */
} bn_params;

static cs_status bn_read(cs_kernel_ctx *ctx, bn_params *bn)
{
    double **dst[4] = {&bn->scale, &bn->bias, &bn->mean, &bn->var};
    static const char *names[4] = {"scale", "B", "mean", "var"};
    for (int i = 0; i < 4; i++) {
        const cs_tensor *t = ctx->in[1 + i];
        if (cs_tensor_numel(t) != bn->P || !cs_dtype_is_float(t->dtype))
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "%s has %lld %s elements; expected %lld floats", names[i],
                                  (long long)cs_tensor_numel(t), cs_dtype_name(t->dtype), (long long)bn->P);
        if (!(*dst[i] = doubles(ctx, bn->P)))
            return ctx->err->status;
        for (int64_t p = 0; p < bn->P; p++)
            (*dst[i])[p] = cs_tensor_get_f64(t, p);
    }
    return CS_OK;
}

static bool bn_training(const cs_kernel_ctx *ctx)
{
    if (ctx->opset >= 14)
        return cs_attrs_int(&ctx->node->attrs, "training_mode", 0) != 0;
    if (ctx->opset < 7 && cs_attrs_int(&ctx->node->attrs, "is_test", 0) != 0)
        return false;
    for (int i = 1; i < 5; i++)
        if (cs_kernel_output_used(ctx, i))
            return true;
    return false;
}

static cs_status bn_setup(cs_kernel_ctx *ctx, const cs_tensor *x, bn_params *bn)
{
    if (x->rank < 2)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "X has rank %d; expected N x C x ...", x->rank);
    bool spatial = ctx->opset >= 9 || cs_attrs_int(&ctx->node->attrs, "spatial", 1) != 0;
    bn->outer = x->dims[0];
    bn->P = spatial ? x->dims[1] : prod(x->dims, 1, x->rank);
    bn->inner = spatial ? prod(x->dims, 2, x->rank) : 1;
    bn->eps = cs_attrs_float(&ctx->node->attrs, "epsilon", 1e-5);
    bn->momentum = cs_attrs_float(&ctx->node->attrs, "momentum", 0.9);
    bn->training = bn_training(ctx);
    return bn_read(ctx, bn);
}

static cs_status bn_vector_output(cs_kernel_ctx *ctx, int i, const cs_tensor *like, const double *v)
{
    if (!cs_kernel_output_used(ctx, i))
        return CS_OK;
    cs_tensor *t = cs_kernel_output(ctx, i, like->dtype, like->rank, like->dims);
    if (!t)
        return ctx->err->status;
    for (int64_t p = 0; p < cs_tensor_numel(t); p++)
        cs_tensor_set_f64(t, p, v[p]);
    return CS_OK;
}

/* Training outputs: running mean/var (opset >= 14: outputs 1, 2; older: also saved mean/var 3, 4). */
static cs_status bn_training_outputs(cs_kernel_ctx *ctx, const bn_params *bn, const double *bmean,
                                     const double *bvar)
{
    double *rm = doubles(ctx, bn->P), *rv = rm ? doubles(ctx, bn->P) : NULL;
    cs_status st = rv ? CS_OK : ctx->err->status;
    for (int64_t p = 0; rv && p < bn->P; p++) {
        rm[p] = bn->mean[p] * bn->momentum + bmean[p] * (1 - bn->momentum);
        rv[p] = bn->var[p] * bn->momentum + bvar[p] * (1 - bn->momentum);
    }
    if (st == CS_OK)
        st = bn_vector_output(ctx, 1, cs_kernel_input(ctx, 3), rm);
    if (st == CS_OK)
        st = bn_vector_output(ctx, 2, cs_kernel_input(ctx, 4), rv);
    if (st == CS_OK && ctx->opset < 14)
        st = bn_vector_output(ctx, 3, cs_kernel_input(ctx, 3), bmean);
    if (st == CS_OK && ctx->opset < 14)
        st = bn_vector_output(ctx, 4, cs_kernel_input(ctx, 4), bvar);
    free(rm);
    free(rv);
    return st;
}

static cs_status bn_apply(cs_kernel_ctx *ctx, const cs_tensor *x, bn_params *bn)
{
    double *a = doubles(ctx, bn->P), *b = a ? doubles(ctx, bn->P) : NULL;
    double *bmean = b ? doubles(ctx, bn->P) : NULL, *bvar = bmean ? doubles(ctx, bn->P) : NULL;
    cs_tensor *y = bvar ? cs_kernel_output_raw(ctx, 0, x->dtype, x->rank, x->dims) : NULL; /* affine fills it */
    cs_status st = y ? CS_OK : ctx->err->status;
    if (st == CS_OK && bn->training)
        moments(x, bn->outer, bn->P, bn->inner, bmean, bvar);
    for (int64_t p = 0; st == CS_OK && p < bn->P; p++) {
        double m = bn->training ? bmean[p] : bn->mean[p], v = bn->training ? bvar[p] : bn->var[p];
        a[p] = bn->scale[p] / sqrt(v + bn->eps);
        b[p] = bn->bias[p] - m * a[p];
    }
    if (st == CS_OK)
        affine(x, y, bn->outer, bn->P, bn->inner, a, b);
    if (st == CS_OK && bn->training)
        st = bn_training_outputs(ctx, bn, bmean, bvar);
    free(a);
    free(b);
    free(bmean);
    free(bvar);
    return st;
}

static cs_status op_batch_norm(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 5);
    bn_params bn = {0};
    if (st == CS_OK)
        st = need_float(ctx, cs_kernel_input(ctx, 0));
    if (st == CS_OK)
        st = bn_setup(ctx, cs_kernel_input(ctx, 0), &bn);
    if (st == CS_OK)
        st = bn_apply(ctx, cs_kernel_input(ctx, 0), &bn);
    free(bn.scale);
    free(bn.bias);
    free(bn.mean);
    free(bn.var);
    return st;
}

/* ---- InstanceNormalization ---- */

static cs_status read_channel_vector(cs_kernel_ctx *ctx, const cs_tensor *t, int64_t C, const char *name,
                                     double *out)
{
    if (cs_tensor_numel(t) != C || !cs_dtype_is_float(t->dtype))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "%s must hold %lld floats", name, (long long)C);
    for (int64_t c = 0; c < C; c++)
        out[c] = cs_tensor_get_f64(t, c);
    return CS_OK;
}

static cs_status op_instance_norm(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 3);
    const cs_tensor *x = cs_kernel_input(ctx, 0);
    if (st == CS_OK)
        st = need_float(ctx, x);
    if (st == CS_OK && x->rank < 3)
        st = cs_kernel_fail(ctx, CS_ERR_SHAPE, "X has rank %d; expected N x C x spatial", x->rank);
    if (st != CS_OK)
        return st;
    int64_t C = x->dims[1], NC = x->dims[0] * C, inner = prod(x->dims, 2, x->rank);
    double eps = cs_attrs_float(&ctx->node->attrs, "epsilon", 1e-5);
    double *scale = doubles(ctx, C), *bias = scale ? doubles(ctx, C) : NULL;
    double *mean = bias ? doubles(ctx, NC) : NULL, *var = mean ? doubles(ctx, NC) : NULL;
    double *a = var ? doubles(ctx, NC) : NULL, *b = a ? doubles(ctx, NC) : NULL;
    st = b ? read_channel_vector(ctx, cs_kernel_input(ctx, 1), C, "scale", scale) : ctx->err->status;
    if (st == CS_OK)
        st = read_channel_vector(ctx, cs_kernel_input(ctx, 2), C, "B", bias);
    cs_tensor *y = st == CS_OK ? cs_kernel_output(ctx, 0, x->dtype, x->rank, x->dims) : NULL;
    if (y) {
        moments(x, 1, NC, inner, mean, var);
        for (int64_t p = 0; p < NC; p++) {
            a[p] = scale[p % C] / sqrt(var[p] + eps);
            b[p] = bias[p % C] - mean[p] * a[p];
        }
        affine(x, y, 1, NC, inner, a, b);
    }
    free(scale), free(bias), free(mean), free(var), free(a), free(b);
    return st != CS_OK ? st : y ? CS_OK : ctx->err->status;
}

/* ---- LRN ---- */

static cs_status op_lrn(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    const cs_tensor *x = cs_kernel_input(ctx, 0);
    if (st == CS_OK)
        st = need_float(ctx, x);
    int64_t size = cs_attrs_int(&ctx->node->attrs, "size", 0);
    if (st == CS_OK && (x->rank < 2 || size < 1))
        st = cs_kernel_fail(ctx, CS_ERR_SHAPE, "needs X of rank >= 2 and a positive size (got %lld)", (long long)size);
    cs_tensor *y = st == CS_OK ? cs_kernel_output(ctx, 0, x->dtype, x->rank, x->dims) : NULL;
    if (!y)
        return st != CS_OK ? st : ctx->err->status;
    double alpha = cs_attrs_float(&ctx->node->attrs, "alpha", 1e-4), beta = cs_attrs_float(&ctx->node->attrs, "beta", 0.75);
    double bias = cs_attrs_float(&ctx->node->attrs, "bias", 1.0);
    int64_t C = x->dims[1], inner = prod(x->dims, 2, x->rank), before = (size - 1) / 2, after = size - 1 - before;
    for (int64_t n = 0; n < x->dims[0]; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t i = 0; i < inner; i++) {
                double sq = 0;
                for (int64_t k = c - before > 0 ? c - before : 0; k <= c + after && k < C; k++) {
                    double v = cs_tensor_get_f64(x, (n * C + k) * inner + i);
                    sq += v * v;
                }
                int64_t at = (n * C + c) * inner + i;
                cs_tensor_set_f64(y, at, cs_tensor_get_f64(x, at) / pow(bias + alpha / (double)size * sq, beta));
            }
    return CS_OK;
}

/* ---- LayerNormalization ---- */

/* Index into a parameter broadcast (unidirectionally) over the normalised dims, for each inner position. */
static cs_status param_index(cs_kernel_ctx *ctx, const cs_tensor *p, int rank, const int64_t *dims, int64_t inner,
                             const char *name, int64_t **out)
{
    int r;
    int64_t bdims[CS_MAX_RANK], strides[CS_MAX_RANK];
    if (p->rank > rank || !cs_broadcast_shape(rank, dims, p->rank, p->dims, &r, bdims) ||
        memcmp(bdims, dims, (size_t)rank * sizeof *dims) != 0 || !cs_dtype_is_float(p->dtype))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "%s does not broadcast to the normalised shape", name);
    cs_broadcast_strides(p->rank, p->dims, rank, dims, strides);
    int64_t *idx = malloc((size_t)(inner > 0 ? inner : 1) * sizeof *idx);
    if (!idx)
        return cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    for (int64_t j = 0; j < inner; j++) {
        int64_t rem = j, at = 0;
        for (int d = rank - 1; d >= 0; d--) {
            at += (rem % dims[d]) * strides[d];
            rem /= dims[d];
        }
        idx[j] = at;
    }
    *out = idx;
    return CS_OK;
}

typedef struct ln_stats {
    cs_tensor *mean, *inv_std; /* optional outputs 1 and 2 */
} ln_stats;

static cs_status ln_stat_outputs(cs_kernel_ctx *ctx, const cs_tensor *x, int axis, ln_stats *s)
{
    int64_t dims[CS_MAX_RANK];
    for (int d = 0; d < x->rank; d++)
        dims[d] = d < axis ? x->dims[d] : 1;
    cs_dtype dt = cs_attrs_int(&ctx->node->attrs, "stash_type", 1) == 1 ? CS_DT_F32 : x->dtype;
    s->mean = cs_kernel_output_used(ctx, 1) ? cs_kernel_output(ctx, 1, dt, x->rank, dims) : NULL;
    s->inv_std = cs_kernel_output_used(ctx, 2) ? cs_kernel_output(ctx, 2, dt, x->rank, dims) : NULL;
    if ((cs_kernel_output_used(ctx, 1) && !s->mean) || (cs_kernel_output_used(ctx, 2) && !s->inv_std))
        return ctx->err->status;
    return CS_OK;
}

static void ln_rows(const cs_tensor *x, cs_tensor *y, const cs_tensor *scale, const cs_tensor *bias,
                    const int64_t *si, const int64_t *bi, int64_t outer, int64_t inner, double eps, ln_stats *s)
{
    for (int64_t o = 0; o < outer; o++) {
        double mean = 0, var = 0;
        for (int64_t j = 0; j < inner; j++)
            mean += cs_tensor_get_f64(x, o * inner + j);
        mean /= (double)inner;
        for (int64_t j = 0; j < inner; j++) {
            double d = cs_tensor_get_f64(x, o * inner + j) - mean;
            var += d * d;
        }
        double inv = 1.0 / sqrt(var / (double)inner + eps);
        for (int64_t j = 0; j < inner; j++) {
            double v = (cs_tensor_get_f64(x, o * inner + j) - mean) * inv * cs_tensor_get_f64(scale, si[j]);
            cs_tensor_set_f64(y, o * inner + j, v + (bias ? cs_tensor_get_f64(bias, bi[j]) : 0));
        }
        if (s->mean)
            cs_tensor_set_f64(s->mean, o, mean);
        if (s->inv_std)
            cs_tensor_set_f64(s->inv_std, o, inv);
    }
}

static cs_status op_layer_norm(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    const cs_tensor *x = cs_kernel_input(ctx, 0), *scale = cs_kernel_input(ctx, 1), *bias = cs_kernel_input(ctx, 2);
    int axis = 0;
    if (st == CS_OK)
        st = need_float(ctx, x);
    if (st == CS_OK)
        st = cs_kernel_axis(ctx, cs_attrs_int(&ctx->node->attrs, "axis", -1), x->rank, &axis);
    if (st != CS_OK)
        return st;
    int64_t outer = prod(x->dims, 0, axis), inner = prod(x->dims, axis, x->rank), *si = NULL, *bi = NULL;
    if (st == CS_OK)
        st = param_index(ctx, scale, x->rank - axis, x->dims + axis, inner, "Scale", &si);
    if (st == CS_OK && bias)
        st = param_index(ctx, bias, x->rank - axis, x->dims + axis, inner, "B", &bi);
    ln_stats s = {0};
    cs_tensor *y = st == CS_OK ? cs_kernel_output(ctx, 0, x->dtype, x->rank, x->dims) : NULL;
    if (y)
        st = ln_stat_outputs(ctx, x, axis, &s);
    double eps = cs_attrs_float(&ctx->node->attrs, "epsilon", 1e-5);
    /* fast path: float32 rows, vectorised, where scale and bias cover the normalised dims element for element
     * (param_index accepted them, so their element count alone says so) and no statistics are asked for */
    bool fast = cs_kernels_fast() && x->dtype == CS_DT_F32 && scale->dtype == CS_DT_F32 &&
                cs_tensor_numel(scale) == inner && (!bias || (bias->dtype == CS_DT_F32 && cs_tensor_numel(bias) == inner)) &&
                !s.mean && !s.inv_std;
    if (y && st == CS_OK && inner > 0 && fast)
        cs_vlayernorm(x->data, y->data, outer, inner, scale->data, bias ? bias->data : NULL, (float)eps, 0);
    else if (y && st == CS_OK && inner > 0)
        ln_rows(x, y, scale, bias, si, bi, outer, inner, eps, &s);
    free(si);
    free(bi);
    return st != CS_OK ? st : y ? CS_OK : ctx->err->status;
}

/* ---- MeanVarianceNormalization ---- */

/* For each element, the index of its group: its coordinates with the reduced axes dropped. */
static cs_status mvn_groups(cs_kernel_ctx *ctx, const cs_tensor *x, const bool *reduced, int64_t **out,
                            int64_t *n_groups)
{
    int64_t n = cs_tensor_numel(x), kept_stride[CS_MAX_RANK], s = 1, idx[CS_MAX_RANK] = {0};
    for (int d = x->rank - 1; d >= 0; d--) {
        kept_stride[d] = reduced[d] ? 0 : s;
        s *= reduced[d] ? 1 : x->dims[d];
    }
    *n_groups = s;
    int64_t *g = malloc((size_t)(n > 0 ? n : 1) * sizeof *g);
    if (!g)
        return cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        int64_t key = 0;
        for (int d = 0; d < x->rank; d++)
            key += idx[d] * kept_stride[d];
        g[i] = key;
        for (int d = x->rank - 1; d >= 0 && ++idx[d] == x->dims[d]; d--)
            idx[d] = 0;
    }
    *out = g;
    return CS_OK;
}

static cs_status mvn_axes(cs_kernel_ctx *ctx, const cs_tensor *x, bool *reduced)
{
    static const int64_t dflt[3] = {0, 2, 3};
    const int64_t *axes = dflt;
    int count = cs_attrs_ints(&ctx->node->attrs, "axes", &axes);
    if (count < 0) {
        axes = dflt;
        count = 3;
    }
    memset(reduced, 0, CS_MAX_RANK * sizeof *reduced);
    for (int i = 0; i < count; i++) {
        int a;
        cs_status st = cs_kernel_axis(ctx, axes[i], x->rank, &a);
        if (st != CS_OK)
            return st;
        reduced[a] = true;
    }
    return CS_OK;
}

static cs_status op_mvn(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    const cs_tensor *x = cs_kernel_input(ctx, 0);
    bool reduced[CS_MAX_RANK];
    if (st == CS_OK)
        st = need_float(ctx, x);
    if (st != CS_OK)
        return st;
    int64_t *group = NULL, n_groups = 0, n = cs_tensor_numel(x);
    if (st == CS_OK)
        st = mvn_axes(ctx, x, reduced);
    if (st == CS_OK)
        st = mvn_groups(ctx, x, reduced, &group, &n_groups);
    double *sum = st == CS_OK ? doubles(ctx, n_groups) : NULL, *sq = sum ? doubles(ctx, n_groups) : NULL;
    cs_tensor *y = sq ? cs_kernel_output(ctx, 0, x->dtype, x->rank, x->dims) : NULL;
    if (y) {
        double per_group = (double)(n / (n_groups > 0 ? n_groups : 1));
        for (int64_t i = 0; i < n; i++) {
            double v = cs_tensor_get_f64(x, i);
            sum[group[i]] += v;
            sq[group[i]] += v * v;
        }
        for (int64_t i = 0; i < n; i++) {
            double mean = sum[group[i]] / per_group, var = sq[group[i]] / per_group - mean * mean;
            cs_tensor_set_f64(y, i, (cs_tensor_get_f64(x, i) - mean) / (sqrt(var > 0 ? var : 0) + 1e-9));
        }
    }
    free(group), free(sum), free(sq);
    return st != CS_OK ? st : y ? CS_OK : ctx->err->status;
}

/* ---- Dropout ---- */

typedef struct dropout_cfg {
    double ratio;
    bool training;
    uint64_t seed;
} dropout_cfg;

static cs_status dropout_cfg_read(cs_kernel_ctx *ctx, dropout_cfg *cfg)
{
    const cs_tensor *ratio = cs_kernel_input(ctx, 1), *mode = cs_kernel_input(ctx, 2);
    cfg->ratio = cs_attrs_float(&ctx->node->attrs, "ratio", 0.5);
    cfg->seed = (uint64_t)cs_attrs_int(&ctx->node->attrs, "seed", 0);
    cfg->training = ctx->opset < 7 && cs_attrs_int(&ctx->node->attrs, "is_test", 0) == 0;
    if (ctx->opset >= 12 && ratio) {
        if (cs_tensor_numel(ratio) != 1 || !cs_dtype_is_float(ratio->dtype))
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "ratio must be a float scalar");
        cfg->ratio = cs_tensor_get_f64(ratio, 0);
    }
    if (ctx->opset >= 12)
        cfg->training = mode && cs_tensor_numel(mode) == 1 && cs_tensor_get_f64(mode, 0) != 0;
    if (cfg->training && !(cfg->ratio >= 0 && cfg->ratio <= 1))
        return cs_kernel_fail(ctx, CS_ERR_ARG, "ratio %g is outside [0, 1]", cfg->ratio);
    return CS_OK;
}

/* xorshift64*: a small deterministic generator for training-mode masks. */
static double next_uniform(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (double)((*state * UINT64_C(2685821657736338717)) >> 11) / 9007199254740992.0;
}

static cs_status dropout_apply(cs_kernel_ctx *ctx, const cs_tensor *x, const dropout_cfg *cfg, cs_tensor *mask)
{
    cs_tensor *y = cs_kernel_output(ctx, 0, x->dtype, x->rank, x->dims);
    if (!y)
        return ctx->err->status;
    bool drop = cfg->training && cfg->ratio > 0;
    if (!drop && x->nbytes)
        memcpy(y->data, x->data, x->nbytes);
    uint64_t state = cfg->seed * UINT64_C(0x9E3779B97F4A7C15) + 0x2545F4914F6CDD1DULL;
    double scale = cfg->ratio < 1 ? 1.0 / (1.0 - cfg->ratio) : 0;
    for (int64_t i = 0; i < cs_tensor_numel(x); i++) {
        bool keep = !drop || next_uniform(&state) >= cfg->ratio;
        if (drop)
            cs_tensor_set_f64(y, i, keep ? cs_tensor_get_f64(x, i) * scale : 0);
        if (mask)
            cs_tensor_set_f64(mask, i, keep ? 1 : 0);
    }
    return CS_OK;
}

static cs_status op_dropout(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    const cs_tensor *x = cs_kernel_input(ctx, 0);
    dropout_cfg cfg;
    if (st == CS_OK)
        st = dropout_cfg_read(ctx, &cfg);
    if (st != CS_OK)
        return st;
    cs_tensor *mask = NULL;
    if (cs_kernel_output_used(ctx, 1)) {
        cs_dtype mdt = ctx->opset >= 10 ? CS_DT_BOOL : x->dtype;
        if (!(mask = cs_kernel_output(ctx, 1, mdt, x->rank, x->dims)))
            return ctx->err->status;
    }
    return dropout_apply(ctx, x, &cfg, mask);
}

/* LpNormalization: x divided by its L1 or L2 norm along axis; a zero norm gives zeros (as onnxruntime). */
static cs_status op_lp_norm(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    const cs_tensor *x = cs_kernel_input(ctx, 0);
    int64_t p = cs_attrs_int(&ctx->node->attrs, "p", 2);
    int axis = 0;
    if (st == CS_OK)
        st = need_float(ctx, x);
    if (st == CS_OK && p != 1 && p != 2)
        st = cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "p = %lld; expected 1 or 2", (long long)p);
    if (st == CS_OK)
        st = cs_kernel_axis(ctx, cs_attrs_int(&ctx->node->attrs, "axis", -1), x->rank, &axis);
    cs_tensor *y = st == CS_OK ? cs_kernel_output(ctx, 0, x->dtype, x->rank, x->dims) : NULL;
    if (!y)
        return st != CS_OK ? st : ctx->err->status;
    int64_t outer = prod(x->dims, 0, axis), P = x->dims[axis], inner = prod(x->dims, axis + 1, x->rank);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * P * inner + i;
            double n = 0;
            for (int64_t k = 0; k < P; k++) {
                double v = cs_tensor_get_f64(x, base + k * inner);
                n += p == 1 ? fabs(v) : v * v;
            }
            n = p == 1 ? n : sqrt(n);
            for (int64_t k = 0; k < P; k++)
                cs_tensor_set_f64(y, base + k * inner, n > 0 ? cs_tensor_get_f64(x, base + k * inner) / n : 0);
        }
    return CS_OK;
}

const cs_op_def cs_ops_norm[] = {
    {.name = "BatchNormalization", .run = op_batch_norm, .infer = cs_infer_same, .backward = cs_grad_batchnorm},
    {.name = "InstanceNormalization", .run = op_instance_norm, .infer = cs_infer_same},
    {.name = "LRN", .run = op_lrn, .infer = cs_infer_same},
    {.name = "LayerNormalization", .run = op_layer_norm},
    {.name = "MeanVarianceNormalization", .run = op_mvn, .infer = cs_infer_same},
    {.name = "LpNormalization", .run = op_lp_norm, .infer = cs_infer_same, .backward = cs_grad_lp_norm},
    {.name = "Dropout", .run = op_dropout, .backward = cs_grad_identity},
    {.name = NULL},
};

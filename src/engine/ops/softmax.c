/* softmax.c — op family 'softmax': Softmax, LogSoftmax, Hardmax (both opset axis conventions,
 * max-subtracted for stability) and the NegativeLogLikelihoodLoss / SoftmaxCrossEntropyLoss losses. */
#include "elementwise.h"
#include "fastpath.h"
#include "registry.h"
#include "infer.h"
#include "parallel.h"
#include "vecmath.h"
#include "../grad/backward.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A tensor seen as outer x n x inner: the op works on the n elements of each (outer, inner) lane. */
typedef struct lanes {
    int64_t outer, n, inner;
} lanes;

static int64_t dims_product(const int64_t *dims, int from, int to)
{
    int64_t p = 1;
    for (int i = from; i < to; i++)
        p *= dims[i];
    return p;
}

/* Opset < 13 coerces the input to 2-D at axis (default 1); opset >= 13 works along axis (default -1). */
static cs_status softmax_lanes(cs_kernel_ctx *ctx, const cs_tensor *x, lanes *l)
{
    bool coerce_2d = ctx->opset < 13;
    int64_t axis_attr = cs_attrs_int(&ctx->node->attrs, "axis", coerce_2d ? 1 : -1);
    int axis;
    if (coerce_2d && axis_attr == x->rank) {
        axis = x->rank; /* [prod(all), 1]: every lane has one element */
    } else {
        cs_status st = cs_kernel_axis(ctx, axis_attr, x->rank, &axis);
        if (st != CS_OK)
            return st;
    }
    l->outer = dims_product(x->dims, 0, axis);
    if (coerce_2d) {
        l->n = dims_product(x->dims, axis, x->rank);
        l->inner = 1;
    } else {
        l->n = x->rank > 0 ? x->dims[axis] : 1;
        l->inner = dims_product(x->dims, axis + 1, x->rank);
    }
    return CS_OK;
}

/* Copies any float tensor into a malloc'd double array. */
static double *read_doubles(cs_kernel_ctx *ctx, const cs_tensor *t)
{
    int64_t n = cs_tensor_numel(t);
    double *buf = malloc((size_t)(n > 0 ? n : 1) * sizeof *buf);
    if (!buf) {
        cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory for %lld elements", (long long)n);
        return NULL;
    }
    if (t->dtype == CS_DT_F32) {
        const float *p = t->data;
        for (int64_t i = 0; i < n; i++)
            buf[i] = p[i];
    } else {
        for (int64_t i = 0; i < n; i++)
            buf[i] = cs_tensor_get_f64(t, i);
    }
    return buf;
}

static void write_doubles(cs_tensor *t, const double *buf)
{
    int64_t n = cs_tensor_numel(t);
    if (t->dtype == CS_DT_F32) {
        float *p = t->data;
        for (int64_t i = 0; i < n; i++)
            p[i] = (float)buf[i];
    } else {
        for (int64_t i = 0; i < n; i++)
            cs_tensor_set_f64(t, i, buf[i]);
    }
}

typedef enum { KIND_SOFTMAX, KIND_LOG_SOFTMAX, KIND_HARDMAX } softmax_kind;

/* Applies the op in place to one lane: elements v[0], v[stride], ... v[(n-1)*stride]. */
static void lane_apply(double *v, int64_t n, int64_t stride, softmax_kind kind)
{
    int64_t arg = 0;
    for (int64_t k = 1; k < n; k++)
        if (v[k * stride] > v[arg * stride])
            arg = k;
    double max = v[arg * stride];
    if (kind == KIND_HARDMAX) {
        for (int64_t k = 0; k < n; k++)
            v[k * stride] = k == arg ? 1.0 : 0.0;
        return;
    }
    double sum = 0.0;
    for (int64_t k = 0; k < n; k++)
        sum += exp(v[k * stride] - max);
    double log_sum = log(sum);
    for (int64_t k = 0; k < n; k++) {
        double shifted = v[k * stride] - max;
        v[k * stride] = kind == KIND_LOG_SOFTMAX ? shifted - log_sum : exp(shifted) / sum;
    }
}

static void lanes_apply(double *buf, const lanes *l, softmax_kind kind)
{
    if (l->n <= 0)
        return;
    for (int64_t o = 0; o < l->outer; o++)
        for (int64_t i = 0; i < l->inner; i++)
            lane_apply(buf + o * l->n * l->inner + i, l->n, l->inner, kind);
}

static cs_status check_float_input(cs_kernel_ctx *ctx, const cs_tensor *x, const char *what)
{
    if (!cs_dtype_is_float(x->dtype))
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "%s is %s, expected a float tensor", what,
                              cs_dtype_name(x->dtype));
    return CS_OK;
}

typedef struct softmax_job {
    const float *src;
    float *dst;
    int64_t n;
} softmax_job;

/* Lanes [begin, end), each computed whole (max, exp, sum, scale), so the thread count changes no result. */
static void softmax_part(void *user, int64_t begin, int64_t end)
{
    const softmax_job *j = user;
    for (int64_t o = begin; o < end; o++)
        cs_vsoftmax(j->src + o * j->n, j->dst + o * j->n, j->n);
}

/* Fast path: f32 softmax over contiguous lanes (the last axis), exp vectorised (vecmath.h), the lanes shared
 * over the --threads count when there are many (parallel.h). */
static cs_status softmax_f32(cs_kernel_ctx *ctx, const cs_tensor *x, const lanes *l)
{
    cs_tensor *out = cs_kernel_output_raw(ctx, 0, CS_DT_F32, x->rank, x->dims);
    if (!out)
        return cs_ew_failed(ctx);
    softmax_job job = {x->data, out->data, l->n};
    cs_parallel_for(l->outer, (CS_PAR_MIN_ELEMS / 4 + l->n - 1) / l->n, softmax_part, &job);
    return CS_OK;
}

static cs_status run_softmax(cs_kernel_ctx *ctx, softmax_kind kind)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st != CS_OK || (st = check_float_input(ctx, ctx->in[0], "input")) != CS_OK)
        return st;
    const cs_tensor *x = ctx->in[0];
    lanes l;
    if ((st = softmax_lanes(ctx, x, &l)) != CS_OK)
        return st;
    if (kind == KIND_SOFTMAX && x->dtype == CS_DT_F32 && l.inner == 1 && l.n > 0 && cs_kernels_fast())
        return softmax_f32(ctx, x, &l);
    double *buf = read_doubles(ctx, x);
    if (!buf)
        return cs_ew_failed(ctx);
    lanes_apply(buf, &l, kind);
    cs_tensor *out = cs_kernel_output(ctx, 0, x->dtype, x->rank, x->dims);
    if (out)
        write_doubles(out, buf);
    free(buf);
    return out ? CS_OK : cs_ew_failed(ctx);
}

static cs_status op_softmax(cs_kernel_ctx *ctx) { return run_softmax(ctx, KIND_SOFTMAX); }
static cs_status op_log_softmax(cs_kernel_ctx *ctx) { return run_softmax(ctx, KIND_LOG_SOFTMAX); }
static cs_status op_hardmax(cs_kernel_ctx *ctx) { return run_softmax(ctx, KIND_HARDMAX); }

/* ---- losses ---- */

typedef enum { REDUCE_NONE, REDUCE_SUM, REDUCE_MEAN } loss_reduction;

typedef struct nll_args {
    const double *log_prob;     /* N x C x D, already log-probabilities */
    const cs_tensor *target;    /* N x D integers */
    const cs_tensor *weight;    /* C, or NULL */
    int64_t n, c, d;
    bool has_ignore;
    int64_t ignore_index;
    loss_reduction reduction;
} nll_args;

static cs_status read_reduction(cs_kernel_ctx *ctx, loss_reduction *r)
{
    const char *s = cs_attrs_string(&ctx->node->attrs, "reduction", "mean");
    if (strcmp(s, "none") == 0)
        *r = REDUCE_NONE;
    else if (strcmp(s, "sum") == 0)
        *r = REDUCE_SUM;
    else if (strcmp(s, "mean") == 0)
        *r = REDUCE_MEAN;
    else
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "reduction must be none, sum or mean, got '%s'", s);
    return CS_OK;
}

/* Checks input (N, C, d1..dk), target (N, d1..dk) and weight (C) and fills the sizes. */
static cs_status check_loss_shapes(cs_kernel_ctx *ctx, const cs_tensor *x, const cs_tensor *target,
                                   const cs_tensor *weight, nll_args *a)
{
    char sx[128], st_[128];
    if (x->rank < 2)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input must have rank >= 2 (N, C, ...), got rank %d", x->rank);
    bool fits = target->rank == x->rank - 1 && target->dims[0] == x->dims[0];
    for (int i = 1; fits && i < target->rank; i++)
        fits = target->dims[i] == x->dims[i + 1];
    if (!fits)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "target %s does not match input %s (expected N, d1..dk)",
                              cs_shape_str(target->rank, target->dims, st_, sizeof st_),
                              cs_shape_str(x->rank, x->dims, sx, sizeof sx));
    if (target->dtype != CS_DT_I32 && target->dtype != CS_DT_I64)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "target is %s, expected i32 or i64", cs_dtype_name(target->dtype));
    a->n = x->dims[0];
    a->c = x->dims[1];
    a->d = dims_product(x->dims, 2, x->rank);
    if (weight && (weight->rank != 1 || weight->dims[0] != a->c || !cs_dtype_is_float(weight->dtype)))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "weight %s must be a float vector of C=%lld elements",
                              cs_shape_str(weight->rank, weight->dims, sx, sizeof sx), (long long)a->c);
    return CS_OK;
}

static cs_status read_loss_args(cs_kernel_ctx *ctx, nll_args *a)
{
    memset(a, 0, sizeof *a);
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    if (st != CS_OK || (st = check_float_input(ctx, ctx->in[0], "input")) != CS_OK)
        return st;
    a->target = ctx->in[1];
    a->weight = cs_kernel_input(ctx, 2);
    a->has_ignore = cs_attrs_find(&ctx->node->attrs, "ignore_index") != NULL;
    a->ignore_index = cs_attrs_int(&ctx->node->attrs, "ignore_index", 0);
    if ((st = read_reduction(ctx, &a->reduction)) != CS_OK)
        return st;
    return check_loss_shapes(ctx, ctx->in[0], a->target, a->weight, a);
}

/* Per-element losses into loss[N*D]; returns the summed weights through *weight_sum. */
static cs_status nll_elements(cs_kernel_ctx *ctx, const nll_args *a, double *loss, double *weight_sum)
{
    double wsum = 0.0;
    for (int64_t i = 0; i < a->n; i++) {
        for (int64_t j = 0; j < a->d; j++) {
            int64_t at = i * a->d + j, cls = cs_tensor_get_i64(a->target, at);
            if (a->has_ignore && cls == a->ignore_index) {
                loss[at] = 0.0;
                continue;
            }
            if (cls < 0 || cls >= a->c)
                return cs_kernel_fail(ctx, CS_ERR_ARG, "target element %lld is class %lld, outside [0, %lld)",
                                      (long long)at, (long long)cls, (long long)a->c);
            double w = a->weight ? cs_tensor_get_f64(a->weight, cls) : 1.0;
            loss[at] = -a->log_prob[(i * a->c + cls) * a->d + j] * w;
            wsum += w;
        }
    }
    *weight_sum = wsum;
    return CS_OK;
}

/* Writes output 0: per-element losses shaped like target, or their sum / weighted mean. */
static cs_status nll_output(cs_kernel_ctx *ctx, const nll_args *a, cs_dtype dtype)
{
    int64_t count = a->n * a->d;
    double *loss = malloc((size_t)(count > 0 ? count : 1) * sizeof *loss);
    if (!loss)
        return cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory for %lld losses", (long long)count);
    double weight_sum = 0.0;
    cs_status st = nll_elements(ctx, a, loss, &weight_sum);
    cs_tensor *out = NULL;
    if (st == CS_OK && a->reduction == REDUCE_NONE) {
        out = cs_kernel_output(ctx, 0, dtype, a->target->rank, a->target->dims);
        if (out)
            write_doubles(out, loss);
    } else if (st == CS_OK) {
        double total = 0.0;
        for (int64_t i = 0; i < count; i++)
            total += loss[i];
        out = cs_kernel_output(ctx, 0, dtype, 0, NULL);
        if (out)
            cs_tensor_set_f64(out, 0, a->reduction == REDUCE_SUM ? total : total / weight_sum);
    }
    free(loss);
    if (st != CS_OK)
        return st;
    return out ? CS_OK : cs_ew_failed(ctx);
}

static cs_status op_nll_loss(cs_kernel_ctx *ctx)
{
    nll_args a;
    cs_status st = read_loss_args(ctx, &a);
    if (st != CS_OK)
        return st;
    double *log_prob = read_doubles(ctx, ctx->in[0]);
    if (!log_prob)
        return cs_ew_failed(ctx);
    a.log_prob = log_prob;
    st = nll_output(ctx, &a, ctx->in[0]->dtype);
    free(log_prob);
    return st;
}

static cs_status op_softmax_cross_entropy(cs_kernel_ctx *ctx)
{
    nll_args a;
    cs_status st = read_loss_args(ctx, &a);
    if (st != CS_OK)
        return st;
    const cs_tensor *scores = ctx->in[0];
    double *log_prob = read_doubles(ctx, scores);
    if (!log_prob)
        return cs_ew_failed(ctx);
    lanes l = {a.n, a.c, a.d};
    lanes_apply(log_prob, &l, KIND_LOG_SOFTMAX);
    a.log_prob = log_prob;
    st = nll_output(ctx, &a, scores->dtype);
    if (st == CS_OK && cs_kernel_output_used(ctx, 1)) {
        cs_tensor *lp = cs_kernel_output(ctx, 1, scores->dtype, scores->rank, scores->dims);
        if (lp)
            write_doubles(lp, log_prob);
        else
            st = cs_ew_failed(ctx);
    }
    free(log_prob);
    return st;
}

const cs_op_def cs_ops_softmax[] = {
    {.name = "Softmax", .run = op_softmax, .infer = cs_infer_same, .backward = cs_grad_softmax},
    {.name = "LogSoftmax", .run = op_log_softmax, .infer = cs_infer_same, .backward = cs_grad_logsoftmax},
    {.name = "Hardmax", .run = op_hardmax, .infer = cs_infer_same},
    {.name = "NegativeLogLikelihoodLoss", .run = op_nll_loss},
    {.name = "SoftmaxCrossEntropyLoss", .run = op_softmax_cross_entropy},
    {.name = NULL},
};

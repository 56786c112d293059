/* reduce.c — op family 'reduce': kernels that fold a tensor along axes (Reduce*, ArgMax/ArgMin),
 * scan it (CumSum) or rank and deduplicate its elements (TopK, Unique). */
#include "registry.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fastpath.h"
#include "shape_util.h"
#include "vecmath.h"

typedef enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_LOGSUM, R_LOGSUMEXP, R_SUMSQUARE } reduce_kind;

static double reduce_init(reduce_kind k)
{
    switch (k) {
    case R_PROD: return 1.0;
    case R_MAX: return -INFINITY;
    case R_MIN: return INFINITY;
    default: return 0.0;
    }
}

static double reduce_step(reduce_kind k, double acc, double x)
{
    switch (k) {
    case R_PROD: return acc * x;
    case R_MAX: return x > acc || isnan(x) ? x : acc;
    case R_MIN: return x < acc || isnan(x) ? x : acc;
    case R_L1: return acc + fabs(x);
    case R_L2: case R_SUMSQUARE: return acc + x * x;
    case R_LOGSUMEXP: return acc + exp(x);
    default: return acc + x;
    }
}

static double reduce_final(reduce_kind k, double acc, int64_t count)
{
    switch (k) {
    case R_MEAN: return acc / (double)count;
    case R_L2: return sqrt(acc);
    case R_LOGSUM: case R_LOGSUMEXP: return log(acc);
    default: return acc;
    }
}

/* Reads the reduction axes: input 1 from opset 18 (13 for ReduceSum), else the 'axes' attribute. */
static cs_status reduce_axes(cs_kernel_ctx *ctx, bool sum_like, cs_int_list *axes)
{
    bool from_input = ctx->opset >= 18 || (sum_like && ctx->opset >= 13);
    return cs_read_int_list(ctx, from_input ? 1 : -1, from_input ? NULL : "axes", axes);
}

/* Output dims of a reduction over `reduced` axes, with or without kept unit dims. */
static int reduced_dims(const cs_tensor *in, const bool *reduced, bool keepdims, int64_t *dims)
{
    int rank = 0;
    for (int a = 0; a < in->rank; a++) {
        if (!reduced[a])
            dims[rank++] = in->dims[a];
        else if (keepdims)
            dims[rank++] = 1;
    }
    return rank;
}

/* Fast path: f32 sum, mean, max or min over trailing axes (rows of contiguous elements), vectorised (vecmath.h):
 * sums in double with a reassociated order, so results match the reference's double sums rounded to float.
 * False when the case is not that one. */
static bool reduce_rows_f32(const cs_tensor *in, const bool *reduced, reduce_kind kind, cs_tensor *out)
{
    if (!cs_kernels_fast() || in->dtype != CS_DT_F32 ||
        (kind != R_SUM && kind != R_MEAN && kind != R_MAX && kind != R_MIN))
        return false;
    int first = in->rank;
    while (first > 0 && reduced[first - 1])
        first--;
    for (int a = 0; a < first; a++)
        if (reduced[a])
            return false;
    int64_t n_out = cs_tensor_numel(out), n_in = cs_tensor_numel(in), row = n_out > 0 ? n_in / n_out : 0;
    if (row <= 0 || row * n_out != n_in)
        return false;
    const float *x = in->data;
    float *y = out->data;
    for (int64_t o = 0; o < n_out; o++, x += row)
        y[o] = kind == R_MAX ? cs_vmax(x, row) : kind == R_MIN ? cs_vmin(x, row)
             : kind == R_MEAN ? (float)(cs_vsum_f64(x, row) / (double)row) : (float)cs_vsum_f64(x, row);
    return true;
}

static cs_status reduce_run(cs_kernel_ctx *ctx, reduce_kind kind)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    cs_int_list axes;
    if (st || (st = reduce_axes(ctx, kind == R_SUM, &axes)))
        return st;
    const cs_tensor *in = ctx->in[0];
    if ((st = cs_normalize_axes(ctx, &axes, in->rank)))
        return st;
    bool keepdims = cs_attrs_int(&ctx->node->attrs, "keepdims", 1) != 0;
    bool noop = cs_attrs_int(&ctx->node->attrs, "noop_with_empty_axes", 0) != 0;
    bool reduced[CS_MAX_RANK] = {false};
    for (int a = 0; a < in->rank; a++)
        reduced[a] = axes.n == 0 && !noop;
    for (int i = 0; i < axes.n; i++)
        reduced[axes.v[i]] = true;
    int64_t dims[CS_MAX_RANK], ostr_full[CS_MAX_RANK], ostr[CS_MAX_RANK], kdims[CS_MAX_RANK];
    int rank = reduced_dims(in, reduced, keepdims, dims);
    cs_tensor *out = cs_kernel_output(ctx, 0, in->dtype, rank, dims);
    if (!out)
        return ctx->err->status;
    if (reduce_rows_f32(in, reduced, kind, out))
        return CS_OK;
    reduced_dims(in, reduced, true, kdims);
    cs_strides(in->rank, kdims, ostr_full);
    for (int a = 0; a < in->rank; a++)
        ostr[a] = reduced[a] ? 0 : ostr_full[a];
    int64_t n_out = cs_tensor_numel(out), n_in = cs_tensor_numel(in);
    double *acc = malloc((size_t)(n_out > 0 ? n_out : 1) * sizeof(double));
    if (!acc)
        return cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    for (int64_t o = 0; o < n_out; o++)
        acc[o] = reduce_init(kind);
    int64_t pos[CS_MAX_RANK] = {0}, off = 0;
    for (int64_t i = 0; i < n_in; i++) {
        acc[off] = reduce_step(kind, acc[off], cs_load_f64(in, i));
        for (int a = in->rank - 1; a >= 0; a--) {
            off += ostr[a];
            if (++pos[a] < in->dims[a])
                break;
            off -= pos[a] * ostr[a];
            pos[a] = 0;
        }
    }
    int64_t count = n_out ? n_in / n_out : 0;
    for (int64_t o = 0; o < n_out; o++)
        cs_tensor_set_f64(out, o, reduce_final(kind, acc[o], count));
    free(acc);
    return CS_OK;
}

static cs_status op_reduce_sum(cs_kernel_ctx *ctx) { return reduce_run(ctx, R_SUM); }
static cs_status op_reduce_mean(cs_kernel_ctx *ctx) { return reduce_run(ctx, R_MEAN); }
static cs_status op_reduce_max(cs_kernel_ctx *ctx) { return reduce_run(ctx, R_MAX); }
static cs_status op_reduce_min(cs_kernel_ctx *ctx) { return reduce_run(ctx, R_MIN); }
static cs_status op_reduce_prod(cs_kernel_ctx *ctx) { return reduce_run(ctx, R_PROD); }
static cs_status op_reduce_l1(cs_kernel_ctx *ctx) { return reduce_run(ctx, R_L1); }
static cs_status op_reduce_l2(cs_kernel_ctx *ctx) { return reduce_run(ctx, R_L2); }
static cs_status op_reduce_log_sum(cs_kernel_ctx *ctx) { return reduce_run(ctx, R_LOGSUM); }
static cs_status op_reduce_log_sum_exp(cs_kernel_ctx *ctx) { return reduce_run(ctx, R_LOGSUMEXP); }
static cs_status op_reduce_sum_square(cs_kernel_ctx *ctx) { return reduce_run(ctx, R_SUMSQUARE); }

/* ---- ArgMax / ArgMin ---- */

static cs_status arg_extreme(cs_kernel_ctx *ctx, bool want_max)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    const cs_tensor *in = ctx->in[0];
    int axis;
    if (st || (st = cs_kernel_axis(ctx, cs_attrs_int(&ctx->node->attrs, "axis", 0), in->rank, &axis)))
        return st;
    if (in->rank == 0 || in->dims[axis] == 0)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "cannot take an arg-extreme over an empty axis");
    bool keepdims = cs_attrs_int(&ctx->node->attrs, "keepdims", 1) != 0;
    bool last = cs_attrs_int(&ctx->node->attrs, "select_last_index", 0) != 0;
    bool reduced[CS_MAX_RANK] = {false};
    reduced[axis] = true;
    int64_t dims[CS_MAX_RANK];
    int rank = reduced_dims(in, reduced, keepdims, dims);
    cs_tensor *out = cs_kernel_output(ctx, 0, CS_DT_I64, rank, dims);
    if (!out)
        return ctx->err->status;
    int64_t outer = cs_dims_prod(in->dims, 0, axis), inner = cs_dims_prod(in->dims, axis + 1, in->rank);
    int64_t dim = in->dims[axis], *o = out->data;
    for (int64_t a = 0; a < outer; a++)
        for (int64_t b = 0; b < inner; b++) {
            int64_t best = 0, base = a * dim * inner + b;
            double bv = cs_load_f64(in, base);
            for (int64_t i = 1; i < dim; i++) {
                double v = cs_load_f64(in, base + i * inner);
                bool better = want_max ? (v > bv || (last && v == bv)) : (v < bv || (last && v == bv));
                if (better) {
                    bv = v;
                    best = i;
                }
            }
            o[a * inner + b] = best;
        }
    return CS_OK;
}

static cs_status op_arg_max(cs_kernel_ctx *ctx) { return arg_extreme(ctx, true); }
static cs_status op_arg_min(cs_kernel_ctx *ctx) { return arg_extreme(ctx, false); }

/* ---- CumSum ---- */

static cs_status op_cum_sum(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    int64_t axis_v;
    int axis;
    if (st || (st = cs_read_scalar_i64(ctx, ctx->in[1], "axis", &axis_v)) ||
        (st = cs_kernel_axis(ctx, axis_v, ctx->in[0]->rank, &axis)))
        return st;
    const cs_tensor *in = ctx->in[0];
    if (in->rank == 0)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input must have rank >= 1");
    bool exclusive = cs_attrs_int(&ctx->node->attrs, "exclusive", 0) != 0;
    bool reverse = cs_attrs_int(&ctx->node->attrs, "reverse", 0) != 0;
    cs_tensor *out = cs_kernel_output(ctx, 0, in->dtype, in->rank, in->dims);
    if (!out)
        return ctx->err->status;
    bool is_float = cs_dtype_is_float(in->dtype);
    int64_t outer = cs_dims_prod(in->dims, 0, axis), inner = cs_dims_prod(in->dims, axis + 1, in->rank);
    int64_t dim = in->dims[axis];
    for (int64_t a = 0; a < outer; a++)
        for (int64_t b = 0; b < inner; b++) {
            double facc = 0;
            int64_t iacc = 0;
            for (int64_t s = 0; s < dim; s++) {
                int64_t i = reverse ? dim - 1 - s : s, at = (a * dim + i) * inner + b;
                if (exclusive)
                    is_float ? cs_tensor_set_f64(out, at, facc) : cs_tensor_set_i64(out, at, iacc);
                if (is_float)
                    facc += cs_load_f64(in, at);
                else
                    iacc = (int64_t)((uint64_t)iacc + (uint64_t)cs_tensor_get_i64(in, at));
                if (!exclusive)
                    is_float ? cs_tensor_set_f64(out, at, facc) : cs_tensor_set_i64(out, at, iacc);
            }
        }
    return CS_OK;
}

/* ---- TopK ---- */

typedef struct topk_line {
    const double *vals;
    bool largest;
} topk_line;

static int topk_cmp(const void *user, int64_t a, int64_t b)
{
    const topk_line *l = user;
    double va = l->vals[a], vb = l->vals[b];
    if (va == vb)
        return 0;
    bool a_first = l->largest ? va > vb : va < vb;
    return a_first ? -1 : 1;
}

static cs_status topk_k(cs_kernel_ctx *ctx, int64_t dim, int64_t *k)
{
    cs_status st = CS_OK;
    if (ctx->opset >= 10) {
        if ((st = cs_kernel_need_inputs(ctx, 2)) || (st = cs_read_scalar_i64(ctx, ctx->in[1], "K", k)))
            return st;
    } else {
        *k = cs_attrs_int(&ctx->node->attrs, "k", -1);
    }
    if (*k < 0 || *k > dim)
        return cs_kernel_fail(ctx, CS_ERR_ARG, "k = %lld is out of range for an axis of size %lld", (long long)*k,
                              (long long)dim);
    return CS_OK;
}

static cs_status op_top_k(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    const cs_tensor *in = ctx->in[0];
    int axis;
    int64_t k;
    if (st || (st = cs_kernel_axis(ctx, cs_attrs_int(&ctx->node->attrs, "axis", -1), in->rank, &axis)) ||
        (st = topk_k(ctx, in->rank ? in->dims[axis] : 0, &k)))
        return st;
    int64_t dims[CS_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    dims[axis] = k;
    cs_tensor *vals = cs_kernel_output(ctx, 0, in->dtype, in->rank, dims);
    cs_tensor *idxs = vals ? cs_kernel_output(ctx, 1, CS_DT_I64, in->rank, dims) : NULL;
    if (!idxs)
        return ctx->err->status;
    int64_t outer = cs_dims_prod(in->dims, 0, axis), inner = cs_dims_prod(in->dims, axis + 1, in->rank);
    int64_t dim = in->dims[axis];
    double *line = malloc((size_t)(dim > 0 ? dim : 1) * sizeof(double));
    int64_t *order = malloc((size_t)(dim > 0 ? dim : 1) * sizeof(int64_t));
    topk_line l = {line, cs_attrs_int(&ctx->node->attrs, "largest", 1) != 0};
    size_t esize = cs_dtype_size(in->dtype);
    for (int64_t a = 0; a < outer && line && order; a++)
        for (int64_t b = 0; b < inner; b++) {
            for (int64_t i = 0; i < dim; i++) {
                line[i] = cs_load_f64(in, (a * dim + i) * inner + b);
                order[i] = i;
            }
            if (!cs_sort_indices(order, dim, topk_cmp, &l)) {
                free(line);
                line = NULL;
                break;
            }
            for (int64_t j = 0; j < k; j++) {
                int64_t at = (a * k + j) * inner + b;
                cs_copy_elem(vals, at, in, (a * dim + order[j]) * inner + b, esize);
                ((int64_t *)idxs->data)[at] = order[j];
            }
        }
    bool ok = line && order;
    free(line);
    free(order);
    return ok ? CS_OK : cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
}

/* ---- Unique ---- */

/* Slices along the chosen axis, each `len` values long, laid out contiguously in `vals`. */
typedef struct unique_slices {
    double *vals;
    int64_t len;
} unique_slices;

static int unique_cmp(const void *user, int64_t a, int64_t b)
{
    const unique_slices *s = user;
    for (int64_t i = 0; i < s->len; i++) {
        double x = s->vals[a * s->len + i], y = s->vals[b * s->len + i];
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

static int first_index_cmp(const void *user, int64_t a, int64_t b)
{
    const int64_t *first = user;
    return first[a] < first[b] ? -1 : (first[a] > first[b]);
}

typedef struct unique_result {
    int64_t n_slices, n_unique;
    int64_t *order;   /* slice indices sorted by value (stable) */
    int64_t *group;   /* per slice: its unique group (in output order) */
    int64_t *first;   /* per group (output order): first slice index */
    int64_t *count;   /* per group (output order) */
} unique_result;

static void unique_free(unique_result *r)
{
    free(r->order);
    free(r->group);
    free(r->first);
    free(r->count);
}

/* Groups equal slices; output order is by value when sorted, else by first occurrence. */
static bool unique_group(const unique_slices *s, bool sorted, unique_result *r)
{
    int64_t n = r->n_slices, sz = n > 0 ? n : 1;
    r->order = malloc((size_t)sz * sizeof(int64_t));
    r->group = malloc((size_t)sz * sizeof(int64_t));
    r->first = malloc((size_t)sz * sizeof(int64_t));
    r->count = calloc((size_t)sz, sizeof(int64_t));
    int64_t *perm = malloc((size_t)sz * sizeof(int64_t)), *rank_of = malloc((size_t)sz * sizeof(int64_t));
    bool ok = r->order && r->group && r->first && r->count && perm && rank_of;
    for (int64_t i = 0; ok && i < n; i++)
        r->order[i] = i;
    ok = ok && cs_sort_indices(r->order, n, unique_cmp, s);
    r->n_unique = 0;
    for (int64_t i = 0; ok && i < n; i++) {
        if (i == 0 || unique_cmp(s, r->order[i - 1], r->order[i]) != 0)
            r->first[r->n_unique++] = r->order[i];
        r->group[r->order[i]] = r->n_unique - 1;
    }
    for (int64_t g = 0; ok && g < r->n_unique; g++)
        perm[g] = g;
    if (ok && !sorted) { /* renumber groups by first occurrence */
        int64_t *first_copy = malloc((size_t)sz * sizeof(int64_t));
        ok = first_copy != NULL;
        if (ok) {
            memcpy(first_copy, r->first, (size_t)r->n_unique * sizeof(int64_t));
            ok = cs_sort_indices(perm, r->n_unique, first_index_cmp, first_copy);
            for (int64_t g = 0; ok && g < r->n_unique; g++) {
                rank_of[perm[g]] = g;
                r->first[g] = first_copy[perm[g]];
            }
            for (int64_t i = 0; ok && i < n; i++)
                r->group[i] = rank_of[r->group[i]];
            free(first_copy);
        }
    }
    for (int64_t i = 0; ok && i < n; i++)
        r->count[r->group[i]]++;
    free(perm);
    free(rank_of);
    return ok;
}

/* Writes the optional outputs indices (1), inverse_indices (2) and counts (3). */
static cs_status unique_outputs(cs_kernel_ctx *ctx, const unique_result *r)
{
    const int64_t *src[3] = {r->first, r->group, r->count};
    int64_t lens[3] = {r->n_unique, r->n_slices, r->n_unique};
    for (int o = 0; o < 3; o++) {
        if (o + 1 >= ctx->n_out)
            break;
        cs_tensor *t = cs_kernel_output(ctx, o + 1, CS_DT_I64, 1, &lens[o]);
        if (!t)
            return ctx->err->status;
        if (lens[o])
            memcpy(t->data, src[o], (size_t)lens[o] * sizeof(int64_t));
    }
    return CS_OK;
}

static cs_status op_unique(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st)
        return st;
    const cs_tensor *in = ctx->in[0];
    bool flat = !cs_attrs_find(&ctx->node->attrs, "axis");
    int axis = 0;
    if (!flat && (st = cs_kernel_axis(ctx, cs_attrs_int(&ctx->node->attrs, "axis", 0), in->rank, &axis)))
        return st;
    int64_t numel = cs_tensor_numel(in);
    int64_t n = flat ? numel : in->dims[axis];
    int64_t outer = flat ? 1 : cs_dims_prod(in->dims, 0, axis), inner = flat ? 1 : cs_dims_prod(in->dims, axis + 1,
                                                                                                 in->rank);
    unique_slices s = {malloc((size_t)(numel > 0 ? numel : 1) * sizeof(double)), outer * inner};
    unique_result r = {.n_slices = n};
    bool ok = s.vals != NULL;
    for (int64_t o = 0; ok && o < outer; o++)
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < inner; j++)
                s.vals[i * s.len + o * inner + j] = cs_load_f64(in, (o * n + i) * inner + j);
    ok = ok && unique_group(&s, cs_attrs_int(&ctx->node->attrs, "sorted", 1) != 0, &r);
    free(s.vals);
    if (!ok) {
        unique_free(&r);
        return cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    }
    int64_t dims[CS_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    dims[flat ? 0 : axis] = r.n_unique;
    cs_tensor *y = cs_kernel_output(ctx, 0, in->dtype, flat ? 1 : in->rank, dims);
    size_t esize = cs_dtype_size(in->dtype);
    for (int64_t o = 0; y && o < outer; o++)
        for (int64_t g = 0; g < r.n_unique; g++)
            for (int64_t j = 0; j < inner; j++)
                cs_copy_elem(y, (o * r.n_unique + g) * inner + j, in, (o * n + r.first[g]) * inner + j, esize);
    st = y ? unique_outputs(ctx, &r) : ctx->err->status;
    unique_free(&r);
    return st;
}

const cs_op_def cs_ops_reduce[] = {
    {.name = "ReduceSum", .run = op_reduce_sum},
    {.name = "ReduceMean", .run = op_reduce_mean},
    {.name = "ReduceMax", .run = op_reduce_max},
    {.name = "ReduceMin", .run = op_reduce_min},
    {.name = "ReduceProd", .run = op_reduce_prod},
    {.name = "ReduceL1", .run = op_reduce_l1},
    {.name = "ReduceL2", .run = op_reduce_l2},
    {.name = "ReduceLogSum", .run = op_reduce_log_sum},
    {.name = "ReduceLogSumExp", .run = op_reduce_log_sum_exp},
    {.name = "ReduceSumSquare", .run = op_reduce_sum_square},
    {.name = "ArgMax", .run = op_arg_max},
    {.name = "ArgMin", .run = op_arg_min},
    {.name = "CumSum", .run = op_cum_sum},
    {.name = "TopK", .run = op_top_k},
    {.name = "Unique", .run = op_unique},
    {.name = NULL},
};

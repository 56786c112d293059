/* elementwise.c — broadcasting iteration and typed unary/binary drivers shared by the
 * element-wise op families; f32, f64 and i64 get typed loops, other dtypes a generic path. */
#include "elementwise.h"

#include <string.h>

#include "parallel.h"

bool cs_ew_dtype_is_unsigned(cs_dtype dtype)
{
    return dtype == CS_DT_U8 || dtype == CS_DT_U16 || dtype == CS_DT_U32 || dtype == CS_DT_U64;
}

/* ---- broadcast planning ---- */

static cs_status broadcast_all(cs_kernel_ctx *ctx, const cs_tensor *const *ins, int n_in, cs_ew_plan *plan)
{
    int rank = ins[0]->rank;
    int64_t dims[CS_MAX_RANK];
    memcpy(dims, ins[0]->dims, sizeof dims);
    for (int k = 1; k < n_in; k++) {
        int64_t next[CS_MAX_RANK];
        int next_rank;
        if (!cs_broadcast_shape(rank, dims, ins[k]->rank, ins[k]->dims, &next_rank, next)) {
            char sa[128], sb[128];
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input %d of shape %s does not broadcast with shape %s", k,
                                  cs_shape_str(ins[k]->rank, ins[k]->dims, sb, sizeof sb),
                                  cs_shape_str(rank, dims, sa, sizeof sa));
        }
        rank = next_rank;
        memcpy(dims, next, sizeof dims);
    }
    plan->out_rank = rank;
    memcpy(plan->out_dims, dims, sizeof dims);
    if (!cs_shape_numel(rank, dims, &plan->numel))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "broadcast output shape is too large");
    return CS_OK;
}

/* Drops size-1 dims and merges neighbours that every input walks contiguously (or not at all). */
static void coalesce(cs_ew_plan *plan, int64_t full[CS_EW_MAX_IN][CS_MAX_RANK])
{
    int n = 0;
    for (int i = 0; i < plan->out_rank; i++) {
        int64_t d = plan->out_dims[i];
        if (d == 1)
            continue;
        bool mergeable = n > 0;
        for (int k = 0; k < plan->n_in && mergeable; k++)
            mergeable = plan->strides[k][n - 1] == full[k][i] * d;
        if (mergeable) {
            plan->dims[n - 1] *= d;
            for (int k = 0; k < plan->n_in; k++)
                plan->strides[k][n - 1] = full[k][i];
            continue;
        }
        plan->dims[n] = d;
        for (int k = 0; k < plan->n_in; k++)
            plan->strides[k][n] = full[k][i];
        n++;
    }
    if (n == 0) {
        plan->dims[0] = 1;
        for (int k = 0; k < plan->n_in; k++)
            plan->strides[k][0] = 0;
        n = 1;
    }
    plan->rank = n;
}

cs_status cs_ew_plan_init(cs_kernel_ctx *ctx, const cs_tensor *const *ins, int n_in, cs_ew_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    if (n_in < 1 || n_in > CS_EW_MAX_IN)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "element-wise broadcast of %d inputs", n_in);
    plan->n_in = n_in;
    cs_status st = broadcast_all(ctx, ins, n_in, plan);
    if (st != CS_OK)
        return st;
    int64_t full[CS_EW_MAX_IN][CS_MAX_RANK];
    for (int k = 0; k < n_in; k++)
        cs_broadcast_strides(ins[k]->rank, ins[k]->dims, plan->out_rank, plan->out_dims, full[k]);
    coalesce(plan, full);
    return CS_OK;
}

/* Calls fn for rows [r0, r1) of the plan's innermost runs, in order; the row index is unravelled once. */
static void for_rows_range(const cs_ew_plan *plan, int64_t r0, int64_t r1, cs_ew_row_fn fn, void *user)
{
    int last = plan->rank - 1;
    cs_ew_row row = {0};
    row.len = plan->dims[last];
    row.out_off = r0 * row.len;
    for (int k = 0; k < plan->n_in; k++)
        row.in_step[k] = plan->strides[k][last];
    int64_t idx[CS_MAX_RANK] = {0}, q = r0;
    for (int d = last - 1; d >= 0; d--) {
        idx[d] = q % plan->dims[d];
        q /= plan->dims[d];
        for (int k = 0; k < plan->n_in; k++)
            row.in_off[k] += idx[d] * plan->strides[k][d];
    }
    for (int64_t r = r0; r < r1; r++) {
        fn(user, &row);
        row.out_off += row.len;
        for (int d = last - 1; d >= 0; d--) {
            for (int k = 0; k < plan->n_in; k++)
                row.in_off[k] += plan->strides[k][d];
            if (++idx[d] < plan->dims[d])
                break;
            for (int k = 0; k < plan->n_in; k++)
                row.in_off[k] -= plan->strides[k][d] * plan->dims[d];
            idx[d] = 0;
        }
    }
}

void cs_ew_for_rows(const cs_ew_plan *plan, cs_ew_row_fn fn, void *user)
{
    if (plan->numel > 0)
        for_rows_range(plan, 0, plan->numel / plan->dims[plan->rank - 1], fn, user);
}

typedef struct rows_job {
    const cs_ew_plan *plan;
    cs_ew_row_fn fn;
    void *user;
} rows_job;

static void rows_part(void *user, int64_t begin, int64_t end)
{
    const rows_job *j = user;
    for_rows_range(j->plan, begin, end, j->fn, j->user);
}

void cs_ew_for_rows_parallel(const cs_ew_plan *plan, cs_ew_row_fn fn, void *user)
{
    if (plan->numel <= 0)
        return;
    int64_t len = plan->dims[plan->rank - 1], rows = plan->numel / len;
    rows_job job = {plan, fn, user};
    cs_parallel_for(rows, (CS_PAR_MIN_ELEMS + len - 1) / len, rows_part, &job);
}

cs_status cs_ew_failed(const cs_kernel_ctx *ctx)
{
    return ctx->err && ctx->err->status != CS_OK ? ctx->err->status : CS_ERR_SHAPE;
}

void cs_ew_set_output(cs_kernel_ctx *ctx, int i, cs_tensor *t)
{
    cs_tensor_free(ctx->out[i]);
    ctx->out[i] = t;
}

/* ---- binary driver ---- */

typedef struct binary_job {
    const cs_binary_fns *fns;
    const cs_tensor *a, *b;
    cs_tensor *out;
} binary_job;

/* out = a OP b over one row, with the contiguous and scalar-operand cases spelled out so
 * the compiler vectorises them (same shape, scalar, per-channel bias rows). */
#define F32_ARITH_LOOP(OP)                                                                     \
    do {                                                                                        \
        if (sa == 1 && sb == 1)                                                                 \
            for (int64_t i = 0; i < n; i++)                                                     \
                po[i] = pa[i] OP pb[i];                                                         \
        else if (sa == 1)                                                                       \
            for (int64_t i = 0; i < n; i++)                                                     \
                po[i] = pa[i] OP pb[0];                                                         \
        else if (sb == 1)                                                                       \
            for (int64_t i = 0; i < n; i++)                                                     \
                po[i] = pa[0] OP pb[i];                                                         \
        else                                                                                    \
            for (int64_t i = 0; i < n; i++)                                                     \
                po[i] = pa[0] OP pb[0];                                                         \
    } while (0)

static bool f32_arith_row(const binary_job *j, const cs_ew_row *r)
{
    const float *pa = (const float *)j->a->data + r->in_off[0];
    const float *pb = (const float *)j->b->data + r->in_off[1];
    float *po = (float *)j->out->data + r->out_off;
    int64_t sa = r->in_step[0], sb = r->in_step[1], n = r->len;
    switch (j->fns->f32_arith) {
    case '+': F32_ARITH_LOOP(+); return true;
    case '-': F32_ARITH_LOOP(-); return true;
    case '*': F32_ARITH_LOOP(*); return true;
    case '/': F32_ARITH_LOOP(/); return true;
    default: return false;
    }
}

static void f32_row(const binary_job *j, const cs_ew_row *r)
{
    if (!j->fns->bool_out && f32_arith_row(j, r))
        return;
    const float *pa = (const float *)j->a->data + r->in_off[0];
    const float *pb = (const float *)j->b->data + r->in_off[1];
    int64_t sa = r->in_step[0], sb = r->in_step[1];
    const cs_binary_fns *f = j->fns;
    if (f->bool_out) {
        uint8_t *po = (uint8_t *)j->out->data + r->out_off;
        for (int64_t i = 0; i < r->len; i++)
            po[i] = f->f32 ? f->f32(pa[i * sa], pb[i * sb]) != 0.0f : f->f64(pa[i * sa], pb[i * sb]) != 0.0;
        return;
    }
    float *po = (float *)j->out->data + r->out_off;
    if (f->f32)
        for (int64_t i = 0; i < r->len; i++)
            po[i] = f->f32(pa[i * sa], pb[i * sb]);
    else
        for (int64_t i = 0; i < r->len; i++)
            po[i] = (float)f->f64(pa[i * sa], pb[i * sb]);
}

static void f64_row(const binary_job *j, const cs_ew_row *r)
{
    const double *pa = (const double *)j->a->data + r->in_off[0];
    const double *pb = (const double *)j->b->data + r->in_off[1];
    int64_t sa = r->in_step[0], sb = r->in_step[1];
    if (j->fns->bool_out) {
        uint8_t *po = (uint8_t *)j->out->data + r->out_off;
        for (int64_t i = 0; i < r->len; i++)
            po[i] = j->fns->f64(pa[i * sa], pb[i * sb]) != 0.0;
        return;
    }
    double *po = (double *)j->out->data + r->out_off;
    for (int64_t i = 0; i < r->len; i++)
        po[i] = j->fns->f64(pa[i * sa], pb[i * sb]);
}

static void i64_row(const binary_job *j, const cs_ew_row *r)
{
    const int64_t *pa = (const int64_t *)j->a->data + r->in_off[0];
    const int64_t *pb = (const int64_t *)j->b->data + r->in_off[1];
    int64_t sa = r->in_step[0], sb = r->in_step[1];
    if (j->fns->bool_out) {
        uint8_t *po = (uint8_t *)j->out->data + r->out_off;
        for (int64_t i = 0; i < r->len; i++)
            po[i] = j->fns->i64(pa[i * sa], pb[i * sb]) != 0;
        return;
    }
    int64_t *po = (int64_t *)j->out->data + r->out_off;
    for (int64_t i = 0; i < r->len; i++)
        po[i] = j->fns->i64(pa[i * sa], pb[i * sb]);
}

/* Any dtype, one element at a time through the tensor accessors. */
static void generic_row(const binary_job *j, const cs_ew_row *r)
{
    const cs_binary_fns *f = j->fns;
    cs_dtype dt = j->a->dtype;
    for (int64_t i = 0; i < r->len; i++) {
        int64_t ia = r->in_off[0] + i * r->in_step[0], ib = r->in_off[1] + i * r->in_step[1];
        int64_t io = r->out_off + i;
        if (cs_dtype_is_float(dt)) {
            cs_tensor_set_f64(j->out, io, f->f64(cs_tensor_get_f64(j->a, ia), cs_tensor_get_f64(j->b, ib)));
        } else if (dt == CS_DT_U64 && f->u64) {
            uint64_t va = (uint64_t)cs_tensor_get_i64(j->a, ia), vb = (uint64_t)cs_tensor_get_i64(j->b, ib);
            cs_tensor_set_i64(j->out, io, (int64_t)f->u64(va, vb));
        } else {
            cs_tensor_set_i64(j->out, io, f->i64(cs_tensor_get_i64(j->a, ia), cs_tensor_get_i64(j->b, ib)));
        }
    }
}

static void binary_row(void *user, const cs_ew_row *r)
{
    const binary_job *j = user;
    switch (j->a->dtype) {
    case CS_DT_F32: f32_row(j, r); break;
    case CS_DT_F64: f64_row(j, r); break;
    case CS_DT_I64: i64_row(j, r); break;
    default: generic_row(j, r); break;
    }
}

static cs_status check_binary_dtypes(cs_kernel_ctx *ctx, const cs_tensor *a, const cs_tensor *b,
                                     const cs_binary_fns *fns)
{
    if (a->dtype != b->dtype)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input dtypes differ: %s and %s", cs_dtype_name(a->dtype),
                              cs_dtype_name(b->dtype));
    cs_dtype dt = a->dtype;
    bool ok;
    if (fns->bool_only)
        ok = dt == CS_DT_BOOL;
    else if (cs_dtype_is_float(dt))
        ok = fns->f64 != NULL && cs_dtype_size(dt) > 0;
    else
        ok = fns->i64 != NULL && cs_dtype_size(dt) > 0 && dt != CS_DT_STRING;
    if (!ok)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "dtype %s is not supported by this op", cs_dtype_name(dt));
    return CS_OK;
}

cs_tensor *cs_ew_binary_new(cs_kernel_ctx *ctx, const cs_tensor *a, const cs_tensor *b, const cs_binary_fns *fns)
{
    if (check_binary_dtypes(ctx, a, b, fns) != CS_OK)
        return NULL;
    const cs_tensor *ins[2] = {a, b};
    cs_ew_plan plan;
    if (cs_ew_plan_init(ctx, ins, 2, &plan) != CS_OK)
        return NULL;
    /* every row is written, so a reused buffer needs no clearing */
    cs_tensor *out = cs_kernel_tensor(ctx, fns->bool_out ? CS_DT_BOOL : a->dtype, plan.out_rank, plan.out_dims, false);
    if (!out)
        return NULL;
    binary_job job = {fns, a, b, out};
    /* the typed rows write whole elements of their own row; the generic path stays on one thread */
    if (a->dtype == CS_DT_F32 || a->dtype == CS_DT_F64 || a->dtype == CS_DT_I64)
        cs_ew_for_rows_parallel(&plan, binary_row, &job);
    else
        cs_ew_for_rows(&plan, binary_row, &job);
    return out;
}

/* ---- unary driver ---- */

static void unary_f32(const cs_tensor *x, cs_tensor *out, const cs_unary_fns *f, const cs_ew_params *p, int64_t n)
{
    const float *px = x->data;
    if (f->bool_out) {
        uint8_t *po = out->data;
        for (int64_t i = 0; i < n; i++)
            po[i] = f->f64(px[i], p) != 0.0;
        return;
    }
    float *po = out->data;
    if (f->f32)
        for (int64_t i = 0; i < n; i++)
            po[i] = f->f32(px[i], p);
    else
        for (int64_t i = 0; i < n; i++)
            po[i] = (float)f->f64(px[i], p);
}

static void unary_f64(const cs_tensor *x, cs_tensor *out, const cs_unary_fns *f, const cs_ew_params *p, int64_t n)
{
    const double *px = x->data;
    if (f->bool_out) {
        uint8_t *po = out->data;
        for (int64_t i = 0; i < n; i++)
            po[i] = f->f64(px[i], p) != 0.0;
        return;
    }
    double *po = out->data;
    for (int64_t i = 0; i < n; i++)
        po[i] = f->f64(px[i], p);
}

static void unary_generic(const cs_tensor *x, cs_tensor *out, const cs_unary_fns *f, const cs_ew_params *p,
                          int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        if (cs_dtype_is_float(x->dtype)) {
            cs_tensor_set_f64(out, i, f->f64(cs_tensor_get_f64(x, i), p));
        } else if (cs_ew_dtype_is_unsigned(x->dtype) && f->u64) {
            uint64_t v = (uint64_t)cs_tensor_get_i64(x, i);
            cs_tensor_set_i64(out, i, (int64_t)f->u64(v, p));
        } else {
            cs_tensor_set_i64(out, i, f->i64(cs_tensor_get_i64(x, i), p));
        }
    }
}

static bool unary_accepts(const cs_unary_fns *f, cs_dtype dt)
{
    if (cs_dtype_size(dt) == 0 || dt == CS_DT_STRING)
        return false;
    if (cs_dtype_is_float(dt))
        return f->f64 != NULL;
    if (cs_ew_dtype_is_unsigned(dt))
        return f->u64 != NULL || f->i64 != NULL;
    return f->i64 != NULL;
}

cs_status cs_ew_unary(cs_kernel_ctx *ctx, const cs_unary_fns *fns, const cs_ew_params *params)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st != CS_OK)
        return st;
    const cs_tensor *x = ctx->in[0];
    if (!unary_accepts(fns, x->dtype))
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "input dtype %s is not supported by this op",
                              cs_dtype_name(x->dtype));
    cs_tensor *out = cs_kernel_output_raw(ctx, 0, fns->bool_out ? CS_DT_BOOL : x->dtype, x->rank, x->dims);
    if (!out)
        return cs_ew_failed(ctx);
    int64_t n = cs_tensor_numel(x);
    if (x->dtype == CS_DT_F32)
        unary_f32(x, out, fns, params, n);
    else if (x->dtype == CS_DT_F64)
        unary_f64(x, out, fns, params, n);
    else
        unary_generic(x, out, fns, params, n);
    return CS_OK;
}

cs_status cs_ew_unary_loop(cs_kernel_ctx *ctx, cs_ew_f32_loop loop, const cs_unary_fns *fns,
                           const cs_ew_params *params)
{
    const cs_tensor *x = cs_kernel_input(ctx, 0);
    if (!x || x->dtype != CS_DT_F32)
        return cs_ew_unary(ctx, fns, params);
    cs_tensor *out = cs_kernel_output_raw(ctx, 0, CS_DT_F32, x->rank, x->dims);
    if (!out)
        return cs_ew_failed(ctx);
    cs_ew_f32_loop_parallel(loop, x->data, out->data, cs_tensor_numel(x), params);
    return CS_OK;
}

/* Parts of a split f32 loop start on a multiple of this many elements, so every element takes the same
 * (vector or tail) code path whatever the thread count: results do not depend on --threads. */
#define LOOP_BLOCK 64

typedef struct loop_job {
    cs_ew_f32_loop loop;
    const float *x;
    float *y;
    int64_t n;
    const cs_ew_params *p;
} loop_job;

static void loop_part(void *user, int64_t begin, int64_t end)
{
    const loop_job *j = user;
    int64_t b = begin * LOOP_BLOCK, e = end * LOOP_BLOCK < j->n ? end * LOOP_BLOCK : j->n;
    j->loop(j->x + b, j->y + b, e - b, j->p);
}

void cs_ew_f32_loop_parallel(cs_ew_f32_loop loop, const float *x, float *y, int64_t n, const cs_ew_params *p)
{
    loop_job job = {loop, x, y, n, p};
    cs_parallel_for((n + LOOP_BLOCK - 1) / LOOP_BLOCK, CS_PAR_MIN_ELEMS / LOOP_BLOCK, loop_part, &job);
}

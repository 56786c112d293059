/* control.c — op family 'control': If, Loop, Scan and SequenceMap, which run GRAPH-attribute subgraphs through the
 * executor's runner lent in the kernel context (ops.h); a subgraph's outer-scope values arrive as the node's trailing inputs (see onnx.c). */
#include "registry.h"
#include "../value.h"

#include <stdlib.h>
#include <string.h>


#define LOOP_MAX_ITERS ((int64_t)1 << 24)

/* A subgraph ready to run: its plan and the outer values it captures. */
typedef struct sub_run {
    const cs_graph *g;
    void *plan;                  /* the executor's, through ctx->sub */
    const cs_subgraph_runner *runner;
    const cs_tensor **captured;
} sub_run;

static void sub_close(sub_run *s)
{
    if (s->runner && s->plan)
        s->runner->free_plan(s->plan);
    free(s->captured);
    memset(s, 0, sizeof *s);
}

/* The node input holding outer value `name` (the loader appended one per capture). */
static const cs_tensor *find_captured(const cs_kernel_ctx *ctx, const char *name, bool *found)
{
    for (int i = 0; i < ctx->node->n_inputs && i < ctx->n_in; i++) {
        int v = ctx->node->inputs[i];
        if (v >= 0 && v < ctx->graph->n_values && strcmp(ctx->graph->values[v].name, name) == 0) {
            *found = true;
            return ctx->in[i];
        }
    }
    *found = false;
    return NULL;
}

static cs_status sub_open(cs_kernel_ctx *ctx, const char *attr, sub_run *s)
{
    memset(s, 0, sizeof *s);
    const cs_attr *a = cs_attrs_find(&ctx->node->attrs, attr);
    if (!a || a->type != CS_ATTR_GRAPH || !a->graph)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "graph attribute '%s' is missing", attr);
    if (!ctx->sub)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "control flow runs only inside the executor");
    s->g = a->graph;
    s->runner = ctx->sub;
    s->captured = calloc((size_t)s->g->n_captures + 1, sizeof(*s->captured));
    if (!s->captured)
        return cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    for (int c = 0; c < s->g->n_captures; c++) {
        const char *name = s->g->values[s->g->captures[c]].name;
        bool found;
        s->captured[c] = find_captured(ctx, name, &found);
        if (!found || !s->captured[c]) {
            sub_close(s);
            return cs_kernel_fail(ctx, CS_ERR_FORMAT, "%s reads '%s', which the enclosing graph does not define",
                                  attr, name);
        }
    }
    cs_status st = s->runner->plan(s->g, &s->plan, ctx->err);
    if (st != CS_OK) {
        cs_error_prefix(ctx->err, "node '%s' (%s): %s: ", ctx->node->name, ctx->node->op, attr);
        sub_close(s);
    }
    return st;
}

static cs_status sub_exec(cs_kernel_ctx *ctx, const sub_run *s, const cs_tensor *const *inputs, cs_tensor **outputs)
{
    cs_status st = s->runner->run(s->g, s->plan, inputs, s->captured, outputs, ctx->err);
    if (st != CS_OK)
        cs_error_prefix(ctx->err, "node '%s' (%s): ", ctx->node->name, ctx->node->op);
    return st;
}

static void free_all(cs_tensor **t, int n)
{
    for (int i = 0; t && i < n; i++) {
        cs_tensor_free(t[i]);
        t[i] = NULL;
    }
}

/* A bool (or numeric) scalar's truth; false when absent or empty. */
static bool truth(const cs_tensor *t)
{
    return t && cs_value_plain(t) && cs_tensor_numel(t) > 0 && cs_tensor_get_f64(t, 0) != 0;
}

/* ---- If ---- */

static cs_status op_if(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st != CS_OK)
        return st;
    if (!cs_value_plain(ctx->in[0]) || cs_tensor_numel(ctx->in[0]) != 1)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "the condition must be a tensor of exactly one element");
    sub_run s;
    if ((st = sub_open(ctx, truth(ctx->in[0]) ? "then_branch" : "else_branch", &s)) != CS_OK)
        return st;
    if (s.g->n_outputs != ctx->n_out)
        st = cs_kernel_fail(ctx, CS_ERR_FORMAT, "the branch has %d outputs, the node %d", s.g->n_outputs, ctx->n_out);
    if (st == CS_OK && s.g->n_inputs != 0)
        st = cs_kernel_fail(ctx, CS_ERR_FORMAT, "a branch must take no inputs");
    if (st == CS_OK)
        st = sub_exec(ctx, &s, NULL, ctx->out);
    sub_close(&s);
    return st;
}

/* ---- stacking per-iteration values along an axis ---- */

typedef struct stack_list {
    cs_tensor **items;
    int64_t n, cap;
} stack_list;

static bool stack_push(stack_list *l, cs_tensor *t)
{
    if (l->n == l->cap) {
        int64_t cap = l->cap ? l->cap * 2 : 16;
        cs_tensor **items = realloc(l->items, (size_t)cap * sizeof *items);
        if (!items)
            return false;
        l->items = items, l->cap = cap;
    }
    l->items[l->n++] = t;
    return true;
}

static void stack_free(stack_list *l)
{
    for (int64_t i = 0; i < l->n; i++)
        cs_tensor_free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* Items stacked along `axis` (in [0, rank]) into *res; item i goes to position `reverse ? n-1-i : i`. */
static cs_status stack_build(cs_kernel_ctx *ctx, const stack_list *l, int axis, bool reverse, cs_tensor **res)
{
    cs_error local;
    if (l->n == 0) {
        int64_t zero = 0;
        *res = cs_tensor_new(CS_DT_F32, 1, &zero, &local);
        return *res ? CS_OK : cs_kernel_fail(ctx, local.status, "%s", local.msg);
    }
    const cs_tensor *first = l->items[0];
    for (int64_t i = 0; i < l->n; i++)
        if (!cs_value_plain(l->items[i]))
            return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "a scan output is a %s (numeric tensors only)",
                                  cs_value_kind_name(l->items[i]));
    for (int64_t i = 1; i < l->n; i++)
        if (!cs_tensor_same_shape(l->items[i], first) || l->items[i]->dtype != first->dtype)
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "a scan output changes shape or dtype between iterations");
    if (first->rank >= CS_MAX_RANK || axis < 0 || axis > first->rank)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "a scan output's axis %d does not fit rank %d", axis, first->rank);
    int64_t dims[CS_MAX_RANK], outer = 1;
    for (int i = 0, k = 0; i <= first->rank; i++)
        dims[i] = i == axis ? l->n : first->dims[k++];
    for (int i = 0; i < axis; i++)
        outer *= first->dims[i];
    cs_tensor *out = *res = cs_tensor_new(first->dtype, first->rank + 1, dims, &local);
    if (!out)
        return cs_kernel_fail(ctx, local.status, "%s", local.msg);
    size_t inner = outer ? first->nbytes / (size_t)outer : 0;
    for (int64_t i = 0; i < l->n && inner; i++) {
        int64_t pos = reverse ? l->n - 1 - i : i;
        for (int64_t o = 0; o < outer; o++)
            memcpy((char *)out->data + ((size_t)(o * l->n + pos)) * inner, (char *)l->items[i]->data + (size_t)o * inner,
                   inner);
    }
    return CS_OK;
}

static cs_status stack_emit(cs_kernel_ctx *ctx, int slot, const stack_list *l, int axis, bool reverse)
{
    cs_tensor *t = NULL;
    cs_status st = stack_build(ctx, l, axis, reverse, &t);
    if (st == CS_OK) {
        cs_tensor_free(ctx->out[slot]);
        ctx->out[slot] = t;
    }
    return st;
}

/* Element `idx` of t along `axis`, as a tensor of rank - 1. */
static cs_tensor *slice_axis(cs_kernel_ctx *ctx, const cs_tensor *t, int axis, int64_t idx)
{
    int64_t dims[CS_MAX_RANK], outer = 1;
    for (int i = 0, k = 0; i < t->rank; i++)
        if (i != axis)
            dims[k++] = t->dims[i];
    for (int i = 0; i < axis; i++)
        outer *= t->dims[i];
    cs_error local;
    cs_tensor *s = cs_tensor_new(t->dtype, t->rank - 1, dims, &local);
    if (!s) {
        cs_kernel_fail(ctx, local.status, "%s", local.msg);
        return NULL;
    }
    size_t inner = outer ? s->nbytes / (size_t)outer : 0, n = (size_t)t->dims[axis];
    for (int64_t o = 0; o < outer && inner; o++)
        memcpy((char *)s->data + (size_t)o * inner, (char *)t->data + ((size_t)o * n + (size_t)idx) * inner, inner);
    return s;
}

/* ---- Loop ---- */

typedef struct loop_state {
    int n_carried, n_scan;
    cs_tensor **carried;    /* owned current values */
    stack_list *scans;
} loop_state;

static void loop_free(loop_state *ls)
{
    free_all(ls->carried, ls->n_carried);
    for (int k = 0; ls->scans && k < ls->n_scan; k++)
        stack_free(&ls->scans[k]);
    free(ls->carried), free(ls->scans);
}

/* One body run: feeds (i, cond, carried), takes back (cond, carried, scan items). */
static cs_status loop_iter(cs_kernel_ctx *ctx, const sub_run *s, loop_state *ls, int64_t i, bool *cond)
{
    int64_t one = 1;
    int n_out = 1 + ls->n_carried + ls->n_scan;
    cs_tensor *it = cs_tensor_new(CS_DT_I64, 0, &one, ctx->err), *c = cs_tensor_new(CS_DT_BOOL, 0, &one, ctx->err);
    const cs_tensor **in = calloc((size_t)(2 + ls->n_carried), sizeof *in);
    cs_tensor **out = calloc((size_t)n_out, sizeof *out);
    cs_status st = it && c && in && out ? CS_OK : cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    if (st == CS_OK) {
        ((int64_t *)it->data)[0] = i;
        ((uint8_t *)c->data)[0] = *cond;
        in[0] = it, in[1] = c;
        for (int k = 0; k < ls->n_carried; k++)
            in[2 + k] = ls->carried[k];
        st = sub_exec(ctx, s, in, out);
    }
    if (st == CS_OK) {
        *cond = truth(out[0]);
        for (int k = 0; k < ls->n_carried; k++) {
            cs_tensor_free(ls->carried[k]);
            ls->carried[k] = out[1 + k], out[1 + k] = NULL;
        }
        for (int k = 0; st == CS_OK && k < ls->n_scan; k++)
            if (stack_push(&ls->scans[k], out[1 + ls->n_carried + k]))
                out[1 + ls->n_carried + k] = NULL;
            else
                st = cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    }
    free_all(out, n_out);
    cs_tensor_free(it), cs_tensor_free(c);
    free(in), free(out);
    return st;
}

static cs_status loop_init(cs_kernel_ctx *ctx, const sub_run *s, loop_state *ls)
{
    ls->n_carried = s->g->n_inputs - 2;
    ls->n_scan = s->g->n_outputs - 1 - ls->n_carried;
    if (ls->n_carried < 0 || ls->n_scan < 0 || ctx->n_out != ls->n_carried + ls->n_scan ||
        ctx->node->n_inputs < 2 + ls->n_carried)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "the body's inputs and outputs do not match the node's");
    ls->carried = calloc((size_t)ls->n_carried + 1, sizeof *ls->carried);
    ls->scans = calloc((size_t)ls->n_scan + 1, sizeof *ls->scans);
    if (!ls->carried || !ls->scans)
        return cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    for (int k = 0; k < ls->n_carried; k++) {
        const cs_tensor *t = cs_kernel_input(ctx, 2 + k);
        if (!t)
            return cs_kernel_fail(ctx, CS_ERR_FORMAT, "loop-carried input %d is missing", k);
        if (!(ls->carried[k] = cs_tensor_clone(t, ctx->err)))
            return ctx->err->status;
    }
    return CS_OK;
}

static cs_status loop_run(cs_kernel_ctx *ctx, const sub_run *s, loop_state *ls)
{
    const cs_tensor *m = cs_kernel_input(ctx, 0), *c0 = cs_kernel_input(ctx, 1);
    if ((m && (!cs_value_plain(m) || cs_tensor_numel(m) != 1)) || (c0 && (!cs_value_plain(c0) || cs_tensor_numel(c0) != 1)))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "M and cond must hold one element each");
    int64_t trips = m ? cs_tensor_get_i64(m, 0) : INT64_MAX;
    bool cond = c0 ? truth(c0) : true;
    cs_status st = CS_OK;
    for (int64_t i = 0; st == CS_OK && i < trips && cond; i++) {
        if (i >= LOOP_MAX_ITERS)
            return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "more than %lld iterations", (long long)LOOP_MAX_ITERS);
        st = loop_iter(ctx, s, ls, i, &cond);
    }
    for (int k = 0; st == CS_OK && k < ls->n_carried; k++)
        ctx->out[k] = ls->carried[k], ls->carried[k] = NULL;
    for (int k = 0; st == CS_OK && k < ls->n_scan; k++)
        st = stack_emit(ctx, ls->n_carried + k, &ls->scans[k], 0, false);
    return st;
}

static cs_status op_loop(cs_kernel_ctx *ctx)
{
    sub_run s;
    loop_state ls = {0, 0, NULL, NULL};
    cs_status st = sub_open(ctx, "body", &s);
    if (st != CS_OK)
        return st;
    st = loop_init(ctx, &s, &ls);
    if (st == CS_OK)
        st = loop_run(ctx, &s, &ls);
    loop_free(&ls);
    sub_close(&s);
    return st;
}

/* ---- Scan (opset 9+; opset 8 batches over axis 0) ---- */

typedef struct scan_spec {
    int n_state, n_in, n_out;   /* N states, M scan inputs, K scan outputs */
    const cs_tensor *const *states, *const *scans;
    int64_t len;
    int in_axes[64], out_axes[64];
    bool in_rev[64], out_rev[64];
} scan_spec;

static cs_status scan_attr_list(cs_kernel_ctx *ctx, const char *name, int n, int ranks_plus, const int *ranks,
                                int *axes, bool *flags, bool is_dir)
{
    const int64_t *v = NULL;
    int c = cs_attrs_ints(&ctx->node->attrs, name, &v);
    if (c >= 0 && c != n)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "attribute %s has %d items, expected %d", name, c, n);
    for (int i = 0; i < n; i++) {
        int64_t x = c > 0 ? v[i] : 0;
        if (is_dir) {
            flags[i] = x != 0;
            continue;
        }
        cs_status st = cs_kernel_axis(ctx, x, ranks[i] + ranks_plus, &axes[i]);
        if (st != CS_OK)
            return st;
    }
    return CS_OK;
}

/* Runs the body len times over slices of the scan inputs; outputs into ctx->out[first_out...]. */
static cs_status scan_core(cs_kernel_ctx *ctx, const sub_run *s, const scan_spec *sp, cs_tensor **states_out,
                           stack_list *scans_out)
{
    int n_body_in = sp->n_state + sp->n_in, n_body_out = sp->n_state + sp->n_out;
    const cs_tensor **in = calloc((size_t)n_body_in + 1, sizeof *in);
    cs_tensor **out = calloc((size_t)n_body_out + 1, sizeof *out), **slices = calloc((size_t)sp->n_in + 1, sizeof *out);
    cs_status st = in && out && slices ? CS_OK : cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    for (int k = 0; st == CS_OK && k < sp->n_state; k++)
        if (!(states_out[k] = cs_tensor_clone(sp->states[k], ctx->err)))
            st = ctx->err->status;
    for (int64_t t = 0; st == CS_OK && t < sp->len; t++) {
        for (int k = 0; k < sp->n_state; k++)
            in[k] = states_out[k];
        for (int j = 0; st == CS_OK && j < sp->n_in; j++) {
            slices[j] = slice_axis(ctx, sp->scans[j], sp->in_axes[j], sp->in_rev[j] ? sp->len - 1 - t : t);
            in[sp->n_state + j] = slices[j];
            st = slices[j] ? CS_OK : ctx->err->status;
        }
        if (st == CS_OK)
            st = sub_exec(ctx, s, in, out);
        for (int k = 0; st == CS_OK && k < sp->n_state; k++) {
            cs_tensor_free(states_out[k]);
            states_out[k] = out[k], out[k] = NULL;
        }
        for (int k = 0; st == CS_OK && k < sp->n_out; k++)
            if (stack_push(&scans_out[k], out[sp->n_state + k]))
                out[sp->n_state + k] = NULL;
            else
                st = cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
        free_all(slices, sp->n_in);
        free_all(out, n_body_out);
    }
    free(in), free(out), free(slices);
    return st;
}

static cs_status scan_lengths(cs_kernel_ctx *ctx, scan_spec *sp)
{
    sp->len = -1;
    for (int j = 0; j < sp->n_in; j++) {
        if (!sp->scans[j])
            return cs_kernel_fail(ctx, CS_ERR_FORMAT, "scan input %d is missing", j);
        if (sp->scans[j]->rank < 1 || sp->in_axes[j] >= sp->scans[j]->rank)
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "scan input %d has no axis %d to scan", j, sp->in_axes[j]);
        int64_t l = sp->scans[j]->dims[sp->in_axes[j]];
        if (sp->len >= 0 && l != sp->len)
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "scan inputs disagree on the sequence length");
        sp->len = l;
    }
    if (sp->len < 0)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "Scan needs at least one scan input");
    return CS_OK;
}

static cs_status scan_spec_make(cs_kernel_ctx *ctx, const sub_run *s, int first_in, int axis_shift, scan_spec *sp)
{
    memset(sp, 0, sizeof *sp);
    sp->n_in = (int)cs_attrs_int(&ctx->node->attrs, "num_scan_inputs", -1);
    sp->n_state = s->g->n_inputs - sp->n_in;
    sp->n_out = s->g->n_outputs - sp->n_state;
    if (sp->n_in < 1 || sp->n_in > 64 || sp->n_state < 0 || sp->n_out < 0 || sp->n_out > 64 ||
        ctx->n_out != sp->n_state + sp->n_out || ctx->node->n_inputs < first_in + sp->n_state + sp->n_in)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "the body's inputs and outputs do not match the node's");
    sp->states = ctx->in + first_in;
    sp->scans = ctx->in + first_in + sp->n_state;
    for (int k = 0; k < sp->n_state; k++)
        if (!sp->states[k])
            return cs_kernel_fail(ctx, CS_ERR_FORMAT, "state input %d is missing", k);
    int ranks[64];
    for (int j = 0; j < sp->n_in; j++)
        ranks[j] = sp->scans[j] ? sp->scans[j]->rank - axis_shift : 1;
    cs_status st = scan_attr_list(ctx, "scan_input_axes", sp->n_in, 0, ranks, sp->in_axes, NULL, false);
    if (st == CS_OK)
        st = scan_attr_list(ctx, ctx->opset >= 9 ? "scan_input_directions" : "directions", sp->n_in, 0, ranks, NULL,
                            sp->in_rev, true);
    if (st == CS_OK)
        st = scan_attr_list(ctx, "scan_output_directions", sp->n_out, 0, ranks, NULL, sp->out_rev, true);
    return st;
}

/* Scan output axes are normalised against the output rank, known once the first item exists. */
static cs_status scan_emit(cs_kernel_ctx *ctx, const scan_spec *sp, cs_tensor **states, stack_list *scans)
{
    const int64_t *axes = NULL;
    int c = cs_attrs_ints(&ctx->node->attrs, "scan_output_axes", &axes);
    if (c >= 0 && c != sp->n_out)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "scan_output_axes has %d items, expected %d", c, sp->n_out);
    for (int k = 0; k < sp->n_state; k++)
        ctx->out[k] = states[k], states[k] = NULL;
    for (int k = 0; k < sp->n_out; k++) {
        int rank = scans[k].n ? scans[k].items[0]->rank + 1 : 1, axis;
        cs_status st = cs_kernel_axis(ctx, c > 0 ? axes[k] : 0, rank, &axis);
        if (st == CS_OK)
            st = stack_emit(ctx, sp->n_state + k, &scans[k], axis, sp->out_rev[k]);
        if (st != CS_OK)
            return st;
    }
    return CS_OK;
}

static cs_status scan9(cs_kernel_ctx *ctx, const sub_run *s)
{
    scan_spec sp;
    cs_status st = scan_spec_make(ctx, s, 0, 0, &sp);
    if (st == CS_OK)
        st = scan_lengths(ctx, &sp);
    if (st != CS_OK)
        return st;
    cs_tensor **states = calloc((size_t)sp.n_state + 1, sizeof *states);
    stack_list *scans = calloc((size_t)sp.n_out + 1, sizeof *scans);
    st = states && scans ? CS_OK : cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    if (st == CS_OK)
        st = scan_core(ctx, s, &sp, states, scans);
    if (st == CS_OK)
        st = scan_emit(ctx, &sp, states, scans);
    free_all(states, sp.n_state);
    for (int k = 0; scans && k < sp.n_out; k++)
        stack_free(&scans[k]);
    free(states), free(scans);
    return st;
}

/* Scan-8, batch entry b: a Scan-9 run over the entry's slices; appends its states and stacked outputs. */
static cs_status scan8_entry(cs_kernel_ctx *ctx, const sub_run *s, scan_spec *sp, const cs_tensor *const *all,
                             int64_t b, stack_list *acc)
{
    int n = sp->n_state + sp->n_in, n_res = sp->n_state + sp->n_out;
    cs_tensor *sl[128] = {0}, **res = calloc((size_t)n_res + 1, sizeof *res);
    stack_list *scans = calloc((size_t)sp->n_out + 1, sizeof *scans);
    cs_status st = res && scans ? CS_OK : cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    for (int i = 0; st == CS_OK && i < n; i++)
        st = (sl[i] = slice_axis(ctx, all[i], 0, b)) ? CS_OK : ctx->err->status;
    sp->states = (const cs_tensor *const *)sl;
    sp->scans = (const cs_tensor *const *)sl + sp->n_state;
    if (st == CS_OK)
        st = scan_lengths(ctx, sp);
    if (st == CS_OK)
        st = scan_core(ctx, s, sp, res, scans);
    for (int k = 0; st == CS_OK && k < sp->n_out; k++)
        st = stack_build(ctx, &scans[k], 0, sp->out_rev[k], &res[sp->n_state + k]);
    for (int k = 0; st == CS_OK && k < n_res; k++)
        if (stack_push(&acc[k], res[k]))
            res[k] = NULL;
        else
            st = cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    free_all(sl, n);
    free_all(res, n_res);
    for (int k = 0; scans && k < sp->n_out; k++)
        stack_free(&scans[k]);
    free(res), free(scans);
    return st;
}

static cs_status scan8_check(cs_kernel_ctx *ctx, const scan_spec *sp, const cs_tensor *const *all, int64_t *batch)
{
    int n = sp->n_state + sp->n_in;
    for (int i = 0; i < n; i++)
        if (!all[i] || all[i]->rank < (i < sp->n_state ? 1 : 2) || all[i]->dims[0] != all[0]->dims[0])
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input %d lacks the shared batch axis", i + 1);
    *batch = all[0]->dims[0];
    const cs_tensor *lens = cs_kernel_input(ctx, 0);
    int64_t seq = all[sp->n_state]->dims[1];
    for (int64_t i = 0; lens && i < cs_tensor_numel(lens); i++)
        if (cs_tensor_get_i64(lens, i) != seq)
            return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "sequence_lens shorter than the sequence is not supported");
    return CS_OK;
}

static cs_status scan8(cs_kernel_ctx *ctx, const sub_run *s)
{
    scan_spec sp;
    int64_t batch = 0;
    cs_status st = scan_spec_make(ctx, s, 1, 1, &sp);
    const cs_tensor *const *all = ctx->in + 1;
    if (st == CS_OK && sp.n_state + sp.n_in > 128)
        st = cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "too many inputs");
    if (st == CS_OK)
        st = scan8_check(ctx, &sp, all, &batch);
    int n_res = sp.n_state + sp.n_out;
    stack_list *acc = st == CS_OK ? calloc((size_t)n_res + 1, sizeof *acc) : NULL;
    if (st == CS_OK && !acc)
        st = cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    for (int64_t b = 0; st == CS_OK && b < batch; b++)
        st = scan8_entry(ctx, s, &sp, all, b, acc);
    for (int k = 0; st == CS_OK && k < n_res; k++)
        st = stack_emit(ctx, k, &acc[k], 0, false);
    for (int k = 0; acc && k < n_res; k++)
        stack_free(&acc[k]);
    free(acc);
    return st;
}

static cs_status op_scan(cs_kernel_ctx *ctx)
{
    sub_run s;
    cs_status st = sub_open(ctx, "body", &s);
    if (st != CS_OK)
        return st;
    st = ctx->opset >= 9 ? scan9(ctx, &s) : scan8(ctx, &s);
    sub_close(&s);
    return st;
}

/* ---- SequenceMap: the body once per position of the input sequences ---- */

/* Checks the inputs: input 0 a sequence, the others sequences of its length or tensors; returns the length. */
static int map_length(cs_kernel_ctx *ctx, int n_body_in)
{
    const cs_tensor *seq = cs_kernel_input(ctx, 0);
    if (!seq || seq->kind != CS_VALUE_SEQUENCE) {
        cs_kernel_fail(ctx, CS_ERR_ARG, "input 0 must be a sequence");
        return -1;
    }
    if (n_body_in < 1 || ctx->n_in < n_body_in) {
        cs_kernel_fail(ctx, CS_ERR_FORMAT, "the body takes %d inputs, the node has %d", n_body_in, ctx->n_in);
        return -1;
    }
    for (int i = 1; i < n_body_in; i++) {
        const cs_tensor *t = cs_kernel_input(ctx, i);
        if (!t || t->kind == CS_VALUE_OPTIONAL || (t->kind == CS_VALUE_SEQUENCE && t->n_items != seq->n_items)) {
            cs_kernel_fail(ctx, CS_ERR_ARG, "input %d must be a tensor or a sequence of %d elements", i, seq->n_items);
            return -1;
        }
    }
    return seq->n_items;
}

static cs_status map_run(cs_kernel_ctx *ctx, const sub_run *s, int len)
{
    int k = s->g->n_inputs, m = s->g->n_outputs;
    const cs_tensor **in = calloc((size_t)k + 1, sizeof *in);
    cs_tensor **out = calloc((size_t)m + 1, sizeof *out);
    cs_status st = in && out ? CS_OK : cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    for (int o = 0; st == CS_OK && o < m; o++)
        if (!(ctx->out[o] = cs_seq_new(ctx->err)))
            st = ctx->err->status;
    for (int p = 0; st == CS_OK && p < len; p++) {
        for (int i = 0; i < k; i++)
            in[i] = ctx->in[i]->kind == CS_VALUE_SEQUENCE ? ctx->in[i]->items[p] : ctx->in[i];
        st = sub_exec(ctx, s, in, out);
        for (int o = 0; st == CS_OK && o < m; o++)
            if ((st = cs_seq_insert(ctx->out[o], p, out[o], ctx->err)) == CS_OK)
                out[o] = NULL;
        free_all(out, m);
    }
    free(in), free(out);
    return st;
}

static cs_status op_sequence_map(cs_kernel_ctx *ctx)
{
    sub_run s;
    cs_status st = sub_open(ctx, "body", &s);
    if (st != CS_OK)
        return st;
    int len = map_length(ctx, s.g->n_inputs);
    if (len < 0)
        st = ctx->err->status;
    else if (s.g->n_outputs != ctx->n_out)
        st = cs_kernel_fail(ctx, CS_ERR_FORMAT, "the body has %d outputs, the node %d", s.g->n_outputs, ctx->n_out);
    else
        st = map_run(ctx, &s, len);
    sub_close(&s);
    return st;
}

const cs_op_def cs_ops_control[] = {
    {.name = "If", .run = op_if},
    {.name = "Loop", .run = op_loop},
    {.name = "Scan", .run = op_scan},
    {.name = "SequenceMap", .run = op_sequence_map},
    {.name = NULL},
};

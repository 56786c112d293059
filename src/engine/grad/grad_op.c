/* grad_op.c — the ONNX Gradient op (ai.onnx.preview.training): d sum(y) / d x for each x of 'xs', computed by
 * this module on a copy of the part of the enclosing graph that reads the node's inputs (xs, then zs) and yields y. */
#include <stdlib.h>
#include <string.h>

#include "../ops/registry.h"
#include "grad.h"

/* Copies attribute a onto node attrs; subgraphs are not copied (false). */
static bool copy_attr(cs_attrs *to, const cs_attr *a)
{
    cs_error local;
    cs_tensor *t;
    switch (a->type) {
    case CS_ATTR_INT: return cs_attrs_add_int(to, a->name, a->i);
    case CS_ATTR_FLOAT: return cs_attrs_add_float(to, a->name, a->f);
    case CS_ATTR_STRING: return cs_attrs_add_string(to, a->name, a->s ? a->s : "");
    case CS_ATTR_INTS: return cs_attrs_add_ints(to, a->name, a->ints, a->count);
    case CS_ATTR_FLOATS: return cs_attrs_add_floats(to, a->name, a->floats, a->count);
    case CS_ATTR_STRINGS: return cs_attrs_add_strings(to, a->name, (const char *const *)a->strings, a->count);
    case CS_ATTR_TENSOR: return (t = cs_tensor_clone(a->tensor, &local)) && cs_attrs_add_tensor(to, a->name, t);
    default: return false;
    }
}

static bool is_fed(const cs_attr *xs, const cs_attr *zs, const char *name)
{
    for (int i = 0; i < xs->count; i++)
        if (strcmp(xs->strings[i], name) == 0)
            return true;
    for (int i = 0; zs && i < zs->count; i++)
        if (strcmp(zs->strings[i], name) == 0)
            return true;
    return false;
}

/* Marks in need[] (per node of g) the nodes between the fed values and value y; false after failing. */
static bool mark_region(cs_kernel_ctx *ctx, const cs_attr *xs, const cs_attr *zs, int y, bool *need)
{
    const cs_graph *g = ctx->graph;
    int *stack = malloc(((size_t)g->n_values + 1) * sizeof *stack), n = 0;
    bool *seen = calloc((size_t)g->n_values + 1, sizeof *seen), ok = stack && seen;
    if (ok)
        stack[n++] = y, seen[y] = true;
    while (ok && n > 0) {
        int v = stack[--n], p = g->values[v].producer;
        if (is_fed(xs, zs, g->values[v].name) || g->values[v].data)
            continue;
        if (p < 0 || strcmp(g->nodes[p].op, "Gradient") == 0) {
            cs_kernel_fail(ctx, CS_ERR_ARG, "y depends on '%s', which is neither in xs nor in zs", g->values[v].name);
            ok = false;
            break;
        }
        need[p] = true;
        for (int i = 0; i < g->nodes[p].n_inputs; i++) {
            int u = g->nodes[p].inputs[i];
            if (u >= 0 && !seen[u])
                seen[u] = true, stack[n++] = u;
        }
    }
    if (!stack || !seen)
        cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    free(stack), free(seen);
    return ok;
}

/* The value of g named like value v of the enclosing graph (a copy of its constant when it has one). */
static int map_value(cs_graph *f, const cs_graph *g, int v)
{
    if (v < 0)
        return -1;
    int have = cs_graph_find_value(f, g->values[v].name);
    if (have >= 0 || !g->values[v].data)
        return have >= 0 ? have : cs_graph_value(f, g->values[v].name);
    cs_error local;
    cs_tensor *t = cs_tensor_clone(g->values[v].data, &local);
    return t ? cs_graph_add_constant(f, g->values[v].name, t) : -1;
}

static bool copy_node(cs_graph *f, const cs_graph *g, const cs_node *node)
{
    int ins[64], outs[64];
    if (node->n_inputs > 64 || node->n_outputs > 64)
        return false;
    for (int i = 0; i < node->n_inputs; i++)
        if ((ins[i] = map_value(f, g, node->inputs[i])) < 0 && node->inputs[i] >= 0)
            return false;
    for (int i = 0; i < node->n_outputs; i++)
        if ((outs[i] = map_value(f, g, node->outputs[i])) < 0 && node->outputs[i] >= 0)
            return false;
    int n = cs_graph_add_node(f, node->op, node->name, ins, node->n_inputs, outs, node->n_outputs);
    if (n < 0)
        return false;
    free(f->nodes[n].domain);
    if (!(f->nodes[n].domain = strdup(node->domain)))
        return false;
    for (int a = 0; a < node->attrs.count; a++)
        if (!copy_attr(&f->nodes[n].attrs, &node->attrs.items[a]))
            return false;
    return true;
}

/* The forward graph: inputs xs then zs, the marked nodes, output y. */
static cs_graph *forward_graph(cs_kernel_ctx *ctx, const cs_attr *xs, const cs_attr *zs, int y)
{
    const cs_graph *g = ctx->graph;
    bool *need = calloc((size_t)g->n_nodes + 1, sizeof *need);
    cs_graph *f = need ? cs_graph_new(g->path, g->format) : NULL;
    bool marked = f && mark_region(ctx, xs, zs, y, need), ok = marked;
    if (f)
        f->opset = g->opset;
    for (int i = 0; ok && i < xs->count + (zs ? zs->count : 0); i++) {
        int v = cs_graph_value(f, i < xs->count ? xs->strings[i] : zs->strings[i - xs->count]);
        ok = v >= 0 && cs_graph_add_input(f, v);
    }
    for (int n = 0; ok && n < g->n_nodes; n++)
        ok = !need[n] || copy_node(f, g, &g->nodes[n]);
    int fy = ok ? cs_graph_find_value(f, g->values[y].name) : -1;
    ok = ok && fy >= 0 && cs_graph_add_output(f, fy);
    if (!ok && (marked || !f))
        cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "cannot copy the graph between xs and y (subgraphs are not supported)");
    free(need);
    if (!ok)
        cs_graph_free(f);
    return ok ? f : NULL;
}

/* Output k: d sum(y) / d input k, in the input's dtype. */
static cs_status gradient_of(cs_kernel_ctx *ctx, const cs_graph *f, const cs_plan *plan, const cs_tensor *seed, int k)
{
    cs_grad_result res;
    cs_status st = cs_grad_seeded(f, plan, ctx->in, k, 0, seed, &res, ctx->err);
    if (st == CS_OK) {
        ctx->out[k] = ctx->in[k]->dtype == CS_DT_F32 ? res.grad : cs_tensor_cast(res.grad, ctx->in[k]->dtype, ctx->err);
        if (ctx->out[k] == res.grad)
            res.grad = NULL;
        st = ctx->out[k] ? CS_OK : ctx->err->status;
    }
    cs_grad_result_free(&res);
    return st;
}

cs_status cs_grad_op_gradient(cs_kernel_ctx *ctx)
{
    const cs_attr *xs = cs_attrs_find(&ctx->node->attrs, "xs"), *zs = cs_attrs_find(&ctx->node->attrs, "zs");
    const char *y_name = cs_attrs_string(&ctx->node->attrs, "y", NULL);
    int y = y_name ? cs_graph_find_value(ctx->graph, y_name) : -1;
    if (!xs || xs->type != CS_ATTR_STRINGS || (zs && zs->type != CS_ATTR_STRINGS) || y < 0)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "needs 'xs' (strings) and 'y' naming a value of the graph");
    if (ctx->n_in != xs->count + (zs ? zs->count : 0) || ctx->n_out != xs->count)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "the inputs must be xs then zs and the outputs one per x");
    cs_status st = cs_kernel_need_inputs(ctx, ctx->n_in);
    if (st != CS_OK)
        return st;
    cs_graph *f = forward_graph(ctx, xs, zs, y);
    cs_plan *plan = NULL;
    cs_tensor *yv = NULL, *seed = NULL;
    if (!f)
        st = ctx->err->status;
    else if ((st = cs_plan_build(f, &plan, ctx->err)) == CS_OK)
        st = cs_exec_run(f, plan, ctx->in, &yv, NULL, NULL, ctx->err);
    if (st == CS_OK && (seed = cs_tensor_new(CS_DT_F32, yv->rank, yv->dims, ctx->err)) == NULL)
        st = ctx->err->status;
    for (int64_t i = 0; st == CS_OK && i < cs_tensor_numel(seed); i++)
        ((float *)seed->data)[i] = 1; /* d sum(y) */
    for (int k = 0; st == CS_OK && k < xs->count; k++)
        st = gradient_of(ctx, f, plan, seed, k);
    cs_tensor_free(yv), cs_tensor_free(seed);
    cs_plan_free(plan);
    cs_graph_free(f);
    return st;
}

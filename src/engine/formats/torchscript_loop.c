/* torchscript_loop.c — 'for' over a range only known at run time (detection post-processing: one pass per box or
 * class), lowered to an ONNX Loop: the body's nodes, emitted once into the graph, move into a body subgraph. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchscript_internal.h"

void cs_ts_loop_begin(ts_ctx *c, ts_loop_mark *m)
{
    m->n_nodes = c->g->n_nodes;
    m->n_values = c->g->n_values;
    m->n_layers = c->g->n_layers;
}

/* Drops the nodes emitted since m (and their place in layers); their values stay, unproduced and unused. */
static void drop_nodes(ts_ctx *c, const ts_loop_mark *m)
{
    cs_graph *g = c->g;
    for (int k = m->n_nodes; k < g->n_nodes; k++) {
        cs_node *nd = &g->nodes[k];
        for (int o = 0; o < nd->n_outputs; o++)
            if (nd->outputs[o] >= 0)
                g->values[nd->outputs[o]].producer = -1;
        free(nd->name);
        free(nd->op);
        free(nd->domain);
        free(nd->inputs);
        free(nd->outputs);
        cs_attrs_free(&nd->attrs); /* empty when moved into a body */
        memset(nd, 0, sizeof *nd);
    }
    g->n_nodes = m->n_nodes;
    for (int l = 0; l < g->n_layers; l++) {
        cs_layer *ly = &g->layers[l];
        int kept = 0;
        for (int k = 0; k < ly->n_nodes; k++)
            if (ly->nodes[k] < m->n_nodes)
                ly->nodes[kept++] = ly->nodes[k];
        ly->n_nodes = kept;
        kept = 0;
        for (int k = 0; k < ly->n_outputs; k++)
            if (ly->outputs[k] < m->n_values)
                ly->outputs[kept++] = ly->outputs[k];
        ly->n_outputs = kept;
    }
    if (c->shp_nodes > m->n_nodes)
        c->shp_nodes = m->n_nodes;
}

bool cs_ts_loop_rollback(ts_ctx *c, const ts_loop_mark *m)
{
    if (c->g->n_layers != m->n_layers) {
        cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: a module first called inside a 'for' over a "
                   "run-time count");
        return false;
    }
    drop_nodes(c, m);
    return true;
}

int cs_ts_placeholder(ts_ctx *c, const char *hint, cs_dtype dt)
{
    int v = cs_graph_new_value(c->g, hint);
    if (v < 0) {
        cs_ts_oom(c);
        return -1;
    }
    c->g->values[v].dtype = dt;
    return v;
}

typedef struct body {
    ts_ctx *c;
    const ts_loop_mark *m;
    cs_graph *sub;
    int *captured; /* main-graph values the body reads from outside */
    int n_captured;
} body;

static bool made_in_body(const body *b, int v)
{
    int p = b->c->g->values[v].producer;
    return p >= b->m->n_nodes && p < b->c->g->n_nodes;
}

/* The body's value for main value v: made in the body, an input, a copied constant or a capture. -1: no memory. */
static int body_value(body *b, int v)
{
    const cs_value *mv = &b->c->g->values[v];
    int sv = cs_graph_find_value(b->sub, mv->name);
    if (sv >= 0)
        return sv;
    if ((sv = cs_graph_value(b->sub, mv->name)) < 0)
        return -1;
    cs_value *s = &b->sub->values[sv];
    s->dtype = mv->dtype;
    s->layout = mv->layout;
    if (mv->data) { /* constants travel with the body */
        if (!(s->data = cs_tensor_clone(mv->data, b->c->err)))
            return -1;
        s->dtype = mv->data->dtype;
        s->rank = mv->data->rank;
        memcpy(s->dims, mv->data->dims, sizeof s->dims);
    } else if (!made_in_body(b, v)) {
        int *cap = realloc(b->captured, (size_t)(b->n_captured + 1) * sizeof *cap);
        int *scap = realloc(b->sub->captures, (size_t)(b->n_captured + 1) * sizeof *scap);
        if (cap)
            b->captured = cap;
        if (scap)
            b->sub->captures = scap;
        if (!cap || !scap)
            return -1;
        b->captured[b->n_captured] = v;
        b->sub->captures[b->n_captured++] = sv;
        b->sub->n_captures = b->n_captured;
    }
    return sv;
}

static bool move_node(body *b, int k)
{
    cs_node *nd = &b->c->g->nodes[k];
    int *ins = malloc(((size_t)nd->n_inputs + 1) * sizeof *ins), *outs = malloc(((size_t)nd->n_outputs + 1) * sizeof *outs);
    bool ok = ins && outs;
    for (int i = 0; ok && i < nd->n_inputs; i++)
        ok = nd->inputs[i] < 0 ? (ins[i] = -1, true) : (ins[i] = body_value(b, nd->inputs[i])) >= 0;
    for (int o = 0; ok && o < nd->n_outputs; o++)
        ok = nd->outputs[o] < 0 ? (outs[o] = -1, true) : (outs[o] = body_value(b, nd->outputs[o])) >= 0;
    int sn = ok ? cs_graph_add_node(b->sub, nd->op, nd->name, ins, nd->n_inputs, outs, nd->n_outputs) : -1;
    free(ins);
    free(outs);
    if (sn < 0)
        return false;
    cs_node *s = &b->sub->nodes[sn];
    char *dom = malloc(strlen(nd->domain) + 1);
    if (!dom)
        return false;
    free(s->domain);
    s->domain = strcpy(dom, nd->domain);
    s->attrs = nd->attrs; /* moved: the main graph's node is dropped without freeing them */
    memset(&nd->attrs, 0, sizeof nd->attrs);
    return true;
}

/* A body output for main value v: v itself when the body makes it, else an Identity of what it reads. */
static int body_output(body *b, int v, int k)
{
    int sv = body_value(b, v);
    if (sv < 0 || made_in_body(b, v))
        return sv;
    char name[96];
    snprintf(name, sizeof name, "loop_carried_out_%d_%d", b->c->g->n_nodes, k);
    int out = cs_graph_value(b->sub, name);
    return out < 0 || cs_graph_add_node(b->sub, "Identity", name, &sv, 1, &out, 1) < 0 ? -1 : out;
}

static cs_graph *build_body(body *b, const int *in_ph, int n_in, const int *carried_out, int n_carried)
{
    ts_ctx *c = b->c;
    if (!(b->sub = cs_graph_new(c->path, "torchscript")))
        return NULL;
    b->sub->opset = c->g->opset;
    for (int k = 0; k < n_in; k++) {
        int sv = cs_graph_value(b->sub, c->g->values[in_ph[k]].name);
        if (sv < 0 || !cs_graph_add_input(b->sub, sv))
            return NULL;
        b->sub->values[sv].dtype = c->g->values[in_ph[k]].dtype;
    }
    for (int k = b->m->n_nodes; k < c->g->n_nodes; k++)
        if (!move_node(b, k))
            return NULL;
    cs_tensor *t = cs_tensor_new(CS_DT_BOOL, 0, NULL, c->err);
    char name[96];
    snprintf(name, sizeof name, "loop_cond_%d", c->g->n_nodes);
    if (!t)
        return NULL;
    ((unsigned char *)t->data)[0] = 1;
    int cond = cs_graph_add_constant(b->sub, name, t);
    if (cond < 0 || !cs_graph_add_output(b->sub, cond))
        return NULL;
    for (int k = 0; k < n_carried; k++) {
        int o = body_output(b, carried_out[k], k);
        if (o < 0 || !cs_graph_add_output(b->sub, o))
            return NULL;
    }
    return b->sub;
}

int cs_ts_loop_end(ts_ctx *c, const ts_loop_mark *m, int trip, const int *in_ph, const int *init, const int *carried_out,
                   int n_carried, int *outs)
{
    if (c->g->n_layers != m->n_layers) {
        cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: a module first called inside a 'for' over a "
                   "run-time count");
        return -1;
    }
    body b = {c, m, NULL, NULL, 0};
    cs_graph *sub = build_body(&b, in_ph, n_carried + 2, carried_out, n_carried);
    drop_nodes(c, m);
    int n_in = 2 + n_carried + b.n_captured, node = -1;
    int *ins = sub ? malloc((size_t)n_in * sizeof *ins) : NULL;
    cs_tensor *t = ins ? cs_tensor_new(CS_DT_BOOL, 0, NULL, c->err) : NULL;
    if (t) {
        ((unsigned char *)t->data)[0] = 1;
        ins[0] = trip;
        ins[1] = cs_ts_const(c, CS_DT_BOOL, t->data, 1, true);
        if (n_carried)
            memcpy(ins + 2, init, (size_t)n_carried * sizeof *ins);
        if (b.n_captured) /* a body reading nothing from outside has no capture list */
            memcpy(ins + 2 + n_carried, b.captured, (size_t)b.n_captured * sizeof *ins);
        node = ins[1] < 0 ? -1 : cs_ts_emit_multi(c, "Loop", ins, n_in, outs, n_carried);
    }
    cs_tensor_free(t);
    free(ins);
    free(b.captured);
    if (node < 0 || !cs_attrs_add_graph(cs_ts_attrs(c, node), "body", sub)) {
        if (node < 0)
            cs_graph_free(sub);
        if (!c->err->status)
            cs_ts_oom(c);
        return -1;
    }
    return node;
}

/* ---- what a body changes: tensors written in place, lists grown ---- */

/* Appends (v, n) to the parallel arrays *vs and *ns of *count entries; false when memory runs out. */
static bool append_tracked(ts_ctx *c, tv ***vs, int **ns, int *count, tv *v, int n)
{
    tv **grown = realloc(*vs, (size_t)(*count + 1) * sizeof *grown);
    if (grown)
        *vs = grown;
    int *grown_n = realloc(*ns, (size_t)(*count + 1) * sizeof *grown_n);
    if (grown_n)
        *ns = grown_n;
    if (!grown || !grown_n)
        return cs_ts_oom(c), false;
    (*vs)[*count] = v;
    (*ns)[(*count)++] = n;
    return true;
}

static bool track(ts_ctx *c, ts_loop_run *r, tv *v, int depth)
{
    if (!v || depth > 2)
        return true;
    if (v->kind == TV_TENSOR) {
        for (int k = 0; k < r->nt; k++)
            if (r->t[k] == v)
                return true;
        return append_tracked(c, &r->t, &r->tval, &r->nt, v, v->value);
    }
    if (v->kind != TV_LIST && v->kind != TV_TUPLE && v->kind != TV_DICT)
        return true;
    if (!append_tracked(c, &r->l, &r->ln, &r->nl, v, v->n))
        return false;
    for (int k = 0; k < v->n; k++)
        if (!track(c, r, v->items[k], depth + 1))
            return false;
    return true;
}

bool cs_ts_loop_track(ts_ctx *c, ts_loop_run *r, tv *const *vals, int n)
{
    memset(r, 0, sizeof *r);
    for (int k = 0; k < n; k++)
        if (!track(c, r, vals[k], 0))
            return false;
    return true;
}

bool cs_ts_loop_lists_same(ts_ctx *c, const ts_loop_run *r)
{
    for (int k = 0; k < r->nl; k++)
        if (r->l[k]->n != r->ln[k]) {
            cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: a list or dict grown inside a 'for' over a "
                       "run-time count");
            return false;
        }
    return true;
}

void cs_ts_loop_restore(ts_loop_run *r)
{
    for (int k = 0; k < r->nt; k++)
        r->t[k]->value = r->tval[k];
}

void cs_ts_loop_free(ts_loop_run *r)
{
    free(r->t);
    free(r->tval);
    free(r->l);
    free(r->ln);
    memset(r, 0, sizeof *r);
}

/* rnn_unrolled.c — decomposed LSTM cells found by their data flow (see rnn_unrolled.h): a Split into four
 * gate blocks fed by x@W + h@R + b, whose parts meet in the LSTM update c' = f*c + i*g, h' = o*tanh(c'). */
#include "rnn_unrolled.h"

#include <string.h>

#define MAX_TERMS 8

static void add_node(cs_rnn_unrolled *c, int n)
{
    if (n >= 0 && c->n_nodes < CS_UNROLLED_MAX_NODES)
        c->nodes[c->n_nodes++] = n;
}

static bool op_is(const cs_graph *g, int n, const char *op)
{
    return n >= 0 && n < g->n_nodes && cs_node_default_domain(&g->nodes[n]) &&
           strcmp(g->nodes[n].op, op) == 0;
}

static bool is_const(const cs_graph *g, int v)
{
    return v >= 0 && v < g->n_values && g->values[v].data;
}

static int producer(const cs_graph *g, int v)
{
    return v >= 0 && v < g->n_values ? g->values[v].producer : -1;
}

static int out0(const cs_graph *g, int n)
{
    return g->nodes[n].n_outputs > 0 ? g->nodes[n].outputs[0] : -1;
}

/* The first node of type op after `after` that reads v; -1 when none. */
static int consumer(const cs_graph *g, int v, const char *op, int after)
{
    for (int n = after + 1; v >= 0 && n < g->n_nodes; n++)
        if (op_is(g, n, op))
            for (int i = 0; i < g->nodes[n].n_inputs; i++)
                if (g->nodes[n].inputs[i] == v)
                    return n;
    return -1;
}

/* A binary node of type op reading v and w (either order); -1 when none. w < 0: any other input, in *other. */
static int binary(const cs_graph *g, const char *op, int v, int w, int *other)
{
    for (int n = consumer(g, v, op, -1); n >= 0; n = consumer(g, v, op, n)) {
        const cs_node *nd = &g->nodes[n];
        if (nd->n_inputs != 2)
            continue;
        int o = nd->inputs[0] == v ? nd->inputs[1] : nd->inputs[0];
        if (w < 0 || o == w) {
            if (other)
                *other = o;
            return n;
        }
    }
    return -1;
}

/* Where v comes from, through ops that only move or reshape data. */
static int root(const cs_graph *g, int v)
{
    static const char *const moves[] = {"Squeeze", "Unsqueeze", "Reshape", "Slice", "Gather", "Split",
                                        "Transpose", "Identity", "Flatten", "Cast"};
    for (int steps = 0; steps < 64; steps++) {
        int p = producer(g, v);
        bool move = false;
        for (size_t k = 0; p >= 0 && k < sizeof moves / sizeof *moves && !move; k++)
            move = op_is(g, p, moves[k]);
        if (!move || g->nodes[p].n_inputs < 1)
            return v;
        v = g->nodes[p].inputs[0];
    }
    return v;
}

/* The additive terms of v (expanding Add nodes a few levels deep, noted in c); false when more than MAX_TERMS. */
static bool terms(const cs_graph *g, int v, int depth, int *t, int *n, cs_rnn_unrolled *c)
{
    int p = producer(g, v);
    if (depth < 6 && op_is(g, p, "Add") && g->nodes[p].n_inputs == 2) {
        add_node(c, p);
        return terms(g, g->nodes[p].inputs[0], depth + 1, t, n, c) &&
               terms(g, g->nodes[p].inputs[1], depth + 1, t, n, c);
    }
    if (*n >= MAX_TERMS)
        return false;
    t[(*n)++] = v;
    return true;
}

typedef struct kernel_term {
    int node, weight, mult; /* the MatMul or Gemm, its constant [K, 4H] (or [4H, K]) and what it multiplies */
    bool gates_first;       /* the constant is [4H, K] */
} kernel_term;

static int64_t term_k(const cs_graph *g, const kernel_term *k)
{
    return g->values[k->weight].data->dims[k->gates_first ? 1 : 0];
}

static int64_t term_n(const cs_graph *g, const kernel_term *k)
{
    return g->values[k->weight].data->dims[k->gates_first ? 0 : 1];
}

/* A Gemm computing A @ B (+ C) with B constant and C constant or absent: no transA, alpha and beta 1. */
static bool plain_gemm(const cs_graph *g, int p)
{
    const cs_node *nd = &g->nodes[p];
    return nd->n_inputs >= 2 && is_const(g, nd->inputs[1]) && cs_attrs_int(&nd->attrs, "transA", 0) == 0 &&
           cs_attrs_float(&nd->attrs, "alpha", 1) == 1 && cs_attrs_float(&nd->attrs, "beta", 1) == 1 &&
           (nd->n_inputs < 3 || nd->inputs[2] < 0 || is_const(g, nd->inputs[2]));
}

/* z's terms as two kernels and constant biases of n4 elements each; false when z is not of that form. */
static bool split_terms(const cs_graph *g, int z, kernel_term k[2], cs_rnn_unrolled *c)
{
    int t[MAX_TERMS], n = 0, nk = 0;
    if (!terms(g, z, 0, t, &n, c))
        return false;
    c->n_bias = 0;
    for (int i = 0; i < n; i++) {
        int p = producer(g, t[i]);
        if (is_const(g, t[i]) && c->n_bias < CS_UNROLLED_MAX_BIAS) {
            c->bias_values[c->n_bias++] = t[i];
        } else if (((op_is(g, p, "MatMul") && g->nodes[p].n_inputs == 2 && is_const(g, g->nodes[p].inputs[1])) ||
                    (op_is(g, p, "Gemm") && plain_gemm(g, p))) && nk < 2) {
            const cs_tensor *w = g->values[g->nodes[p].inputs[1]].data;
            bool gates_first = op_is(g, p, "Gemm") && cs_attrs_int(&g->nodes[p].attrs, "transB", 0) != 0;
            k[nk] = (kernel_term){p, g->nodes[p].inputs[1], g->nodes[p].inputs[0], gates_first};
            if (w->rank != 2 || term_n(g, &k[nk]) < 4 || term_n(g, &k[nk]) % 4)
                return false;
            int bias = g->nodes[p].n_inputs > 2 ? g->nodes[p].inputs[2] : -1;
            if (bias >= 0 && c->n_bias < CS_UNROLLED_MAX_BIAS)
                c->bias_values[c->n_bias++] = bias; /* a Gemm's C adds a bias */
            else if (bias >= 0)
                return false;
            nk++;
            add_node(c, p);
        } else {
            return false;
        }
    }
    if (nk != 2)
        return false;
    int64_t n4 = term_n(g, &k[0]);
    if (term_n(g, &k[1]) != n4)
        return false;
    for (int i = 0; i < c->n_bias; i++) {
        const cs_tensor *b = g->values[c->bias_values[i]].data;
        if (cs_tensor_numel(b) != n4 || b->rank < 1 || b->dims[b->rank - 1] != n4)
            return false;
    }
    c->hidden = n4 / 4;
    return true;
}

/* A Split of z into four equal parts along its last axis. */
static bool gate_split(const cs_graph *g, int s, int z)
{
    const cs_node *nd = &g->nodes[s];
    if (nd->n_outputs != 4 || nd->n_inputs < 1 || nd->inputs[0] != z)
        return false;
    for (int o = 0; o < 4; o++)
        if (nd->outputs[o] < 0)
            return false;
    int64_t axis = cs_attrs_int(&nd->attrs, "axis", 0);
    int rank = g->values[z].rank;
    if (!(axis == -1 || (rank > 0 && axis == rank - 1) || (rank <= 0 && axis == 1)))
        return false;
    const int64_t *sizes;
    int ns = cs_attrs_ints(&nd->attrs, "split", &sizes);
    const cs_tensor *st = nd->n_inputs > 1 && is_const(g, nd->inputs[1]) ? g->values[nd->inputs[1]].data : NULL;
    if (nd->n_inputs > 1 && nd->inputs[1] >= 0 && !st)
        return false; /* sizes computed at run time */
    for (int o = 0; o < 4; o++) {
        int64_t a = ns == 4 ? sizes[o] : st && cs_tensor_numel(st) == 4 ? (int64_t)cs_tensor_get_f64(st, o) : -1;
        int64_t b = ns == 4 ? sizes[0] : st && cs_tensor_numel(st) == 4 ? (int64_t)cs_tensor_get_f64(st, 0) : -1;
        if ((ns > 0 && ns != 4) || (st && cs_tensor_numel(st) != 4) || a != b)
            return false;
    }
    return true;
}

/* Gate roles from the cell update: chunk_of, c' and h'; false when the parts do not meet as an LSTM's. */
static bool gate_roles(const cs_graph *g, int s, cs_rnn_unrolled *c, int *c_prev)
{
    int act[4], tanh_part = -1;
    for (int o = 0; o < 4; o++) {
        int v = g->nodes[s].outputs[o], n = consumer(g, v, "Sigmoid", -1);
        n = n >= 0 ? n : consumer(g, v, "HardSigmoid", -1);
        if (n < 0 && (n = consumer(g, v, "Tanh", -1)) >= 0) {
            if (tanh_part >= 0)
                return false;
            tanh_part = o;
        }
        if (n < 0)
            return false;
        act[o] = out0(g, n);
        add_node(c, n);
    }
    if (tanh_part < 0)
        return false;
    int i = -1, f = -1, o_gate = -1, ig = -1, fc = -1, cn = -1;
    for (int k = 0; k < 4 && ig < 0; k++)
        if (k != tanh_part && (ig = binary(g, "Mul", act[k], act[tanh_part], NULL)) >= 0)
            i = k;
    if (ig < 0 || (cn = binary(g, "Add", out0(g, ig), -1, &fc)) < 0)
        return false;
    int fcn = producer(g, fc);
    for (int k = 0; k < 4 && f < 0 && op_is(g, fcn, "Mul"); k++)
        if (k != tanh_part && k != i && (g->nodes[fcn].inputs[0] == act[k] || g->nodes[fcn].inputs[1] == act[k]))
            f = k, *c_prev = g->nodes[fcn].inputs[0] == act[k] ? g->nodes[fcn].inputs[1] : g->nodes[fcn].inputs[0];
    int tc = consumer(g, out0(g, cn), "Tanh", -1), hn = -1;
    for (int k = 0; k < 4 && f >= 0 && tc >= 0 && hn < 0; k++)
        if (k != tanh_part && k != i && k != f && (hn = binary(g, "Mul", act[k], out0(g, tc), NULL)) >= 0)
            o_gate = k;
    if (hn < 0)
        return false;
    c->chunk_of[0] = i, c->chunk_of[1] = f, c->chunk_of[2] = tanh_part, c->chunk_of[3] = o_gate;
    add_node(c, s), add_node(c, ig), add_node(c, fcn), add_node(c, cn), add_node(c, tc), add_node(c, hn);
    c->c_value = out0(g, cn), c->h_value = out0(g, hn);
    return true;
}

typedef struct candidate {
    cs_rnn_unrolled c;
    kernel_term k[2];
    int c_prev;
    int r;                  /* which kernel term is R: 0, 1, or -1 while unknown */
} candidate;

static bool same_kernels(const candidate *x, const candidate *y)
{
    return (x->k[0].weight == y->k[0].weight && x->k[1].weight == y->k[1].weight) ||
           (x->k[0].weight == y->k[1].weight && x->k[1].weight == y->k[0].weight);
}

/* Does v carry recurrent state: from where c_prev comes from (one state tensor sliced in two), a constant
 * initial state as c_prev's, or the h' of another time step of the same cell (same kernels)? */
static bool is_state(const cs_graph *g, int v, const candidate *x, const candidate *all, int n)
{
    int r = root(g, v), rc = root(g, x->c_prev);
    if (r == rc || (is_const(g, r) && is_const(g, rc)))
        return true;
    for (int k = 0; k < n; k++)
        if (&all[k] != x && same_kernels(&all[k], x) && root(g, all[k].c.h_value) == r)
            return true;
    return false;
}

/* Which kernel is R: by shape ([H, 4H] against [In, 4H]) or, when In == H, by the data flow. */
static int which_r(const cs_graph *g, const candidate *x, const candidate *all, int n)
{
    int64_t h = x->c.hidden, rows0 = term_k(g, &x->k[0]), rows1 = term_k(g, &x->k[1]);
    if ((rows0 == h) != (rows1 == h))
        return rows0 == h ? 0 : 1;
    if (rows0 != h)
        return -1;
    bool s0 = is_state(g, x->k[0].mult, x, all, n), s1 = is_state(g, x->k[1].mult, x, all, n);
    return s0 == s1 ? -1 : s0 ? 0 : 1;
}

int cs_rnn_unrolled_find(const cs_graph *g, cs_rnn_unrolled *out, int max)
{
    candidate cand[64];
    int nc = 0, found = 0;
    for (int s = 0; s < g->n_nodes && nc < 64; s++) {
        if (!op_is(g, s, "Split") || g->nodes[s].n_inputs < 1)
            continue;
        candidate *x = &cand[nc];
        memset(x, 0, sizeof *x);
        int z = g->nodes[s].inputs[0];
        if (z >= 0 && z < g->n_values && split_terms(g, z, x->k, &x->c) && gate_split(g, s, z) &&
            gate_roles(g, s, &x->c, &x->c_prev))
            nc++;
    }
    for (int i = 0; i < nc; i++)
        cand[i].r = which_r(g, &cand[i], cand, nc);
    for (int i = 0; i < nc; i++) /* a time step the data flow leaves open takes its sibling steps' answer */
        for (int j = 0; j < nc && cand[i].r < 0; j++)
            if (cand[j].r >= 0 && same_kernels(&cand[i], &cand[j]))
                cand[i].r = cand[i].k[0].weight == cand[j].k[cand[j].r].weight ? 0 : 1;
    for (int i = 0; i < nc && found < max; i++) {
        candidate *x = &cand[i];
        if (x->r < 0)
            continue;
        x->c.r_value = x->k[x->r].weight, x->c.w_value = x->k[1 - x->r].weight;
        x->c.r_gates_first = x->k[x->r].gates_first, x->c.w_gates_first = x->k[1 - x->r].gates_first;
        x->c.in = term_k(g, &x->k[1 - x->r]);
        x->c.first_node = x->k[0].node < x->k[1].node ? x->k[0].node : x->k[1].node;
        out[found++] = x->c;
    }
    return found;
}

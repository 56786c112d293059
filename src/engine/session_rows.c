/* session_rows.c — the layer walk's rows: matched pairs in A's order with B's unmatched layers placed after
 * their predecessor, containers inserted above their first member (cs_layer.parent), and per-row data readers. */
#include "session_internal.h"
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff/kind.h"

typedef struct row_builder {
    const cs_graph *a, *b;
    session_results *r;
    int cap;
    bool *opened;              /* per A layer: its container row exists */
    int *container_row;        /* per A layer: that row */
} row_builder;

static cs_row *push(row_builder *rb)
{
    session_results *r = rb->r;
    if (r->n_rows == rb->cap) {
        int cap = rb->cap ? rb->cap * 2 : 64;
        cs_row *rows = realloc(r->rows, (size_t)cap * sizeof *rows);
        if (!rows)
            return NULL;
        r->rows = rows, rb->cap = cap;
    }
    cs_row *row = &r->rows[r->n_rows++];
    memset(row, 0, sizeof *row);
    row->pair = -1, row->parent = -1, row->single = -1;
    return row;
}

/* Opens the containers enclosing A layer `l` (outermost first); returns the innermost row or -1. */
static int open_parents(row_builder *rb, int l, int *depth)
{
    int chain[64], n = 0;
    for (int p = rb->a->layers[l].parent; p >= 0 && p < rb->a->n_layers && n < 64; p = rb->a->layers[p].parent)
        chain[n++] = p;
    int parent = -1;
    *depth = n;
    for (int i = n - 1; i >= 0; i--) {
        int c = chain[i];
        if (!rb->opened[c]) {
            cs_row *row = push(rb);
            if (!row)
                return -1;
            row->a = &rb->r->ids_a[c], row->n_a = 1, row->container = true;
            row->depth = n - 1 - i, row->parent = parent;
            rb->opened[c] = true;
            rb->container_row[c] = rb->r->n_rows - 1;
        }
        parent = rb->container_row[c];
    }
    return parent;
}

static bool push_a(row_builder *rb, const int *layers, int n, int pair)
{
    int depth, parent = open_parents(rb, layers[0], &depth);
    cs_row *row = push(rb);
    if (!row)
        return false;
    row->a = layers, row->n_a = n, row->depth = depth, row->parent = parent, row->pair = pair;
    if (pair >= 0) {
        const cs_match_pair *mp = &rb->r->diff->matching->pairs[pair];
        row->b = mp->b, row->n_b = mp->n_b;
        row->divergent = cs_pair_verdict_diverges(cs_pair_verdict_of(rb->r->diff, pair));
    } else if (!rb->b) {
        row->single = layers[0];
    }
    return true;
}

static bool push_b_alone(row_builder *rb, int layer)
{
    int prev = rb->r->n_rows - 1;
    cs_row *row = push(rb);
    if (!row)
        return false;
    row->b = &rb->r->ids_b[layer], row->n_b = 1;
    if (prev >= 0) {
        const cs_row *p = &rb->r->rows[prev];
        row->depth = p->container ? p->depth + 1 : p->depth;
        row->parent = p->container ? prev : p->parent;
    }
    return true;
}

/* For each pair, B's unmatched layers that follow it in B's order (anchor -1: before everything). */
static int *b_anchors(const cs_graph *b, const cs_matching *m, cs_error *err)
{
    int *seq = NULL, n = cs_match_layer_sequence(b, &seq, err);
    int *pair_of = malloc(((size_t)b->n_layers + 1) * sizeof *pair_of);
    int *anchor = malloc(((size_t)b->n_layers + 1) * sizeof *anchor);
    if (!pair_of || !anchor || n < 0) {
        free(seq), free(pair_of), free(anchor);
        return NULL;
    }
    for (int i = 0; i < b->n_layers; i++)
        pair_of[i] = -1, anchor[i] = -2;
    for (int p = 0; p < m->n_pairs; p++)
        for (int k = 0; k < m->pairs[p].n_b; k++)
            pair_of[m->pairs[p].b[k]] = p;
    for (int i = 0; i < m->n_unmatched_b; i++)
        anchor[m->unmatched_b[i]] = -1;
    int last = -1;
    for (int i = 0; i < n; i++) {
        if (pair_of[seq[i]] >= 0)
            last = pair_of[seq[i]];
        else if (anchor[seq[i]] == -1)
            anchor[seq[i]] = last;
    }
    free(seq);
    free(pair_of);
    return anchor; /* per B layer: -2 not unmatched, else the pair it follows (-1 none) */
}

static bool emit_b_after(row_builder *rb, const int *anchor, int pair)
{
    for (int l = 0; anchor && l < rb->b->n_layers; l++)
        if (anchor[l] == pair && !push_b_alone(rb, l))
            return false;
    return true;
}

static bool emit_pairs(row_builder *rb, const int *seq, int n, cs_error *err)
{
    const cs_matching *m = rb->r->diff->matching;
    int *first_of = malloc(((size_t)rb->a->n_layers + 1) * sizeof *first_of);
    bool *unmatched = calloc((size_t)rb->a->n_layers + 1, sizeof *unmatched);
    int *anchor = b_anchors(rb->b, m, err);
    bool ok = first_of && unmatched && anchor;
    for (int i = 0; ok && i < rb->a->n_layers; i++)
        first_of[i] = -1;
    for (int p = 0; ok && p < m->n_pairs; p++)
        if (m->pairs[p].n_a > 0)
            first_of[m->pairs[p].a[0]] = p;
    for (int i = 0; ok && i < m->n_unmatched_a; i++)
        unmatched[m->unmatched_a[i]] = true;
    ok = ok && emit_b_after(rb, anchor, -1);
    for (int i = 0; ok && i < n; i++) {
        int l = seq[i], p = first_of[l];
        if (p >= 0)
            ok = push_a(rb, m->pairs[p].a, m->pairs[p].n_a, p) && emit_b_after(rb, anchor, p);
        else if (unmatched[l])
            ok = push_a(rb, &rb->r->ids_a[l], 1, -1);
    }
    free(first_of), free(unmatched), free(anchor);
    return ok;
}

static int *identity(int n)
{
    int *ids = malloc(((size_t)n + 1) * sizeof *ids);
    for (int i = 0; ids && i < n; i++)
        ids[i] = i;
    return ids;
}

static void mark_containers(session_results *r)
{
    r->first_div_row = -1;
    for (int i = 0; i < r->n_rows; i++) {
        if (r->rows[i].divergent && r->first_div_row < 0 && r->diff && r->rows[i].pair == r->diff->first_divergence)
            r->first_div_row = i;
        for (int p = r->rows[i].parent; r->rows[i].divergent && p >= 0; p = r->rows[p].parent)
            r->rows[p].divergent = true;
    }
    for (int i = 0; r->first_div_row < 0 && i < r->n_rows; i++)
        if (r->rows[i].divergent && !r->rows[i].container)
            r->first_div_row = i;
}

cs_status cs_session_build_rows(const cs_graph *a, const cs_graph *b, session_results *r, cs_error *err)
{
    row_builder rb = {a, b, r, 0, calloc((size_t)a->n_layers + 1, sizeof(bool)),
                      calloc((size_t)a->n_layers + 1, sizeof(int))};
    r->ids_a = identity(a->n_layers);
    r->ids_b = b ? identity(b->n_layers) : NULL;
    int *seq = NULL, n = cs_match_layer_sequence(a, &seq, err);
    bool ok = rb.opened && rb.container_row && r->ids_a && (!b || r->ids_b) && n >= 0;
    if (ok && b && r->diff)
        ok = emit_pairs(&rb, seq, n, err);
    else
        for (int i = 0; ok && i < n; i++)
            ok = push_a(&rb, &r->ids_a[seq[i]], 1, -1);
    free(seq), free(rb.opened), free(rb.container_row);
    if (!ok)
        return err->status != CS_OK ? err->status : cs_error_set(err, CS_ERR_NOMEM, "out of memory building rows");
    mark_containers(r);
    r->act_cache = calloc((size_t)r->n_rows * 2 + 1, sizeof *r->act_cache);
    r->w_cache[0] = calloc((size_t)a->n_layers + 1, sizeof *r->w_cache[0]);
    r->w_cache[1] = b ? calloc((size_t)b->n_layers + 1, sizeof *r->w_cache[1]) : NULL;
    return CS_OK;
}

static void free_wcache(cs_summary ***c, const cs_graph *g)
{
    for (int l = 0; c && g && l < g->n_layers; l++) {
        for (int w = 0; c[l] && w < g->layers[l].n_weights; w++)
            free(c[l][w]);
        free(c[l]);
    }
    free(c);
}

void cs_session_results_free(session_results *r, const cs_graph *a, const cs_graph *b)
{
    if (!r)
        return;
    if (r->cmp)
        cs_compare_free(r->cmp); /* owns diff and input */
    else
        cs_tensor_free(r->input);
    for (int i = 0; r->single && i < r->n_single; i++)
        cs_tensor_free(r->single[i]);
    free(r->single);
    for (int i = 0; r->act_cache && i < 2 * r->n_rows; i++)
        free(r->act_cache[i]);
    free(r->act_cache);
    free_wcache(r->w_cache[0], a);
    free_wcache(r->w_cache[1], b);
    free(r->rows), free(r->ids_a), free(r->ids_b);
    free(r);
}

/* ---- readers ---- */

static bool row_ok(cs_session *s, int row)
{
    return s->res && row >= 0 && row < s->res->n_rows;
}

void cs_session_row_acts(cs_session *s, int row, const cs_tensor **a, const cs_tensor **b)
{
    *a = *b = NULL;
    if (!row_ok(s, row))
        return;
    const cs_row *r = &s->res->rows[row];
    if (r->pair >= 0 && s->res->diff) {
        *a = s->res->diff->layers[r->pair].a_out;
        *b = s->res->diff->layers[r->pair].b_out;
    } else if (r->n_a > 0 && !r->container && s->res->single) {
        int v = cs_layer_group_output(s->a, r->a, r->n_a);
        *a = v >= 0 && v < s->res->n_single ? s->res->single[v] : NULL;
    }
}

const cs_summary *cs_session_act_summary(cs_session *s, int row, int side)
{
    const cs_tensor *t[2];
    cs_session_row_acts(s, row, &t[0], &t[1]);
    if (!t[side & 1])
        return NULL;
    cs_summary **slot = &s->res->act_cache[2 * row + (side & 1)];
    if (!*slot && (*slot = malloc(sizeof **slot)))
        cs_summarize(t[side & 1], 32, *slot);
    return *slot;
}

const cs_summary *cs_session_weight_summary(cs_session *s, int side, int layer, int w)
{
    const cs_graph *g = side ? s->b : s->a;
    if (!s->res || !g || layer < 0 || layer >= g->n_layers || w < 0 || w >= g->layers[layer].n_weights)
        return NULL;
    cs_summary ***c = s->res->w_cache[side ? 1 : 0];
    if (!c)
        return NULL;
    if (!c[layer] && !(c[layer] = calloc((size_t)g->layers[layer].n_weights, sizeof **c)))
        return NULL;
    if (!c[layer][w] && (c[layer][w] = malloc(sizeof ***c)))
        cs_summarize(g->layers[layer].weights[w].tensor, 32, c[layer][w]);
    return c[layer][w];
}

const char *cs_session_row_shape(cs_session *s, int row, int side, char *buf, size_t size)
{
    snprintf(buf, size, "-");
    if (!row_ok(s, row))
        return buf;
    const cs_row *r = &s->res->rows[row];
    const cs_graph *g = side ? s->b : s->a;
    const int *ls = side ? r->b : r->a;
    int n = side ? r->n_b : r->n_a;
    if (!g || n == 0 || r->container)
        return buf;
    const cs_tensor *ta, *tb;
    cs_session_row_acts(s, row, &ta, &tb);
    int v = cs_layer_group_output(g, ls, n);
    const cs_value *val = v >= 0 ? &g->values[v] : NULL;
    if (side == 0 && ta)
        return cs_shape_str(ta->rank, ta->dims, buf, size);
    if (side == 1 && ta && tb && cs_tensor_numel(ta) != cs_tensor_numel(tb)) /* a shape-changing fault */
        return cs_shape_str(tb->rank, tb->dims, buf, size);
    if (val && val->rank >= 0)
        return cs_shape_str(val->rank, val->dims, buf, size);
    return buf;
}

static size_t list_str(const cs_attr *a, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < a->count && used < size; i++) {
        if (a->type == CS_ATTR_INTS)
            used += (size_t)snprintf(buf + used, size - used, "%s%lld", i ? "," : "", (long long)a->ints[i]);
        else if (a->type == CS_ATTR_FLOATS)
            used += (size_t)snprintf(buf + used, size - used, "%s%g", i ? "," : "", a->floats[i]);
        else
            used += (size_t)snprintf(buf + used, size - used, "%s'%s'", i ? "," : "", a->strings[i]);
    }
    if (used < size)
        used += (size_t)snprintf(buf + used, size - used, "]");
    return used;
}

const char *cs_attr_str(const cs_attr *a, char *buf, size_t size)
{
    char shape[96];
    switch (a->type) {
    case CS_ATTR_INT: snprintf(buf, size, "%lld", (long long)a->i); break;
    case CS_ATTR_FLOAT: snprintf(buf, size, "%g", a->f); break;
    case CS_ATTR_STRING: snprintf(buf, size, "'%s'", a->s ? a->s : ""); break;
    case CS_ATTR_INTS: case CS_ATTR_FLOATS: case CS_ATTR_STRINGS: list_str(a, buf, size); break;
    case CS_ATTR_TENSOR:
        snprintf(buf, size, "tensor %s %s", a->tensor ? cs_dtype_name(a->tensor->dtype) : "?",
                 a->tensor ? cs_shape_str(a->tensor->rank, a->tensor->dims, shape, sizeof shape) : "");
        break;
    case CS_ATTR_GRAPH: snprintf(buf, size, "<graph>"); break;
    default: snprintf(buf, size, "?"); break;
    }
    return buf;
}

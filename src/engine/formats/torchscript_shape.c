/* torchscript_shape.c — sizes known at load in the TorchScript reader: a shadow shape of every IR value, inferred
 * lazily over the nodes emitted so far (the engine's infer rules, plus index/shape ops here) and seeded with the
 * static items of shape lists, so that scripted code's x.size(d), len(x) and x.dim() are numbers when they can be. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../ops/ops.h"
#include "torchscript_internal.h"

/* The shadow covers every value of the graph; new entries start from the value (constants: their shape). */
static bool grow(ts_ctx *c)
{
    int n = c->g->n_values;
    if (n <= c->n_shp)
        return true;
    cs_shape *s = realloc(c->shp, (size_t)n * sizeof *s);
    if (!s)
        return false;
    c->shp = s;
    for (int v = c->n_shp; v < n; v++) {
        const cs_value *val = &c->g->values[v];
        const cs_tensor *t = val->data;
        s[v] = (cs_shape){val->dtype, -1, {0}};
        if (t) {
            s[v].rank = t->rank;
            s[v].dtype = t->dtype;
            memcpy(s[v].dims, t->dims, sizeof(int64_t) * (size_t)t->rank);
        } else if (val->rank >= 0 && val->rank <= CS_MAX_RANK) { /* an input given by --ts-arg [d0,...] */
            s[v].rank = val->rank;
            memcpy(s[v].dims, val->dims, sizeof(int64_t) * (size_t)val->rank);
        }
    }
    c->n_shp = n;
    return true;
}

/* What is known of a value: `add` merged into the shadow (a known rank or dim wins over an unknown one). */
static void merge(cs_shape *have, const cs_shape *add)
{
    if (add->rank < 0 || add->rank > CS_MAX_RANK)
        return;
    if (have->rank != add->rank) {
        if (have->rank >= 0) /* contradicting ranks: keep the first claim, it came from the lowering */
            return;
        have->rank = add->rank;
        for (int d = 0; d < add->rank; d++)
            have->dims[d] = -1;
    }
    for (int d = 0; d < add->rank; d++)
        if (have->dims[d] < 0 && add->dims[d] >= 0)
            have->dims[d] = add->dims[d];
    if (have->dtype == CS_DT_UNDEFINED)
        have->dtype = add->dtype;
}

static const cs_tensor *known_ints(const ts_ctx *c, const cs_node *nd, int i)
{
    const cs_tensor *t = i < nd->n_inputs && nd->inputs[i] >= 0 ? c->g->values[nd->inputs[i]].data : NULL;
    return t && t->dtype == CS_DT_I64 && t->rank <= 1 ? t : NULL;
}

static int64_t norm_axis(int64_t a, int rank)
{
    return a < 0 ? a + rank : a;
}

/* Index and shape ops the engine has no infer rule for: out[0] (and Split's parts) from in. */
static void local_rule(const ts_ctx *c, const cs_node *nd, const cs_shape *in, cs_shape *out)
{
    const char *op = nd->op;
    const cs_shape *x = &in[0];
    cs_shape o = {x->dtype, -1, {0}};
    if (!strcmp(op, "Identity") || !strcmp(op, "Cast") || !strcmp(op, "CastLike") || !strcmp(op, "ScatterND") ||
        !strcmp(op, "ScatterElements")) {
        o = *x;
    } else if (!strcmp(op, "Shape")) {
        o = (cs_shape){CS_DT_I64, 1, {x->rank}};
    } else if (!strcmp(op, "Unsqueeze") || !strcmp(op, "Squeeze")) {
        const cs_tensor *ax = known_ints(c, nd, 1);
        bool un = op[0] == 'U';
        if (x->rank < 0 || !ax || (un && x->rank + (int)ax->dims[0] > CS_MAX_RANK) || (!un && ax->rank == 0))
            return;
        const int64_t *a = ax->data;
        int n = ax->rank ? (int)ax->dims[0] : 1, r = un ? x->rank + n : x->rank - n;
        bool pick[CS_MAX_RANK] = {false};
        for (int k = 0; k < n; k++) {
            int64_t d = norm_axis(a[k], un ? r : x->rank);
            if (d < 0 || d >= (un ? r : x->rank))
                return;
            pick[d] = true;
        }
        o.rank = r;
        for (int d = 0, s = 0, k = 0; d < (un ? r : x->rank); d++) {
            if (un)
                o.dims[d] = pick[d] ? 1 : x->dims[s++];
            else if (!pick[d])
                o.dims[k++] = x->dims[d];
        }
    } else if (!strcmp(op, "ConstantOfShape")) {
        const cs_tensor *s = known_ints(c, nd, 0);
        if (s && s->rank == 1 && s->dims[0] <= CS_MAX_RANK) {
            o.rank = (int)s->dims[0];
            if (o.rank > 0) /* an empty shape (a 0-d fill) has no data */
                memcpy(o.dims, s->data, sizeof(int64_t) * (size_t)o.rank);
        } else if (x->rank == 1 && x->dims[0] >= 0 && x->dims[0] <= CS_MAX_RANK) {
            o.rank = (int)x->dims[0];
            for (int d = 0; d < o.rank; d++)
                o.dims[d] = -1;
        }
        const cs_attr *val = cs_attrs_find(&nd->attrs, "value");
        o.dtype = val && val->tensor ? val->tensor->dtype : CS_DT_F32;
    } else if (!strcmp(op, "Expand")) { /* to a constant shape or to Shape(y) (expand_as): broadcast with it */
        const cs_tensor *k = known_ints(c, nd, 1);
        int sv = nd->n_inputs > 1 ? nd->inputs[1] : -1, p = sv >= 0 ? c->g->values[sv].producer : -1;
        cs_shape t = {CS_DT_UNDEFINED, -1, {0}};
        if (k && k->rank == 1 && k->dims[0] <= CS_MAX_RANK) {
            t.rank = (int)k->dims[0];
            if (t.rank > 0)
                memcpy(t.dims, k->data, sizeof(int64_t) * (size_t)t.rank);
        } else if (p >= 0 && !strcmp(c->g->nodes[p].op, "Shape") && c->g->nodes[p].n_inputs == 1 &&
                   c->g->nodes[p].inputs[0] >= 0 && c->g->nodes[p].inputs[0] < c->n_shp &&
                   cs_attrs_find(&c->g->nodes[p].attrs, "start") == NULL) {
            t = c->shp[c->g->nodes[p].inputs[0]];
        }
        if (x->rank < 0 || t.rank < 0)
            return;
        o.rank = x->rank > t.rank ? x->rank : t.rank;
        for (int d = 0; d < o.rank; d++) {
            int dx = d - (o.rank - x->rank), dt = d - (o.rank - t.rank);
            int64_t a = dx >= 0 ? x->dims[dx] : 1, b = dt >= 0 ? t.dims[dt] : 1;
            o.dims[d] = a == 1 ? b : b == 1 ? a : a >= 0 ? a : b;
        }
    } else if (!strcmp(op, "Range")) { /* arange of load-time numbers */
        const cs_tensor *k[3];
        for (int i = 0; i < 3; i++)
            if (!(k[i] = i < nd->n_inputs && nd->inputs[i] >= 0 ? c->g->values[nd->inputs[i]].data : NULL) ||
                cs_tensor_numel(k[i]) != 1)
                return;
        double lo = cs_tensor_get_f64(k[0], 0), hi = cs_tensor_get_f64(k[1], 0), st = cs_tensor_get_f64(k[2], 0);
        double len = st != 0 ? ceil((hi - lo) / st) : -1;
        if (!(len >= 0 && len < 1e15))
            return;
        o = (cs_shape){k[0]->dtype, 1, {(int64_t)len}};
    } else if (!strcmp(op, "GatherND")) { /* indices [..., k] into data: indices' leading dims + data's after k */
        const cs_shape *ix = &in[1];
        int64_t k = ix->rank > 0 ? ix->dims[ix->rank - 1] : -1;
        if (x->rank < 0 || ix->rank < 1 || k < 0 || k > x->rank || ix->rank - 1 + x->rank - k > CS_MAX_RANK ||
            cs_attrs_int(&nd->attrs, "batch_dims", 0) != 0)
            return;
        o.rank = ix->rank - 1 + x->rank - (int)k;
        int j = 0;
        for (int d = 0; d < ix->rank - 1; d++)
            o.dims[j++] = ix->dims[d];
        for (int d = (int)k; d < x->rank; d++)
            o.dims[j++] = x->dims[d];
    } else if (!strcmp(op, "Gather")) {
        const cs_shape *ix = &in[1];
        int64_t axis = norm_axis(cs_attrs_int(&nd->attrs, "axis", 0), x->rank);
        if (x->rank < 1 || ix->rank < 0 || axis < 0 || axis >= x->rank || x->rank - 1 + ix->rank > CS_MAX_RANK)
            return;
        o.rank = x->rank - 1 + ix->rank;
        int k = 0;
        for (int d = 0; d < axis; d++)
            o.dims[k++] = x->dims[d];
        for (int d = 0; d < ix->rank; d++)
            o.dims[k++] = ix->dims[d];
        for (int d = (int)axis + 1; d < x->rank; d++)
            o.dims[k++] = x->dims[d];
    } else if (!strcmp(op, "Slice") || !strcmp(op, "Resize") || !strcmp(op, "TopK") || !strcmp(op, "Compress") ||
               !strcmp(op, "Split") || !strcmp(op, "Pad")) {
        /* the same rank; what moves: Slice/Split/TopK/Compress their axes, Resize and Pad every axis but N, C */
        if (x->rank < 0)
            return;
        o = *x;
        bool spatial = !strcmp(op, "Resize") || !strcmp(op, "Pad");
        for (int d = spatial ? 2 : 0; spatial && d < o.rank; d++)
            o.dims[d] = -1;
        if (!strcmp(op, "Slice")) {
            const cs_tensor *ax = known_ints(c, nd, 3);
            if (nd->n_inputs > 3 && !ax)
                return;
            const cs_tensor *st = known_ints(c, nd, 1), *en = known_ints(c, nd, 2), *sp = known_ints(c, nd, 4);
            for (int k = 0; ax && k < (ax->rank ? ax->dims[0] : 1); k++) {
                int64_t d = norm_axis(((const int64_t *)ax->data)[k], x->rank);
                if (d < 0 || d >= x->rank)
                    return;
                bool whole = st && en && (int64_t)cs_tensor_numel(st) > k && (int64_t)cs_tensor_numel(en) > k &&
                             ((const int64_t *)st->data)[k] == 0 && x->dims[d] >= 0 &&
                             ((const int64_t *)en->data)[k] >= x->dims[d] &&
                             (nd->n_inputs < 5 || (sp && (int64_t)cs_tensor_numel(sp) > k &&
                                                   ((const int64_t *)sp->data)[k] == 1));
                if (!whole) /* x[:] keeps its size; other cuts are only known at run time */
                    o.dims[d] = -1;
            }
            if (!ax) /* no axes: the leading ones */
                for (int d = 0; d < o.rank; d++)
                    o.dims[d] = -1;
        } else if (!spatial) {
            int64_t axis = norm_axis(cs_attrs_int(&nd->attrs, "axis", !strcmp(op, "TopK") ? -1 : 0), x->rank);
            if (axis < 0 || axis >= x->rank)
                return;
            o.dims[axis] = -1;
        }
        for (int k = 1; !strcmp(op, "Split") && k < nd->n_outputs && k < 64; k++)
            out[k] = o;
        if (!strcmp(op, "TopK") && nd->n_outputs > 1)
            out[1] = (cs_shape){CS_DT_I64, o.rank, {0}}, memcpy(out[1].dims, o.dims, sizeof o.dims);
    } else {
        return;
    }
    out[0] = o;
}

/* Infers the shadow of every node emitted since the last call, in order. */
static void catch_up(ts_ctx *c)
{
    if (!grow(c))
        return;
    cs_shape in[64], out[64];
    cs_error scratch = {0};
    for (; c->shp_nodes < c->g->n_nodes; c->shp_nodes++) {
        const cs_node *nd = &c->g->nodes[c->shp_nodes];
        if (nd->n_inputs > 64 || nd->n_outputs > 64)
            continue;
        for (int i = 0; i < nd->n_inputs; i++)
            in[i] = nd->inputs[i] >= 0 && nd->inputs[i] < c->n_shp ? c->shp[nd->inputs[i]]
                                                                    : (cs_shape){CS_DT_UNDEFINED, -1, {0}};
        for (int o = 0; o < nd->n_outputs; o++)
            out[o] = (cs_shape){CS_DT_UNDEFINED, -1, {0}};
        if (cs_infer_node(c->g, c->shp_nodes, in, out, &scratch) != CS_OK) {
            for (int o = 0; o < nd->n_outputs; o++)
                out[o] = (cs_shape){CS_DT_UNDEFINED, -1, {0}};
            if (nd->n_inputs > 0)
                local_rule(c, nd, in, out);
        }
        scratch.status = CS_OK;
        for (int o = 0; o < nd->n_outputs; o++)
            if (nd->outputs[o] >= 0 && nd->outputs[o] < c->n_shp)
                merge(&c->shp[nd->outputs[o]], &out[o]);
    }
}

bool cs_ts_known_dim(ts_ctx *c, const tv *t, int64_t d, int64_t *out)
{
    if (!t || t->kind != TV_TENSOR || t->value < 0)
        return false;
    int rank = cs_ts_known_rank(c, t);
    if (rank < 0 || d < -rank || d >= rank)
        return false;
    d = d < 0 ? d + rank : d;
    if (t->sdims && t->rank == rank && t->sdims[d] >= 0)
        return *out = t->sdims[d], true;
    const cs_shape *s = &c->shp[t->value];
    return s->rank == rank && s->dims[d] >= 0 ? (*out = s->dims[d], true) : false;
}

int cs_ts_known_rank(ts_ctx *c, const tv *t)
{
    if (!t || t->kind != TV_TENSOR || t->value < 0)
        return -1;
    catch_up(c);
    if (t->rank >= 0)
        return t->rank;
    return t->value < c->n_shp ? c->shp[t->value].rank : -1;
}

void cs_ts_seed_shape(ts_ctx *c, int value, int rank, const int64_t *dims)
{
    catch_up(c);
    if (value < 0 || value >= c->n_shp || rank < 0 || rank > CS_MAX_RANK)
        return;
    cs_shape s = {CS_DT_UNDEFINED, rank, {0}};
    for (int d = 0; d < rank; d++)
        s.dims[d] = dims ? dims[d] : -1;
    merge(&c->shp[value], &s);
}

void cs_ts_same_shape(ts_ctx *c, int from, int to)
{
    catch_up(c);
    if (from >= 0 && to >= 0 && from < c->n_shp && to < c->n_shp)
        merge(&c->shp[to], &c->shp[from]);
}

/* coreml_mil_ops.c — one MIL operation to IR nodes through the name -> converter table (mil_find): argument
 * access, and the core rows: const, conv, linear, matmul, elementwise, activations, softmax, pooling,
 * reshape/transpose/squeeze/expand_dims, batch_norm, concat, cast, reduce_mean, clip, pad. More rows live in
 * coreml_mil_more.c and coreml_mil_logic.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coreml_mil.h"

typedef CoreML__Specification__MILSpec__Argument mil_arg;

static cs_status mst(cm_loader *ld)
{
    return ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw);
}

void mil_state_free(mil_state *ms)
{
    for (int i = 0; i < ms->n; i++) {
        free(ms->name[i]);
        free(ms->value[i]);
    }
}

static const mil_arg *find_arg(const mil_op *op, const char *name)
{
    for (size_t i = 0; i < op->n_inputs; i++)
        if (op->inputs[i]->key && strcmp(op->inputs[i]->key, name) == 0 && op->inputs[i]->value &&
            op->inputs[i]->value->n_arguments > 0)
            return op->inputs[i]->value;
    return NULL;
}

bool mil_defined_outside(cm_loader *ld, int v)
{
    const char *name = ld->lw.g->values[v].name;
    for (const cm_loader *o = ld->outer; o; o = o->outer) {
        const cs_graph *og = o->lw.g;
        int ov = cs_graph_find_value(og, name);
        if (ov < 0)
            continue;
        if (og->values[ov].data) { /* a constant: copied in, so load-time arguments stay known */
            const cs_tensor *t = og->values[ov].data;
            cs_tensor *c = cs_tensor_new(t->dtype, t->rank, t->dims, ld->lw.err);
            if (c)
                memcpy(c->data, t->data, (size_t)cs_tensor_numel(t) * cs_dtype_size(t->dtype));
            return c && cs_graph_add_constant(ld->lw.g, name, c) >= 0;
        }
        bool input = og->values[ov].producer >= 0;
        for (int i = 0; !input && i < og->n_inputs; i++)
            input = og->inputs[i] == ov;
        if (input)
            return true; /* computed outside: a capture of this block's graph */
    }
    return false;
}

/* The value bound to argument `name` (binding k); -1 when absent (err untouched) or -2 on error. */
int mil_arg_value(cm_loader *ld, const mil_op *op, const char *name, size_t k)
{
    const mil_arg *a = find_arg(op, name);
    if (!a || k >= a->n_arguments)
        return -1;
    const CoreML__Specification__MILSpec__Argument__Binding *b = a->arguments[k];
    if (b->binding_case == CORE_ML__SPECIFICATION__MILSPEC__ARGUMENT__BINDING__BINDING_NAME) {
        int v = cm_blob(ld, b->name);
        if (v >= 0 && ld->lw.g->values[v].producer < 0 && !ld->lw.g->values[v].data) {
            bool input = false;
            for (int i = 0; i < ld->lw.g->n_inputs; i++)
                input |= ld->lw.g->inputs[i] == v;
            if (!input && !mil_defined_outside(ld, v)) {
                cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "argument '%s' names '%s', which is not defined before", name,
                              b->name);
                return -2;
            }
        }
        return v < 0 ? -2 : v;
    }
    cs_tensor *t;
    cs_dtype stored;
    if (mil_value_tensor(ld, b->value, &t, &stored, NULL) != CS_OK)
        return -2;
    int v = cs_lower_const(&ld->lw, name, t);
    return v < 0 ? -2 : v;
}

int mil_need(cm_loader *ld, const mil_op *op, const char *name)
{
    int v = mil_arg_value(ld, op, name, 0);
    if (v == -1)
        cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "missing argument '%s'", name);
    return v;
}

/* Integer parameter values known at load time; returns the count or -1 (absent: -1 without error). */
int mil_ints(cm_loader *ld, const mil_op *op, const char *name, int64_t *out, int max, bool *bad)
{
    *bad = false;
    int v = mil_arg_value(ld, op, name, 0);
    if (v < 0) {
        *bad = v == -2;
        return -1;
    }
    const cs_tensor *t = ld->lw.g->values[v].data;
    int64_t n = t ? cs_tensor_numel(t) : -1;
    if (!t || n > max) {
        *bad = true;
        cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "argument '%s' must be a constant of at most %d values", name, max);
        return -1;
    }
    for (int64_t i = 0; i < n; i++) {
        double f = t->dtype == CS_DT_F32 ? cs_tensor_get_f64(t, i) : 0;
        if (!(f > -9.2e18 && f < 9.2e18)) { /* NaN or out of int64's range: the cast would be undefined */
            *bad = true;
            cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "argument '%s' holds %g, not an integer", name, f);
            return -1;
        }
        out[i] = t->dtype == CS_DT_F32 ? (int64_t)f : cs_tensor_get_i64(t, i);
    }
    return (int)n;
}

double mil_num(cm_loader *ld, const mil_op *op, const char *name, double dflt)
{
    int v = mil_arg_value(ld, op, name, 0);
    const cs_tensor *t = v >= 0 ? ld->lw.g->values[v].data : NULL;
    return t && cs_tensor_numel(t) == 1 ? cs_tensor_get_f64(t, 0) : dflt;
}

const char *mil_str(mil_state *ms, const mil_op *op, const char *name)
{
    const mil_arg *a = find_arg(op, name);
    if (!a)
        return NULL;
    const CoreML__Specification__MILSpec__Argument__Binding *b = a->arguments[0];
    if (b->binding_case == CORE_ML__SPECIFICATION__MILSPEC__ARGUMENT__BINDING__BINDING_NAME) {
        for (int i = 0; i < ms->n; i++)
            if (strcmp(ms->name[i], b->name) == 0)
                return ms->value[i];
        return NULL;
    }
    const CoreML__Specification__MILSpec__Value *val = b->value;
    const CoreML__Specification__MILSpec__TensorValue *tv =
        immediate_tensor(val);
    return tv && tv->value_case == CORE_ML__SPECIFICATION__MILSPEC__TENSOR_VALUE__VALUE_STRINGS && tv->strings->n_values == 1
               ? tv->strings->values[0] : NULL;
}

static cs_status op_const(cm_loader *ld, mil_state *ms, const mil_op *op, int out, const char *arg)
{
    (void)arg;
    const CoreML__Specification__MILSpec__Value *val = NULL;
    for (size_t i = 0; i < op->n_attributes; i++)
        if (op->attributes[i]->key && strcmp(op->attributes[i]->key, "val") == 0)
            val = op->attributes[i]->value;
    cs_tensor *t;
    cs_dtype stored = CS_DT_F32;
    char *s;
    if (!val)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "const without a 'val' attribute");
    if (mil_value_tensor(ld, val, &t, &stored, &s) != CS_OK)
        return ld->lw.err->status;
    if (s) {
        if (ms->n >= MIL_MAX_STRINGS || !(ms->name[ms->n] = strdup(ld->lw.g->values[out].name))) {
            free(s);
            return cs_lower_nomem(&ld->lw);
        }
        ms->value[ms->n++] = s;
        return CS_OK;
    }
    if (ld->lw.g->values[out].producer >= 0 || ld->lw.g->values[out].data) {
        cs_tensor_free(t);
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "value '%s' is defined twice", ld->lw.g->values[out].name);
    }
    if (cs_graph_add_constant(ld->lw.g, ld->lw.g->values[out].name, t) < 0)
        return cs_lower_nomem(&ld->lw);
    /* parameters: float tensors of rank >= 1 (a 10-element bias too); scalars and integer shapes are settings */
    bool param = cs_tensor_numel(t) >= 16 || (t->dtype == CS_DT_F32 && t->rank >= 1);
    if (param && cs_lower_weight_ref(&ld->lw, ld->lw.g->values[out].name, out, CS_LAYOUT_UNKNOWN, stored) != CS_OK)
        return ld->lw.err->status;
    return CS_OK;
}

static cs_status attr_ints(cm_loader *ld, int n, const char *name, const int64_t *v, int k)
{
    return cs_attrs_add_ints(cs_lower_attrs(&ld->lw, n), name, v, k) ? CS_OK : cs_lower_nomem(&ld->lw);
}

/* Window attributes shared by conv and pooling over nsp (1 to 3) spatial axes: strides, dilations, pads from
 * pad_type/pad (MIL custom pad is [begin0, end0, begin1, end1...], ONNX pads [begin0, begin1..., end0, end1...]). */
static cs_status window(cm_loader *ld, mil_state *ms, const mil_op *op, int n, bool dil, int nsp)
{
    int64_t v[8], pads[6] = {0, 0, 0, 0, 0, 0};
    bool bad;
    int k = mil_ints(ld, op, "strides", v, nsp, &bad);
    if (bad || (k == nsp && attr_ints(ld, n, "strides", v, nsp) != CS_OK))
        return ld->lw.err->status;
    k = dil ? mil_ints(ld, op, "dilations", v, nsp, &bad) : -1;
    if (bad || (k == nsp && attr_ints(ld, n, "dilations", v, nsp) != CS_OK))
        return ld->lw.err->status;
    const char *pt = mil_str(ms, op, "pad_type");
    if (pt && (strcmp(pt, "same") == 0 || strcmp(pt, "same_lower") == 0))
        return cs_attrs_add_string(cs_lower_attrs(&ld->lw, n), "auto_pad",
                                   pt[4] ? "SAME_LOWER" : "SAME_UPPER") ? CS_OK : cs_lower_nomem(&ld->lw);
    if (pt && strcmp(pt, "custom") == 0) {
        if (mil_ints(ld, op, "pad", v, 2 * nsp, &bad) != 2 * nsp)
            return bad ? ld->lw.err->status : cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                                                            "custom padding needs %d pad values", 2 * nsp);
        for (int i = 0; i < nsp; i++)
            pads[i] = v[2 * i], pads[nsp + i] = v[2 * i + 1];
    }
    return attr_ints(ld, n, "pads", pads, 2 * nsp);
}

static cs_status op_conv(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)
{
    (void)arg;
    int x = mil_need(ld, op, "x"), w = x < 0 ? -2 : mil_need(ld, op, "weight"), b = w < 0 ? -2 : mil_arg_value(ld, op, "bias", 0);
    if (b == -2 || x < 0 || w < 0)
        return ld->lw.err->status;
    const cs_tensor *wt = ld->lw.g->values[w].data;
    int wr = wt ? wt->rank : ld->lw.g->values[w].rank;
    if (wr < 3 || wr > 5)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                             "impossible kernel: weight has rank %d, expected 3 to 5 (1-D to 3-D)", wr);
    int n = cs_lower_node(&ld->lw, "Conv", (int[]){x, w, b}, b >= 0 ? 3 : 2, &y, 1);
    if (n < 0 || window(ld, ms, op, n, true, wr - 2) != CS_OK)
        return ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw);
    return cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "group", (int64_t)mil_num(ld, op, "groups",
                                                                                  1)) ? CS_OK : cs_lower_nomem(&ld->lw);
}

/* max_pool (arg NULL), avg_pool (arg "avg") and l2_pool (arg "l2": LpPool with p = 2). */
static cs_status op_pool(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)
{
    bool avg = arg && strcmp(arg, "avg") == 0, l2 = arg && strcmp(arg, "l2") == 0;
    int64_t k[4];
    bool bad;
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    int nk = mil_ints(ld, op, "kernel_sizes", k, 3, &bad);
    if (nk < 1 || k[0] < 1 || (nk > 1 && k[1] < 1) || (nk > 2 && k[2] < 1))
        return bad ? ld->lw.err->status : cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                                                        "impossible kernel: kernel_sizes needs 1 to 3 values >= 1");
    int n = cs_lower_node1(&ld->lw, avg ? "AveragePool" : l2 ? "LpPool" : "MaxPool", x, y);
    if (n < 0 || attr_ints(ld, n, "kernel_shape", k, nk) != CS_OK || window(ld, ms, op, n, false, nk) != CS_OK)
        return ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw);
    cs_attrs *a = cs_lower_attrs(&ld->lw, n);
    bool ok = l2 ? cs_attrs_add_int(a, "p", 2) : cs_attrs_add_int(a, "ceil_mode", mil_num(ld, op, "ceil_mode", 0) != 0);
    if (avg)
        ok = ok && cs_attrs_add_int(a, "count_include_pad", mil_num(ld, op, "exclude_padding_from_average", 0) == 0);
    return ok ? CS_OK : cs_lower_nomem(&ld->lw);
}

static int transposed_last2(cm_loader *ld, int v)
{
    int r = ld->lw.g->values[v].rank;
    if (r < 2) {
        cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "transposing an operand of unknown rank");
        return -2;
    }
    int64_t perm[CS_MAX_RANK];
    for (int i = 0; i < r; i++)
        perm[i] = i;
    perm[r - 2] = r - 1, perm[r - 1] = r - 2;
    int t = cs_lower_tmp(&ld->lw, "transposed"), n = t < 0 ? -1 : cs_lower_node1(&ld->lw, "Transpose", v, t);
    return n < 0 || attr_ints(ld, n, "perm", perm, r) != CS_OK ? -2 : t;
}

/* linear (arg "linear": weight [out, in], bias) and matmul (transpose_x / transpose_y). */
static cs_status op_matmul(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)
{
    (void)ms;
    bool linear = arg != NULL;
    int x = mil_need(ld, op, linear ? "x" : "x"), w = x < 0 ? -2 : mil_need(ld, op, linear ? "weight" : "y");
    int b = linear && w >= 0 ? mil_arg_value(ld, op, "bias", 0) : -1;
    if (x < 0 || w < 0 || b == -2)
        return ld->lw.err->status;
    if (linear || mil_num(ld, op, "transpose_y", 0) != 0)
        w = transposed_last2(ld, w);
    if (!linear && x >= 0 && mil_num(ld, op, "transpose_x", 0) != 0)
        x = transposed_last2(ld, x);
    if (x < 0 || w < 0)
        return ld->lw.err->status;
    int mm = b >= 0 ? cs_lower_tmp(&ld->lw, "matmul") : y;
    if (mm < 0 || cs_lower_node(&ld->lw, "MatMul", (int[]){x, w}, 2, &mm, 1) < 0)
        return ld->lw.err->status;
    return b >= 0 && cs_lower_node(&ld->lw, "Add", (int[]){mm, b}, 2, &y, 1) < 0 ? ld->lw.err->status : CS_OK;
}

static cs_status op_binary(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *onnx)
{
    (void)ms;
    int x = mil_need(ld, op, "x"), z = x < 0 ? -2 : mil_need(ld, op, "y");
    if (x < 0 || z < 0)
        return ld->lw.err->status;
    return cs_lower_node(&ld->lw, onnx, (int[]){x, z}, 2, &y, 1) < 0 ? ld->lw.err->status : CS_OK;
}

static cs_status op_unary(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *onnx)
{
    (void)ms;
    int x = mil_need(ld, op, "x");
    return x < 0 || cs_lower_node1(&ld->lw, onnx, x, y) < 0 ? ld->lw.err->status : CS_OK;
}

/* softmax, concat, reduce_mean, transpose, reshape, squeeze, expand_dims: one data input and constant params. */
static cs_status op_axis(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *onnx)
{
    (void)ms;
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    int n = cs_lower_node1(&ld->lw, onnx, x, y);
    return n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "axis", (int64_t)mil_num(ld, op, "axis",
                                                                                           -1)) ? mst(ld) : CS_OK;
}

static cs_status op_concat(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)
{
    (void)ms, (void)arg;
    const mil_arg *a = find_arg(op, "values");
    if (!a || a->n_arguments > 64)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "concat needs 1 to 64 values");
    if (mil_num(ld, op, "interleave", 0) != 0)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "concat with interleave=True is not supported");
    int ins[64];
    for (size_t i = 0; i < a->n_arguments; i++)
        if ((ins[i] = mil_arg_value(ld, op, "values", i)) < 0)
            return ld->lw.err->status;
    int n = cs_lower_node(&ld->lw, "Concat", ins, (int)a->n_arguments, &y, 1);
    return n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "axis", (int64_t)mil_num(ld, op, "axis",
                                                                                           0)) ? mst(ld) : CS_OK;
}

static cs_status op_ints_param(cm_loader *ld, const mil_op *op, const char *onnx, const char *param, bool as_input,
                               int y)
{
    int64_t v[CS_MAX_RANK];
    bool bad;
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    int k = mil_ints(ld, op, param, v, CS_MAX_RANK, &bad);
    if (bad)
        return ld->lw.err->status;
    if (as_input) {
        int c = k >= 0 ? cs_lower_const_i64(&ld->lw, param, v, k) : -1;
        if (k >= 0 && c < 0)
            return ld->lw.err->status;
        return cs_lower_node(&ld->lw, onnx, (int[]){x, c}, c >= 0 ? 2 : 1, &y, 1) < 0 ? ld->lw.err->status : CS_OK;
    }
    int n = cs_lower_node1(&ld->lw, onnx, x, y);
    if (n < 0 || (k >= 0 && !cs_attrs_add_ints(cs_lower_attrs(&ld->lw, n), strcmp(param, "perm") ? "axes" : "perm", v,
                                               k)))
        return mst(ld);
    if (strcmp(onnx, "ReduceMean") == 0 &&
        !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "keepdims", mil_num(ld, op, "keep_dims", 0) != 0))
        return cs_lower_nomem(&ld->lw);
    return CS_OK;
}

static cs_status op_batch_norm(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), m = x < 0 ? -2 : mil_need(ld, op, "mean"), v = m < 0 ? -2 : mil_need(ld, op, "variance");
    if (v < 0)
        return ld->lw.err->status;
    const cs_tensor *mt = ld->lw.g->values[m].data;
    int g = mil_arg_value(ld, op, "gamma", 0), b = g == -2 ? -2 : mil_arg_value(ld, op, "beta", 0);
    if (b == -2)
        return ld->lw.err->status;
    int64_t c = mt ? cs_tensor_numel(mt) : 0;
    if ((g < 0 || b < 0) && c <= 0)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "batch_norm without gamma/beta needs a constant mean");
    if (g < 0 || b < 0) {
        cs_tensor *t = cs_tensor_new(CS_DT_F32, 1, &c, ld->lw.err);
        for (int64_t i = 0; t && g < 0 && i < c; i++)
            ((float *)t->data)[i] = 1.0f;
        if ((g < 0 ? (g = cs_lower_const(&ld->lw, "gamma", t)) : (b = cs_lower_const(&ld->lw, "beta", t))) < 0)
            return mst(ld);
        if ((g < 0 || b < 0) && (b = cs_lower_const(&ld->lw, "beta", cs_tensor_new(CS_DT_F32, 1, &c, ld->lw.err))) < 0)
            return mst(ld);
    }
    int n = cs_lower_node(&ld->lw, "BatchNormalization", (int[]){x, g, b, m, v}, 5, &y, 1);
    return n < 0 || !cs_attrs_add_float(cs_lower_attrs(&ld->lw, n), "epsilon", mil_num(ld, op, "epsilon",
                                                                                       1e-5)) ? mst(ld) : CS_OK;
}

static cs_status op_cast(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)
{
    (void)arg;
    const char *dt = mil_str(ms, op, "dtype");
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    cs_dtype to = !dt || strncmp(dt, "fp", 2) == 0 ? CS_DT_F32 : strcmp(dt, "int32") == 0 ? CS_DT_I32
                  : strcmp(dt, "int64") == 0 ? CS_DT_I64 : strcmp(dt, "bool") == 0 ? CS_DT_BOOL : CS_DT_UNDEFINED;
    if (to == CS_DT_UNDEFINED)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "cast to '%s'", dt);
    /* values are carried in f32; a cast to fp16 rounds because its output is typed fp16 (precision.h) */
    int n = cs_lower_node1(&ld->lw, "Cast", x, y);
    return n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "to", to) ? mst(ld) : CS_OK;
}

static cs_status op_clip(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), lo = x < 0 ? -2 : mil_need(ld, op, "alpha"), hi = lo < 0 ? -2 : mil_need(ld, op, "beta");
    return hi < 0 || cs_lower_node(&ld->lw, "Clip", (int[]){x, lo, hi}, 3, &y, 1) < 0 ? ld->lw.err->status : CS_OK;
}

/* pad (iOS15 tensor_operation.py): `pad` holds (before, after) pairs for the last len/2 axes of x; modes
 * constant (constant_val), reflect and replicate become ONNX Pad's constant, reflect and edge. */
static cs_status op_pad(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)
{
    (void)arg;
    int64_t v[2 * CS_MAX_RANK], pads[2 * CS_MAX_RANK] = {0};
    bool bad;
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    int r = ld->lw.g->values[x].rank, k = mil_ints(ld, op, "pad", v, 2 * CS_MAX_RANK, &bad);
    if (bad)
        return ld->lw.err->status;
    if (r < 1 || k < 0 || k % 2 || k / 2 > r)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                             "pad needs a constant 'pad' of 2*N values for an input of known rank "
                             ">= N (rank %d, %d values)", r, k);
    for (int i = 0; i < k / 2; i++) {
        pads[r - k / 2 + i] = v[2 * i];
        pads[2 * r - k / 2 + i] = v[2 * i + 1];
    }
    const char *mode = mil_str(ms, op, "mode");
    const char *onnx = !mode || strcmp(mode, "constant") == 0 ? "constant" : strcmp(mode, "reflect") == 0 ? "reflect"
                       : strcmp(mode, "replicate") == 0 ? "edge" : NULL;
    if (!onnx)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "pad mode '%s'", mode);
    int pv = cs_lower_const_i64(&ld->lw, "pads", pads, 2 * r), cv = cs_lower_const_scalar(&ld->lw, "constant_val",
                                                                      (float)mil_num(ld, op, "constant_val", 0));
    int n = pv < 0 || cv < 0 ? -1 : cs_lower_node(&ld->lw, "Pad", (int[]){x, pv, cv}, 3, &y, 1);
    return n < 0 || !cs_attrs_add_string(cs_lower_attrs(&ld->lw, n), "mode", onnx) ? mst(ld) : CS_OK;
}

/* reshape / squeeze / expand_dims take their constant as an ONNX input, transpose and reduce_mean as an attribute. */
static cs_status op_reshape(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)
{
    (void)ms, (void)arg;
    return op_ints_param(ld, op, "Reshape", "shape", true, y);
}

static cs_status op_transpose(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)
{
    (void)ms, (void)arg;
    return op_ints_param(ld, op, "Transpose", "perm", false, y);
}

static cs_status op_squeeze(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)
{
    (void)ms, (void)arg;
    return op_ints_param(ld, op, "Squeeze", "axes", true, y);
}

static cs_status op_expand_dims(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)
{
    (void)ms, (void)arg;
    return op_ints_param(ld, op, "Unsqueeze", "axes", true, y);
}

static cs_status op_reduce_mean(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)
{
    (void)ms, (void)arg;
    return op_ints_param(ld, op, "ReduceMean", "axes", false, y);
}

const mil_row mil_rows_core[] = {
    {"add", op_binary, "Add"}, {"sub", op_binary, "Sub"}, {"mul", op_binary, "Mul"}, {"real_div", op_binary, "Div"},
    {"maximum", op_binary, "Max"}, {"minimum", op_binary, "Min"}, {"pow", op_binary, "Pow"},
    {"relu", op_unary, "Relu"}, {"sigmoid", op_unary, "Sigmoid"}, {"tanh", op_unary, "Tanh"}, {"exp", op_unary, "Exp"},
    {"sqrt", op_unary, "Sqrt"}, {"identity", op_unary, "Identity"}, {"abs", op_unary, "Abs"},
    {"const", op_const, NULL}, {"conv", op_conv, NULL}, {"linear", op_matmul, "linear"}, {"matmul", op_matmul, NULL},
    {"softmax", op_axis, "Softmax"}, {"max_pool", op_pool, NULL}, {"avg_pool", op_pool, "avg"},
    {"l2_pool", op_pool, "l2"},
    {"reshape", op_reshape, NULL}, {"transpose", op_transpose, NULL}, {"squeeze", op_squeeze, NULL},
    {"expand_dims", op_expand_dims, NULL}, {"reduce_mean", op_reduce_mean, NULL}, {"batch_norm", op_batch_norm, NULL},
    {"concat", op_concat, NULL}, {"cast", op_cast, NULL}, {"clip", op_clip, NULL}, {"pad", op_pad, NULL},
    {NULL, NULL, NULL},
};

const mil_row *mil_find(const char *name)
{
    static const mil_row *const tables[] = {mil_rows_core, mil_rows_more, mil_rows_logic, mil_rows_tensor,
                                            mil_rows_detect, mil_rows_extra, mil_rows_constexpr, mil_rows_space};
    for (size_t t = 0; name && t < sizeof tables / sizeof tables[0]; t++)
        for (const mil_row *r = tables[t]; r->name; r++)
            if (strcmp(r->name, name) == 0)
                return r;
    return NULL;
}

int mil_supported_ops(const char *const **names)
{
    static const char *list[256];
    static int n = 0;
    if (n == 0) {
        static const mil_row *const tables[] = {mil_rows_core, mil_rows_more, mil_rows_logic, mil_rows_tensor,
                                                mil_rows_detect, mil_rows_extra, mil_rows_constexpr, mil_rows_space};
        static const char *const multi[] = {"classify", "split", "lstm", "topk", "gru", "rnn",
                                            "non_maximum_suppression", "cond"};
        for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
            for (const mil_row *r = tables[t]; r->name && n < 250; r++)
                list[n++] = r->name;
        for (size_t i = 0; i < sizeof multi / sizeof multi[0] && n < 256; i++)
            list[n++] = multi[i];
    }
    *names = list;
    return n;
}

/* classify(probabilities, classes) -> (classLabel, probabilities): scores flattened and their argmax index. */
static cs_status op_classify(cm_loader *ld, const mil_op *op)
{
    const char *n0 = op->outputs[0]->name, *n1 = op->outputs[1]->name;
    if (!n0 || !n1 || cs_lower_layer(&ld->lw, n1, op->type, -1) != CS_OK)
        return n0 && n1 ? ld->lw.err->status : cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "classify outputs need names");
    int64_t minus1 = -1;
    int p = mil_need(ld, op, "probabilities"), label = cm_blob(ld, n0), probs = cm_blob(ld, n1);
    int shape = p < 0 ? -1 : cs_lower_const_i64(&ld->lw, "shape", &minus1, 1), n;
    if (p < 0 || label < 0 || probs < 0 || shape < 0 || cs_lower_node(&ld->lw, "Reshape", (int[]){p, shape}, 2, &probs,
                                                                      1) < 0 ||
        (n = cs_lower_node1(&ld->lw, "ArgMax", probs, label)) < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n),
                                                                                       "keepdims", 0))
        return mst(ld);
    ld->lw.g->values[probs].dtype = CS_DT_F32;
    ld->lw.g->values[label].dtype = CS_DT_I64;
    ld->lw.g->values[label].rank = 0;
    return cs_layer_add_output(ld->lw.g, ld->lw.layer, probs) && cs_layer_add_output(ld->lw.g, ld->lw.layer,
                                                                                     label) ? CS_OK
                                                                                                     : cs_lower_nomem(&ld->lw);
}

cs_status mil_operation(cm_loader *ld, mil_state *ms, const mil_op *op)
{
    snprintf(ld->lw.where, sizeof ld->lw.where, "operation '%s'",
             op->n_outputs && op->outputs[0]->name ? op->outputs[0]->name : "?");
    if (op->type && strcmp(op->type, "classify") == 0 && op->n_outputs == 2)
        return op_classify(ld, op);
    if (op->type && strcmp(op->type, "split") == 0 && op->n_outputs >= 1)
        return mil_split(ld, op);
    if (op->type && strcmp(op->type, "lstm") == 0 && op->n_outputs == 3)
        return mil_lstm(ld, ms, op);
    if (op->type && strcmp(op->type, "topk") == 0 && op->n_outputs == 2)
        return mil_topk(ld, op);
    if (op->type && strcmp(op->type, "gru") == 0 && op->n_outputs == 2)
        return mil_gru(ld, ms, op);
    if (op->type && strcmp(op->type, "rnn") == 0 && op->n_outputs == 2)
        return mil_rnn(ld, ms, op);
    if (op->type && strcmp(op->type, "non_maximum_suppression") == 0 && op->n_outputs == 4)
        return mil_nms(ld, op);
    if (op->type && strcmp(op->type, "cond") == 0)
        return mil_cond(ld, ms, op);
    if (!op->type || op->n_outputs != 1 || !op->outputs[0]->name || !*op->outputs[0]->name)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                             "MIL operation '%s' with %zu outputs (convscope maps single-output "
                             "operations)", op->type ? op->type : "?", op->n_outputs);
    const char *name = op->outputs[0]->name;
    if (cs_lower_layer(&ld->lw, name, op->type, -1) != CS_OK)
        return ld->lw.err->status;
    const mil_row *row = mil_find(op->type);
    if (!row)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "MIL operation '%s' is not supported", op->type);
    int y = cm_blob(ld, name);
    if (y < 0 || row->fn(ld, ms, op, y, row->arg) != CS_OK)
        return ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw);
    if (ld->lw.g->values[y].data == NULL)
        mil_declare(ld, y, op->outputs[0]->type);
    if (ld->lw.g->values[y].producer >= 0 && !cs_layer_add_output(ld->lw.g, ld->lw.layer, y))
        return cs_lower_nomem(&ld->lw);
    return CS_OK;
}

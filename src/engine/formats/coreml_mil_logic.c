/* coreml_mil_logic.c — MIL comparisons, logical ops and select, gather, stack, tile, einsum, argmax/argmin,
 * round/sign, thresholded_relu, scaled_tanh, linear_activation, depth_to_space, space_to_depth and
 * pixel_shuffle, after coremltools' converters/mil/mil/ops/defs/iOS15 docstrings (elementwise_binary.py,
 * elementwise_unary.py, scatter_gather.py, tensor_operation.py, linear.py, reduction.py, activation.py,
 * tensor_transformation.py). */
#include <stdio.h>
#include <string.h>

#include "coreml_mil.h"

static cs_status done(cm_loader *ld, int ok)
{
    return ok < 0 ? (ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw)) : CS_OK;
}

/* x OP y giving bool (not_equal is Not(Equal)); logical_not has only x. */
static cs_status op_compare(cm_loader *ld, const mil_op *op, const char *onnx, int y)
{
    bool negate = strcmp(op->type, "not_equal") == 0, unary = strcmp(op->type, "logical_not") == 0;
    int a = mil_need(ld, op, "x"), b = a < 0 || unary ? -1 : mil_need(ld, op, "y");
    if (a < 0 || (!unary && b < 0))
        return ld->lw.err->status;
    int mid = negate ? cs_lower_tmp(&ld->lw, "equal") : y;
    if (mid < 0 || cs_lower_node(&ld->lw, onnx, (int[]){a, b}, unary ? 1 : 2, &mid, 1) < 0)
        return done(ld, -1);
    return negate ? done(ld, cs_lower_node1(&ld->lw, "Not", mid, y)) : CS_OK;
}

static cs_status op_select(cm_loader *ld, const mil_op *op, int y)
{
    int c = mil_need(ld, op, "cond"), a = c < 0 ? -2 : mil_need(ld, op, "a"), b = a < 0 ? -2 : mil_need(ld, op, "b");
    return b < 0 ? ld->lw.err->status : done(ld, cs_lower_node(&ld->lw, "Where", (int[]){c, a, b}, 3, &y, 1));
}

static cs_status op_gather(cm_loader *ld, const mil_op *op, int y)
{
    int x = mil_need(ld, op, "x"), i = x < 0 ? -2 : mil_need(ld, op, "indices");
    if (i < 0)
        return ld->lw.err->status;
    if (mil_num(ld, op, "batch_dims", 0) != 0)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "gather with batch_dims");
    int n = cs_lower_node(&ld->lw, "Gather", (int[]){x, i}, 2, &y, 1);
    return done(ld, n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "axis", (int64_t)mil_num(ld, op, "axis",
                                                                                                    0)) ? -1 : 0);
}

/* stack(values, axis): each value unsqueezed at axis, then concatenated there. */
static cs_status op_stack(cm_loader *ld, const mil_op *op, int y)
{
    int ins[64], n_in = 0;
    int64_t axis = (int64_t)mil_num(ld, op, "axis", 0);
    int ax = cs_lower_const_i64(&ld->lw, "axes", &axis, 1);
    for (size_t i = 0; ax >= 0 && i < op->n_inputs; i++)
        if (op->inputs[i]->key && strcmp(op->inputs[i]->key, "values") == 0 && op->inputs[i]->value)
            n_in = (int)op->inputs[i]->value->n_arguments;
    if (ax < 0 || n_in < 1 || n_in > 64)
        return ax < 0 ? done(ld, -1) : cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "stack needs 1 to 64 values");
    for (int i = 0; i < n_in; i++) {
        int v = -1;
        for (size_t k = 0; k < op->n_inputs; k++)
            if (op->inputs[k]->key && strcmp(op->inputs[k]->key, "values") == 0) {
                const CoreML__Specification__MILSpec__Argument__Binding *b = op->inputs[k]->value->arguments[i];
                v = b->binding_case == CORE_ML__SPECIFICATION__MILSPEC__ARGUMENT__BINDING__BINDING_NAME ? cm_blob(ld, b->name) : -1;
            }
        if (v < 0)
            return ld->lw.err->status ? ld->lw.err->status : cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                                                                           "stack of immediate values");
        if ((ins[i] = cs_lower_tmp(&ld->lw, "unsqueezed")) < 0 || cs_lower_node(&ld->lw, "Unsqueeze", (int[]){v, ax},
                                                                                2, &ins[i], 1) < 0)
            return done(ld, -1);
    }
    int n = cs_lower_node(&ld->lw, "Concat", ins, n_in, &y, 1);
    return done(ld, n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "axis", axis) ? -1 : 0);
}

static cs_status op_tile(cm_loader *ld, const mil_op *op, int y)
{
    int64_t reps[CS_MAX_RANK];
    bool bad;
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    int k = mil_ints(ld, op, "reps", reps, CS_MAX_RANK, &bad);
    if (bad || k < 1)
        return bad ? ld->lw.err->status : cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "tile needs constant reps");
    int r = cs_lower_const_i64(&ld->lw, "reps", reps, k);
    return done(ld, r < 0 ? -1 : cs_lower_node(&ld->lw, "Tile", (int[]){x, r}, 2, &y, 1));
}

static cs_status op_einsum(cm_loader *ld, mil_state *ms, const mil_op *op, int y)
{
    const char *eq = mil_str(ms, op, "equation");
    int a = mil_need(ld, op, "values");
    if (a < 0)
        return ld->lw.err->status;
    int ins[2] = {a, -1}, n_in = 1;
    for (size_t i = 0; i < op->n_inputs; i++)
        if (op->inputs[i]->key && strcmp(op->inputs[i]->key, "values") == 0 && op->inputs[i]->value->n_arguments == 2) {
            const CoreML__Specification__MILSpec__Argument__Binding *b = op->inputs[i]->value->arguments[1];
            if (b->binding_case != CORE_ML__SPECIFICATION__MILSPEC__ARGUMENT__BINDING__BINDING_NAME ||
                (ins[1] = cm_blob(ld, b->name)) < 0)
                return ld->lw.err->status ? ld->lw.err->status : cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                                                                               "einsum of an immediate value");
            n_in = 2;
        }
    if (!eq)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "einsum without an equation");
    int n = cs_lower_node(&ld->lw, "Einsum", ins, n_in, &y, 1);
    return done(ld, n < 0 || !cs_attrs_add_string(cs_lower_attrs(&ld->lw, n), "equation", eq) ? -1 : 0);
}

/* reduce_argmax / reduce_argmin(x, axis=-1, keep_dims=False) -> int32 indices. */
static cs_status op_arg(cm_loader *ld, const mil_op *op, const char *onnx, int y)
{
    int x = mil_need(ld, op, "x"), idx = x < 0 ? -1 : cs_lower_tmp(&ld->lw, "index"), n;
    if (idx < 0 || (n = cs_lower_node1(&ld->lw, onnx, x, idx)) < 0 ||
        !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "axis", (int64_t)mil_num(ld, op, "axis", -1)) ||
        !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "keepdims", mil_num(ld, op, "keep_dims", 0) != 0) ||
        (n = cs_lower_node1(&ld->lw, "Cast", idx, y)) < 0)
        return done(ld, -1);
    return done(ld, cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "to", CS_DT_I32) ? 0 : -1);
}

/* alpha * f(beta * x) + gamma for scaled_tanh (f = tanh) and linear_activation (f = identity). */
static cs_status op_affine(cm_loader *ld, const mil_op *op, bool tanh_, int y)
{
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    double alpha = mil_num(ld, op, "alpha", 1), beta = mil_num(ld, op, "beta", tanh_ ? 1 : 0);
    int a = cs_lower_const_scalar(&ld->lw, "alpha", (float)alpha), b = cs_lower_const_scalar(&ld->lw, "beta",
                                                                                             (float)beta);
    int t1 = cs_lower_tmp(&ld->lw, "scaled"), t2 = tanh_ ? cs_lower_tmp(&ld->lw, "tanh") : y;
    if (a < 0 || b < 0 || t1 < 0 || t2 < 0)
        return done(ld, -1);
    if (!tanh_)
        return done(ld, cs_lower_node(&ld->lw, "Mul", (int[]){x, a}, 2, &t1, 1) < 0 ? -1 : cs_lower_node(&ld->lw,
                                                                                                         "Add", (int[]){t1, b}, 2, &y, 1));
    if (cs_lower_node(&ld->lw, "Mul", (int[]){x, b}, 2, &t1, 1) < 0 || cs_lower_node1(&ld->lw, "Tanh", t1, t2) < 0)
        return done(ld, -1);
    return done(ld, cs_lower_node(&ld->lw, "Mul", (int[]){t2, a}, 2, &y, 1));
}

/* depth_to_space (DCR, like TensorFlow), space_to_depth, pixel_shuffle (CRD, like PyTorch). */
static cs_status op_space(cm_loader *ld, const mil_op *op, const char *onnx, const char *param, const char *mode, int y)
{
    int x = mil_need(ld, op, "x"), n = x < 0 ? -1 : cs_lower_node1(&ld->lw, onnx, x, y);
    if (n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "blocksize", (int64_t)mil_num(ld, op, param, 0)))
        return done(ld, -1);
    return done(ld, mode && !cs_attrs_add_string(cs_lower_attrs(&ld->lw, n), "mode", mode) ? -1 : 0);
}

/* ---- the rows: adapters from the table's uniform converter signature ---- */

#define ROW(name) static cs_status name(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)

ROW(row_compare) { (void)ms; return op_compare(ld, op, arg, y); }

ROW(row_unary)
{
    (void)ms;
    int x = mil_need(ld, op, "x");
    return x < 0 ? ld->lw.err->status : done(ld, cs_lower_node1(&ld->lw, arg, x, y));
}

ROW(row_thresholded_relu)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), n = x < 0 ? -1 : cs_lower_node1(&ld->lw, "ThresholdedRelu", x, y);
    return done(ld, n < 0 || !cs_attrs_add_float(cs_lower_attrs(&ld->lw, n), "alpha", mil_num(ld, op, "alpha",
                                                                                              1)) ? -1 : 0);
}

ROW(row_select) { (void)ms, (void)arg; return op_select(ld, op, y); }
ROW(row_gather) { (void)ms, (void)arg; return op_gather(ld, op, y); }
ROW(row_stack) { (void)ms, (void)arg; return op_stack(ld, op, y); }
ROW(row_tile) { (void)ms, (void)arg; return op_tile(ld, op, y); }
ROW(row_einsum) { (void)arg; return op_einsum(ld, ms, op, y); }
ROW(row_arg) { (void)ms; return op_arg(ld, op, arg, y); }
ROW(row_scaled_tanh) { (void)ms, (void)arg; return op_affine(ld, op, true, y); }
ROW(row_linear_activation) { (void)ms, (void)arg; return op_affine(ld, op, false, y); }
ROW(row_depth_to_space) { (void)ms, (void)arg; return op_space(ld, op, "DepthToSpace", "block_size", "DCR", y); }
ROW(row_space_to_depth) { (void)ms, (void)arg; return op_space(ld, op, "SpaceToDepth", "block_size", NULL, y); }
ROW(row_pixel_shuffle) { (void)ms, (void)arg; return op_space(ld, op, "DepthToSpace", "upscale_factor", "CRD", y); }

const mil_row mil_rows_logic[] = {
    {"greater", row_compare, "Greater"}, {"greater_equal", row_compare, "GreaterOrEqual"}, {"less", row_compare, "Less"},
    {"less_equal", row_compare, "LessOrEqual"}, {"equal", row_compare, "Equal"}, {"not_equal", row_compare, "Equal"},
    {"logical_and", row_compare, "And"}, {"logical_or", row_compare, "Or"}, {"logical_xor", row_compare, "Xor"},
    {"logical_not", row_compare, "Not"}, {"round", row_unary, "Round"}, {"sign", row_unary, "Sign"},
    {"thresholded_relu", row_thresholded_relu, NULL}, {"select", row_select, NULL}, {"gather", row_gather, NULL},
    {"stack", row_stack, NULL}, {"tile", row_tile, NULL}, {"einsum", row_einsum, NULL},
    {"reduce_argmax", row_arg, "ArgMax"}, {"reduce_argmin", row_arg, "ArgMin"}, {"scaled_tanh", row_scaled_tanh, NULL},
    {"linear_activation", row_linear_activation, NULL}, {"depth_to_space", row_depth_to_space, NULL},
    {"space_to_depth", row_space_to_depth, NULL}, {"pixel_shuffle", row_pixel_shuffle, NULL},
    {NULL, NULL, NULL},
};

/* coreml_mil_cond.c — the MIL cond operation (iOS15 control_flow.py) as an ONNX If: each of its two blocks becomes
 * a branch graph loaded by the same converters, values of enclosing blocks read as captures, constants copied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coreml_mil.h"

#define MAX_CAPTURES 64

/* Block b of op as a branch graph with n_out outputs (*out owned by the caller); the error set on failure. */
static cs_status load_block(cm_loader *ld, mil_state *ms, const mil_block *b, size_t n_out, cs_graph **out)
{
    cs_graph *sub = cs_graph_new(ld->lw.path, ld->lw.g->format);
    *out = NULL;
    if (!sub)
        return cs_lower_nomem(&ld->lw);
    sub->opset = ld->lw.g->opset;
    sub->precision = ld->lw.g->precision;
    cm_loader sl = *ld;
    sl.lw.g = sub, sl.lw.layer = -1, sl.outer = ld, sl.n_aliases = 0;
    cs_status st = b->n_outputs == n_out ? CS_OK : cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "a cond block has %zu outputs, "
                                                                                "the operation %zu", b->n_outputs, n_out);
    for (size_t i = 0; st == CS_OK && i < b->n_operations; i++)
        st = mil_operation(&sl, ms, b->operations[i]);
    for (size_t i = 0; st == CS_OK && i < b->n_outputs; i++) {
        int v = b->outputs[i] ? cm_blob(&sl, b->outputs[i]) : -1;
        if (v >= 0 && sub->values[v].producer < 0 && !sub->values[v].data && !mil_defined_outside(&sl, v))
            st = cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "cond block output '%s' is not defined", b->outputs[i]);
        else if (v < 0 || !cs_graph_add_output(sub, v))
            st = v < 0 && ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw);
    }
    if (st == CS_OK && !cs_graph_find_captures(sub))
        st = cs_lower_nomem(&ld->lw);
    if (st != CS_OK && !ld->lw.err->status)
        st = cs_lower_nomem(&ld->lw);
    if (st != CS_OK) {
        /* the sub loader reported against its own graph: keep the message, name the place in the program */
        cs_graph_free(sub);
        return st;
    }
    *out = sub;
    return CS_OK;
}

/* cond(pred, blocks[0] if true, blocks[1] if false) -> the outputs of the block taken. */
cs_status mil_cond(cm_loader *ld, mil_state *ms, const mil_op *op)
{
    if (op->n_blocks != 2 || op->n_outputs < 1 || op->n_outputs > 32)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "cond with %zu blocks and %zu outputs (2 blocks, 1 to 32 "
                             "outputs)", op->n_blocks, op->n_outputs);
    int outs[32], ins[1 + 2 * MAX_CAPTURES], n_in = 1;
    for (size_t k = 0; k < op->n_outputs; k++)
        if (!op->outputs[k]->name || !*op->outputs[k]->name)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "cond outputs need names");
    if (cs_lower_layer(&ld->lw, op->outputs[0]->name, op->type, -1) != CS_OK)
        return ld->lw.err->status;
    int layer = ld->lw.layer;
    if ((ins[0] = mil_need(ld, op, "pred")) < 0)
        return ld->lw.err->status;
    cs_graph *br[2] = {NULL, NULL};
    for (int b = 0; b < 2; b++)
        if (load_block(ld, ms, op->blocks[b], op->n_outputs, &br[b]) != CS_OK) {
            cs_graph_free(br[0]);
            return ld->lw.err->status;
        }
    cs_lower_enter(&ld->lw, layer);
    cs_status st = CS_OK;
    for (int b = 0; st == CS_OK && b < 2; b++)
        for (int c = 0; st == CS_OK && c < br[b]->n_captures; c++) {
            int v = cm_blob(ld, br[b]->values[br[b]->captures[c]].name);
            bool seen = false;
            for (int i = 0; v >= 0 && i < n_in; i++)
                seen = seen || ins[i] == v;
            if (v < 0)
                st = ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw);
            else if (!seen && n_in >= 1 + 2 * MAX_CAPTURES)
                st = cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "cond blocks read more than %d outer values",
                                   2 * MAX_CAPTURES);
            else if (!seen)
                ins[n_in++] = v;
        }
    for (size_t k = 0; st == CS_OK && k < op->n_outputs; k++)
        if ((outs[k] = cm_blob(ld, op->outputs[k]->name)) < 0)
            st = ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw);
    int n = st == CS_OK ? cs_lower_node(&ld->lw, "If", ins, n_in, outs, (int)op->n_outputs) : -1;
    if (n < 0) {
        cs_graph_free(br[0]), cs_graph_free(br[1]);
        return st != CS_OK ? st : ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw);
    }
    cs_attrs *a = cs_lower_attrs(&ld->lw, n);
    bool ok = cs_attrs_add_graph(a, "then_branch", br[0]);
    ok = cs_attrs_add_graph(a, "else_branch", br[1]) && ok; /* each call owns its graph, added or freed */
    if (!ok)
        return cs_lower_nomem(&ld->lw);
    for (size_t k = 0; k < op->n_outputs; k++) {
        mil_declare(ld, outs[k], op->outputs[k]->type);
        if (!cs_layer_add_output(ld->lw.g, ld->lw.layer, outs[k]))
            return cs_lower_nomem(&ld->lw);
    }
    return CS_OK;
}

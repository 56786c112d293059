/* coreml_mil_rnn.c — the MIL lstm operation (iOS15 recurrent.py) as one ONNX LSTM node: weights reordered from
 * MIL's gate order (input, forget, output, cell) to ONNX's (i, o, f, c), states and outputs reshaped around it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coreml_mil.h"

cs_status mil_recurrent_done(cm_loader *ld, int ok)
{
    return ok < 0 ? (ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw)) : CS_OK;
}

/* ONNX gate block k is MIL block onnx_from_mil[k]: i<-i, o<-o(2), f<-f(1), c<-cell(3). */
static const int onnx_from_mil[4] = {0, 2, 1, 3};

/* Copies constant t ([4H, C]) into dst at direction d of an ONNX [D, 4H, C] tensor, in ONNX gate order. */
static void reorder_into(cs_tensor *dst, int d, const cs_tensor *t, int64_t H, int64_t C)
{
    float *o = (float *)dst->data + d * 4 * H * C;
    for (int k = 0; k < 4; k++)
        for (int64_t r = 0; r < H * C; r++)
            o[k * H * C + r] = (float)cs_tensor_get_f64(t, onnx_from_mil[k] * H * C + r);
}

const cs_tensor *mil_recurrent_const(cm_loader *ld, const mil_op *op, const char *name, bool required)
{
    int v = mil_opt(ld, op, name);
    if (v == -1 && !required)
        return NULL;
    if (v < 0) {
        if (v == -1)
            cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s: missing argument '%s'", op->type, name);
        return NULL;
    }
    if (!ld->lw.g->values[v].data)
        cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "%s: '%s' must be a constant", op->type, name);
    return ld->lw.g->values[v].data;
}

const char *mil_recurrent_act(const char *mil)
{
    if (!mil || strcmp(mil, "sigmoid") == 0) return "Sigmoid";
    if (strcmp(mil, "tanh") == 0) return "Tanh";
    if (strcmp(mil, "relu") == 0) return "Relu";
    if (strcmp(mil, "sigmoid_hard") == 0) return "HardSigmoid";
    if (strcmp(mil, "scaled_tanh") == 0) return "ScaledTanh"; /* alpha = beta = 1 by default: tanh */
    if (strcmp(mil, "linear") == 0) return "Affine"; /* alpha 1, beta 0 by default: identity */
    return NULL;
}

typedef struct lstm_w {
    cs_tensor *W, *R, *B;
    int64_t H, I;
    int ndir;
} lstm_w;

/* W [D,4H,I], R [D,4H,H], B [D,8H] from weight_ih/_hh/bias (and their _back for bidirectional). */
static cs_status build_weights(cm_loader *ld, const mil_op *op, lstm_w *w)
{
    static const char *names[2][3] = {{"weight_ih", "weight_hh", "bias"}, {"weight_ih_back", "weight_hh_back", "bias_back"}};
    for (int d = 0; d < w->ndir; d++) {
        const cs_tensor *wi = mil_recurrent_const(ld, op, names[d][0], true);
        const cs_tensor *wh = wi ? mil_recurrent_const(ld, op, names[d][1], true) : NULL;
        if (!wi || !wh)
            return ld->lw.err->status;
        const cs_tensor *b = mil_recurrent_const(ld, op, names[d][2], false);
        if (ld->lw.err->status)
            return ld->lw.err->status;
        if (wi->rank != 2 || wh->rank != 2 || wh->dims[0] != 4 * wh->dims[1] || wi->dims[0] != wh->dims[0] ||
            (b && cs_tensor_numel(b) != wh->dims[0]) || (d && (wh->dims[1] != w->H || wi->dims[1] != w->I)))
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                                 "lstm weights disagree: weight_ih %s, weight_hh %s (want [4H,I], [4H,H])",
                                 wi->rank == 2 ? "rank 2" : "not rank 2", wh->rank == 2 ? "rank 2" : "not rank 2");
        if (d == 0) {
            w->H = wh->dims[1], w->I = wi->dims[1];
            int64_t dw[3] = {w->ndir, 4 * w->H, w->I}, dr[3] = {w->ndir, 4 * w->H, w->H}, db[2] = {w->ndir, 8 * w->H};
            w->W = cs_tensor_new(CS_DT_F32, 3, dw, ld->lw.err);
            w->R = cs_tensor_new(CS_DT_F32, 3, dr, ld->lw.err);
            w->B = cs_tensor_new(CS_DT_F32, 2, db, ld->lw.err); /* zero: the recurrent half stays 0 */
            if (!w->W || !w->R || !w->B)
                return cs_lower_nomem(&ld->lw);
        }
        reorder_into(w->W, d, wi, w->H, w->I);
        reorder_into(w->R, d, wh, w->H, w->H);
        if (b) {
            cs_tensor view = *w->B;
            view.data = (float *)w->B->data + d * 8 * w->H; /* the input half of direction d */
            reorder_into(&view, 0, b, w->H, 1);
        }
    }
    return CS_OK;
}

/* [B, D*H] state -> [D, B, H] (reshape to [B, D, H], then transpose). */
static int state_in(cm_loader *ld, int v, const lstm_w *w)
{
    int64_t shape[3] = {0, w->ndir, w->H}, perm[3] = {1, 0, 2};
    int s = cs_lower_const_i64(&ld->lw, "state_shape", shape, 3), r = cs_lower_tmp(&ld->lw,
                                                                                   "state3"), t = cs_lower_tmp(&ld->lw,
                                                                                                               "state_dbh");
    if (s < 0 || r < 0 || t < 0 || cs_lower_node(&ld->lw, "Reshape", (int[]){v, s}, 2, &r, 1) < 0)
        return -1;
    int n = cs_lower_node1(&ld->lw, "Transpose", r, t);
    return n < 0 || !cs_attrs_add_ints(cs_lower_attrs(&ld->lw, n), "perm", perm, 3) ? -1 : t;
}

/* [D, B, H] (or [T, D, B, H] with seq) -> [B, D*H] / [T, B, D*H] into out. */
static int state_out(cm_loader *ld, int v, int out, const lstm_w *w, bool seq)
{
    int64_t perm3[3] = {1, 0, 2}, perm4[4] = {0, 2, 1, 3};
    int64_t shape[3] = {0, 0, w->ndir * w->H};
    int t = cs_lower_tmp(&ld->lw, "state_bdh"), n = t < 0 ? -1 : cs_lower_node1(&ld->lw, "Transpose", v, t);
    if (n < 0 || !cs_attrs_add_ints(cs_lower_attrs(&ld->lw, n), "perm", seq ? perm4 : perm3, seq ? 4 : 3))
        return -1;
    int s = cs_lower_const_i64(&ld->lw, "out_shape", seq ? shape : shape + 1, seq ? 3 : 2);
    return s < 0 ? -1 : cs_lower_node(&ld->lw, "Reshape", (int[]){t, s}, 2, &out, 1);
}

static cs_status lstm_attrs(cm_loader *ld, mil_state *ms, const mil_op *op, int n, const lstm_w *w, const char *dir)
{
    const char *out_act = mil_str(ms, op, "activation");
    const char *acts[3] = {mil_recurrent_act(mil_str(ms, op, "recurrent_activation")),
                           mil_recurrent_act(mil_str(ms, op, "cell_activation")),
                           mil_recurrent_act(out_act ? out_act : "tanh")};
    if (!mil_str(ms, op, "cell_activation"))
        acts[1] = "Tanh";
    if (!acts[0] || !acts[1] || !acts[2])
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                             "lstm activation other than sigmoid, tanh, relu, sigmoid_hard, scaled_tanh or linear");
    const char *list[6] = {acts[0], acts[1], acts[2], acts[0], acts[1], acts[2]};
    cs_attrs *a = cs_lower_attrs(&ld->lw, n);
    bool ok = cs_attrs_add_int(a, "hidden_size", w->H) && cs_attrs_add_string(a, "direction", dir) &&
              cs_attrs_add_strings(a, "activations", list, 3 * w->ndir);
    double clip = mil_num(ld, op, "clip", 0);
    if (ok && clip > 0)
        ok = cs_attrs_add_float(a, "clip", clip);
    return ok ? CS_OK : cs_lower_nomem(&ld->lw);
}

/* lstm(x [T,B,I], initial_h, initial_c [B, D*H]) -> (output_sequence [T|1, B, D*H], h, c [B, D*H]). */
cs_status mil_lstm(cm_loader *ld, mil_state *ms, const mil_op *op)
{
    if (op->n_outputs != 3 || !op->outputs[0]->name || !op->outputs[1]->name || !op->outputs[2]->name)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "lstm needs 3 named outputs");
    if (cs_lower_layer(&ld->lw, op->outputs[0]->name, op->type, -1) != CS_OK)
        return ld->lw.err->status;
    const char *dir = mil_str(ms, op, "direction");
    dir = !dir ? "forward" : strcmp(dir, "bidirectional") == 0 ? "bidirectional" : strcmp(dir, "reverse") == 0 ? "reverse"
                                                                    : strcmp(dir, "forward") == 0 ? "forward" : NULL;
    if (!dir)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "lstm direction '%s'", mil_str(ms, op, "direction"));
    if (mil_opt(ld, op, "peephole") >= 0)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "lstm with peephole weights");
    lstm_w w = {.ndir = strcmp(dir, "bidirectional") == 0 ? 2 : 1};
    int x = mil_need(ld, op, "x"), h0 = x < 0 ? -2 : mil_need(ld, op, "initial_h");
    int c0 = h0 < 0 ? -2 : mil_need(ld, op, "initial_c");
    cs_status st = c0 < 0 ? ld->lw.err->status : build_weights(ld, op, &w);
    int wv = -1, rv = -1, bv = -1;
    if (st == CS_OK) {
        wv = cs_lower_const(&ld->lw, "W", w.W), w.W = NULL;
        rv = cs_lower_const(&ld->lw, "R", w.R), w.R = NULL;
        bv = cs_lower_const(&ld->lw, "B", w.B), w.B = NULL;
    }
    cs_tensor_free(w.W), cs_tensor_free(w.R), cs_tensor_free(w.B);
    if (st != CS_OK || wv < 0 || rv < 0 || bv < 0)
        return st != CS_OK ? st : mil_recurrent_done(ld, -1);
    int hs = state_in(ld, h0, &w), cs = hs < 0 ? -1 : state_in(ld, c0, &w);
    int ys[3] = {cs_lower_tmp(&ld->lw, "Y"), cs_lower_tmp(&ld->lw, "Y_h"), cs_lower_tmp(&ld->lw, "Y_c")};
    int outs[3] = {cm_blob(ld, op->outputs[0]->name), cm_blob(ld, op->outputs[1]->name), cm_blob(ld, op->outputs[2]->name)};
    if (cs < 0 || ys[0] < 0 || ys[1] < 0 || ys[2] < 0 || outs[0] < 0 || outs[1] < 0 || outs[2] < 0)
        return mil_recurrent_done(ld, -1);
    int n = cs_lower_node(&ld->lw, "LSTM", (int[]){x, wv, rv, bv, -1, hs, cs}, 7, ys, 3);
    if (n < 0 || lstm_attrs(ld, ms, op, n, &w, dir) != CS_OK)
        return mil_recurrent_done(ld, -1);
    bool seq = mil_num(ld, op, "output_sequence", 0) != 0;
    if (!seq) { /* the last step alone: Y_h as [1, B, D*H] */
        int last = cs_lower_tmp(&ld->lw, "last");
        if (last < 0 || state_out(ld, ys[1], last, &w, false) < 0)
            return mil_recurrent_done(ld, -1);
        int ax = cs_lower_const_i64(&ld->lw, "axes", (int64_t[]){0}, 1);
        if (ax < 0 || cs_lower_node(&ld->lw, "Unsqueeze", (int[]){last, ax}, 2, &outs[0], 1) < 0)
            return mil_recurrent_done(ld, -1);
    } else if (strcmp(dir, "reverse") == 0) { /* MIL: processing order (coremltools' reference runs torch on flip(x)) */
        int t = cs_lower_tmp(&ld->lw, "sequence");
        if (t < 0 || state_out(ld, ys[0], t, &w, true) < 0 || mil_flip_time(ld, t, outs[0]) < 0)
            return mil_recurrent_done(ld, -1);
    } else if (state_out(ld, ys[0], outs[0], &w, true) < 0) {
        return mil_recurrent_done(ld, -1);
    }
    if (state_out(ld, ys[1], outs[1], &w, false) < 0 || state_out(ld, ys[2], outs[2], &w, false) < 0)
        return mil_recurrent_done(ld, -1);
    for (int k = 0; k < 3; k++) {
        mil_declare(ld, outs[k], op->outputs[k]->type);
        if (!cs_layer_add_output(ld->lw.g, ld->lw.layer, outs[k]))
            return cs_lower_nomem(&ld->lw);
    }
    return CS_OK;
}

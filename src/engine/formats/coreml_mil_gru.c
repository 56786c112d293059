/* coreml_mil_gru.c — the MIL gru and rnn operations (iOS15/iOS17 recurrent.py) as one ONNX GRU / RNN node each:
 * MIL gru weights [r | o | z] reordered to ONNX's (z, r, h), its single bias on the input side, states reshaped. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "coreml_mil.h"

/* Copies gate blocks of t ([G*H, C], MIL order) into dst ([G*H, C]) in ONNX order: ONNX block k <- MIL from[k]. */
static void reorder(float *dst, const cs_tensor *t, const int *from, int gates, int64_t H, int64_t C)
{
    for (int k = 0; k < gates; k++)
        for (int64_t r = 0; r < H * C; r++)
            dst[k * H * C + r] = (float)cs_tensor_get_f64(t, from[k] * H * C + r);
}

typedef struct rec_w {
    int W, R, B; /* IR constants [1,G*H,I], [1,G*H,H], [1,2*G*H] */
    int64_t H;
} rec_w;

/* MIL gru order (r, o, z) -> ONNX (z, r, h); rnn has one gate. */
static const int gru_from[3] = {2, 0, 1}, rnn_from[1] = {0};

static cs_status build_weights(cm_loader *ld, const mil_op *op, int gates, rec_w *w)
{
    const cs_tensor *wi = mil_recurrent_const(ld, op, "weight_ih", true);
    const cs_tensor *wh = wi ? mil_recurrent_const(ld, op, "weight_hh", true) : NULL;
    if (!wh)
        return ld->lw.err->status;
    const cs_tensor *b = mil_recurrent_const(ld, op, "bias", false);
    if (ld->lw.err->status)
        return ld->lw.err->status;
    if (wi->rank != 2 || wh->rank != 2 || wh->dims[1] < 1 || wh->dims[0] != gates * wh->dims[1] ||
        wi->dims[0] != wh->dims[0] || (b && cs_tensor_numel(b) != wh->dims[0]))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s weights disagree (want weight_ih [%dH, I], weight_hh [%dH, H], "
                             "bias [%dH])", op->type, gates, gates, gates);
    int64_t H = wh->dims[1], I = wi->dims[1];
    int64_t dw[3] = {1, gates * H, I}, dr[3] = {1, gates * H, H}, db[2] = {1, 2 * gates * H};
    cs_tensor *W = cs_tensor_new(CS_DT_F32, 3, dw, ld->lw.err), *R = cs_tensor_new(CS_DT_F32, 3, dr, ld->lw.err);
    cs_tensor *B = cs_tensor_new(CS_DT_F32, 2, db, ld->lw.err); /* zero: the recurrent half stays 0 */
    const int *from = gates == 3 ? gru_from : rnn_from;
    if (W && R && B) {
        reorder(W->data, wi, from, gates, H, I);
        reorder(R->data, wh, from, gates, H, H);
        if (b)
            reorder(B->data, b, from, gates, H, 1);
    }
    w->W = W ? cs_lower_const(&ld->lw, "W", W) : -1;
    w->R = R ? cs_lower_const(&ld->lw, "R", R) : -1;
    w->B = B ? cs_lower_const(&ld->lw, "B", B) : -1;
    w->H = H;
    if (!W || !R || !B) {
        if (w->W < 0) cs_tensor_free(W);
        if (w->R < 0) cs_tensor_free(R);
        if (w->B < 0) cs_tensor_free(B);
        return cs_lower_nomem(&ld->lw);
    }
    return w->W < 0 || w->R < 0 || w->B < 0 ? mil_recurrent_done(ld, -1) : CS_OK;
}

/* `v` with axis `axis` inserted (Unsqueeze) or removed (Squeeze) into out (a new temporary when out < 0). */
static int reaxis(cm_loader *ld, const char *op, int v, int64_t axis, int out)
{
    int ax = cs_lower_const_i64(&ld->lw, "axes", &axis, 1);
    if (out < 0)
        out = cs_lower_tmp(&ld->lw, op);
    return ax < 0 || out < 0 || cs_lower_node(&ld->lw, op, (int[]){v, ax}, 2, &out, 1) < 0 ? -1 : out;
}

int mil_flip_time(cm_loader *ld, int v, int out)
{
    int64_t b = -1, e = INT64_MIN, ax = 0, st = -1;
    int bv = cs_lower_const_i64(&ld->lw, "starts", &b, 1), ev = cs_lower_const_i64(&ld->lw, "ends", &e, 1);
    int av = cs_lower_const_i64(&ld->lw, "axes", &ax, 1), sv = cs_lower_const_i64(&ld->lw, "steps", &st, 1);
    return bv < 0 || ev < 0 || av < 0 || sv < 0 ? -1 : cs_lower_node(&ld->lw, "Slice", (int[]){v, bv, ev, av, sv}, 5,
                                                                      &out, 1);
}

/* gru / rnn(x [T,B,I], initial_h [B,H]) -> (output_sequence [T|1, B, H], h [B, H]). */
static cs_status mil_recurrent(cm_loader *ld, mil_state *ms, const mil_op *op, bool gru)
{
    if (op->n_outputs != 2 || !op->outputs[0]->name || !op->outputs[1]->name)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s needs 2 named outputs", op->type);
    if (cs_lower_layer(&ld->lw, op->outputs[0]->name, op->type, -1) != CS_OK)
        return ld->lw.err->status;
    const char *dir = mil_str(ms, op, "direction");
    if (dir && strcmp(dir, "forward") != 0 && strcmp(dir, "reverse") != 0)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "%s direction '%s' (forward or reverse)", op->type, dir);
    const char *out_act = mil_str(ms, op, "activation");
    const char *act = mil_recurrent_act(out_act ? out_act : "tanh");
    const char *ract = mil_recurrent_act(mil_str(ms, op, "recurrent_activation"));
    if (!act || !ract)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                             "%s activation other than sigmoid, tanh, relu, sigmoid_hard, scaled_tanh or linear", op->type);
    rec_w w = {-1, -1, -1, 0};
    int x = mil_need(ld, op, "x"), h0 = x < 0 ? -2 : mil_need(ld, op, "initial_h");
    if (h0 < 0 || build_weights(ld, op, gru ? 3 : 1, &w) != CS_OK)
        return ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw);
    bool seq = mil_num(ld, op, "output_sequence", 0) != 0;
    int outs[2] = {cm_blob(ld, op->outputs[0]->name), cm_blob(ld, op->outputs[1]->name)};
    int hs = outs[1] < 0 || outs[0] < 0 ? -1 : reaxis(ld, "Unsqueeze", h0, 0, -1);
    int y = seq ? cs_lower_tmp(&ld->lw, "Y") : -1, yh = seq ? cs_lower_tmp(&ld->lw, "Y_h") : outs[0];
    if (hs < 0 || (seq && (y < 0 || yh < 0)))
        return mil_recurrent_done(ld, -1);
    int n = cs_lower_node(&ld->lw, gru ? "GRU" : "RNN", (int[]){x, w.W, w.R, w.B, -1, hs}, 6, (int[]){y, yh}, 2);
    if (n < 0)
        return mil_recurrent_done(ld, -1);
    cs_attrs *a = cs_lower_attrs(&ld->lw, n);
    const char *acts[2] = {gru ? ract : act, act};
    if (!cs_attrs_add_int(a, "hidden_size", w.H) || !cs_attrs_add_string(a, "direction", dir ? dir : "forward") ||
        !cs_attrs_add_strings(a, "activations", acts, gru ? 2 : 1) ||
        (gru && !cs_attrs_add_int(a, "linear_before_reset", 0)))
        return cs_lower_nomem(&ld->lw);
    /* Core ML's gru resets before the recurrent product: o = act(W_o x + R_o (r * h) + b_o), ONNX's default */
    /* MIL's reverse output sequence is in processing order (coremltools' reference), ONNX's aligned with x */
    bool rev = dir && strcmp(dir, "reverse") == 0;
    int ys = seq ? reaxis(ld, "Squeeze", y, 1, rev ? -1 : outs[0]) : 0;
    if (ys < 0 || (seq && rev && mil_flip_time(ld, ys, outs[0]) < 0) || reaxis(ld, "Squeeze", yh, 0, outs[1]) < 0)
        return mil_recurrent_done(ld, -1);
    for (int k = 0; k < 2; k++) {
        mil_declare(ld, outs[k], op->outputs[k]->type);
        if (!cs_layer_add_output(ld->lw.g, ld->lw.layer, outs[k]))
            return cs_lower_nomem(&ld->lw);
    }
    return CS_OK;
}

cs_status mil_gru(cm_loader *ld, mil_state *ms, const mil_op *op)
{
    return mil_recurrent(ld, ms, op, true);
}

cs_status mil_rnn(cm_loader *ld, mil_state *ms, const mil_op *op)
{
    return mil_recurrent(ld, ms, op, false);
}

/* rnn_test.c — specifications of the recurrent kernels on steps small enough to check by hand: one LSTM
 * step, one GRU step either side of linear_before_reset, and a reverse RNN with per-batch sequence lengths. */
#include <math.h>
#include <string.h>

#include "engine/ops/ops.h"
#include "test.h"

typedef struct rnn_call {
    const char *op;
    cs_attrs attrs;
    const cs_tensor *in[8];
    int n_in;
    cs_tensor *out[3];
    cs_error err;
} rnn_call;

static cs_status rnn_run(rnn_call *c)
{
    int in_ids[8] = {0, 1, 2, 3, 4, 5, 6, 7}, out_ids[3] = {10, 11, 12};
    cs_node node = {.name = "t", .op = (char *)c->op, .domain = "", .inputs = in_ids, .n_inputs = c->n_in,
                    .outputs = out_ids, .n_outputs = 3, .attrs = c->attrs, .layer = -1};
    const cs_op_def *def = cs_ops_find("", c->op);
    if (!def)
        return cs_error_set(&c->err, CS_ERR_UNSUPPORTED, "no kernel for %s", c->op);
    int n_out = strcmp(c->op, "LSTM") == 0 ? 3 : 2;
    node.n_outputs = n_out;
    cs_kernel_ctx ctx = {.node = &node, .in = c->in, .n_in = c->n_in, .out = c->out, .n_out = n_out, .opset = 14, .err = &c->err};
    return def->run(&ctx);
}

static void rnn_free(rnn_call *c)
{
    for (int i = 0; i < 3; i++)
        cs_tensor_free(c->out[i]);
    for (int i = 0; i < c->n_in; i++)
        cs_tensor_free((cs_tensor *)c->in[i]);
    cs_attrs_free(&c->attrs);
}

static cs_tensor *f32_3d(int64_t a, int64_t b, int64_t d, const float *values)
{
    const int64_t dims[3] = {a, b, d};
    cs_tensor *t = cs_tensor_new(CS_DT_F32, 3, dims, NULL);
    memcpy(t->data, values, t->nbytes);
    return t;
}

static float at(const cs_tensor *t, int64_t i)
{
    return t ? ((const float *)t->data)[i] : NAN;
}

TEST(lstm_step_mixes_cell_state_through_gates_at_one_half)
{
    /* W gates i,o,f,c = 0,0,0,1 and no recurrence: i = o = f = sigmoid(0) = 0.5, c~ = tanh(1).
     * C = 0.5 * c0 + 0.5 * tanh(1) with c0 = 0.5, H = 0.5 * tanh(C). */
    const float x = 1, w[4] = {0, 0, 0, 1}, r[4] = {0}, c0 = 0.5f;
    rnn_call c = {.op = "LSTM", .n_in = 7};
    c.in[0] = f32_3d(1, 1, 1, &x);
    c.in[1] = f32_3d(1, 4, 1, w);
    c.in[2] = f32_3d(1, 4, 1, r);
    c.in[6] = f32_3d(1, 1, 1, &c0);
    EXPECT(rnn_run(&c) == CS_OK);
    double C = 0.25 + 0.5 * tanh(1.0);
    EXPECT_NEAR(at(c.out[2], 0), C, 1e-6);              /* 0.6307971 */
    EXPECT_NEAR(at(c.out[1], 0), 0.5 * tanh(C), 1e-6);  /* 0.2793004 */
    EXPECT_NEAR(at(c.out[0], 0), 0.5 * tanh(C), 1e-6);
    EXPECT(c.out[0] && c.out[0]->rank == 4);
    rnn_free(&c);
}

static void gru_step(int *cs_failures_, int linear_before_reset, double want)
{
    /* W = R = (z, r, h) = (0, 0, 1), Rb_h = 1, h0 = 0.5: z = r = 0.5.
     * lbr 0: h~ = tanh(x + (r h0) + Rb_h) = tanh(2.25); lbr 1: h~ = tanh(x + r (h0 + Rb_h)) = tanh(1.75).
     * H = (1 - z) h~ + z h0. */
    const float x = 1, w[3] = {0, 0, 1}, b[6] = {0, 0, 0, 0, 0, 1}, h0 = 0.5f;
    rnn_call c = {.op = "GRU", .n_in = 6};
    c.in[0] = f32_3d(1, 1, 1, &x);
    c.in[1] = f32_3d(1, 3, 1, w);
    c.in[2] = f32_3d(1, 3, 1, w);
    const int64_t bd[2] = {1, 6};
    cs_tensor *bt = cs_tensor_new(CS_DT_F32, 2, bd, NULL);
    memcpy(bt->data, b, sizeof b);
    c.in[3] = bt;
    c.in[5] = f32_3d(1, 1, 1, &h0);
    cs_attrs_add_int(&c.attrs, "linear_before_reset", linear_before_reset);
    EXPECT(rnn_run(&c) == CS_OK);
    EXPECT_NEAR(at(c.out[1], 0), want, 1e-6);
    rnn_free(&c);
}

TEST(gru_step_applies_reset_before_or_after_the_recurrent_product)
{
    gru_step(cs_failures_, 0, 0.5 * tanh(2.25) + 0.25); /* 0.7390131 */
    gru_step(cs_failures_, 1, 0.5 * tanh(1.75) + 0.25); /* 0.7206878 */
}

TEST(reverse_rnn_starts_each_batch_entry_at_its_own_last_step)
{
    /* h_t = relu(x_t + 0.5 h_{t+1}) backwards; entry 0 runs 3 steps (3, 2, 1), entry 1 runs 2 (5, 4). */
    const float x[6] = {1, 4, 2, 5, 3, 6}, w = 1, r = 0.5f;
    rnn_call c = {.op = "RNN", .n_in = 5};
    c.in[0] = f32_3d(3, 2, 1, x);
    c.in[1] = f32_3d(1, 1, 1, &w);
    c.in[2] = f32_3d(1, 1, 1, &r);
    const int64_t ld = 2;
    cs_tensor *lens = cs_tensor_new(CS_DT_I32, 1, &ld, NULL);
    ((int32_t *)lens->data)[0] = 3, ((int32_t *)lens->data)[1] = 2;
    c.in[4] = lens;
    cs_attrs_add_string(&c.attrs, "direction", "reverse");
    const char *acts[1] = {"Relu"};
    cs_attrs_add_strings(&c.attrs, "activations", acts, 1);
    EXPECT(rnn_run(&c) == CS_OK);
    const float want_y[6] = {2.75f, 6.5f, 3.5f, 5, 3, 0}; /* [seq, 1, batch, 1] */
    for (int i = 0; i < 6; i++)
        EXPECT_NEAR(at(c.out[0], i), want_y[i], 0);
    EXPECT_NEAR(at(c.out[1], 0), 2.75, 0);
    EXPECT_NEAR(at(c.out[1], 1), 6.5, 0);
    rnn_free(&c);
}

TEST(lstm_rejects_weights_that_do_not_match_the_hidden_size)
{
    const float x = 1, w[3] = {0}, r[4] = {0};
    rnn_call c = {.op = "LSTM", .n_in = 3};
    c.in[0] = f32_3d(1, 1, 1, &x);
    c.in[1] = f32_3d(1, 3, 1, w);
    c.in[2] = f32_3d(1, 4, 1, r);
    EXPECT(rnn_run(&c) == CS_ERR_SHAPE);
    EXPECT(c.out[0] == NULL);
    rnn_free(&c);
}

static cs_tensor *filled(int64_t a, int64_t b, int64_t d, float scale)
{
    const int64_t dims[3] = {a, b, d};
    cs_tensor *t = cs_tensor_new(CS_DT_F32, 3, dims, NULL);
    for (int64_t i = 0; i < a * b * d; i++)
        ((float *)t->data)[i] = scale * (float)((i * 7) % 11 - 5) / 5;
    return t;
}

/* One direction of a GRU [seq 3, batch 2, input 2, hidden 2] whose weights are direction `d` of (w, r). */
static cs_tensor *gru_one_way(const cs_tensor *x, const cs_tensor *w, const cs_tensor *r, int d, const char *dir)
{
    rnn_call c = {.op = "GRU", .n_in = 3};
    c.in[0] = cs_tensor_clone(x, NULL);
    c.in[1] = cs_tensor_new(CS_DT_F32, 3, (const int64_t[]){1, 6, 2}, NULL);
    c.in[2] = cs_tensor_new(CS_DT_F32, 3, (const int64_t[]){1, 6, 2}, NULL);
    memcpy(c.in[1]->data, (const float *)w->data + d * 12, 12 * sizeof(float));
    memcpy(c.in[2]->data, (const float *)r->data + d * 12, 12 * sizeof(float));
    cs_attrs_add_string(&c.attrs, "direction", dir);
    cs_tensor *y = rnn_run(&c) == CS_OK ? c.out[0] : NULL;
    c.out[0] = NULL;
    rnn_free(&c);
    return y;
}

TEST(bidirectional_gru_equals_a_forward_and_a_reverse_run)
{
    cs_tensor *x = filled(3, 2, 2, 1), *w = filled(2, 6, 2, 0.7f), *r = filled(2, 6, 2, 0.4f);
    rnn_call c = {.op = "GRU", .n_in = 3};
    c.in[0] = cs_tensor_clone(x, NULL), c.in[1] = cs_tensor_clone(w, NULL), c.in[2] = cs_tensor_clone(r, NULL);
    cs_attrs_add_string(&c.attrs, "direction", "bidirectional");
    EXPECT(rnn_run(&c) == CS_OK);
    cs_tensor *fwd = gru_one_way(x, w, r, 0, "forward"), *rev = gru_one_way(x, w, r, 1, "reverse");
    EXPECT(c.out[0] && fwd && rev && c.out[0]->dims[1] == 2);
    for (int t = 0; c.out[0] && fwd && rev && t < 3; t++)
        for (int k = 0; k < 4; k++) { /* Y [3, 2, 2, 2]: [t][dir][batch][hidden] */
            EXPECT_NEAR(at(c.out[0], t * 8 + k), at(fwd, t * 4 + k), 1e-6);
            EXPECT_NEAR(at(c.out[0], t * 8 + 4 + k), at(rev, t * 4 + k), 1e-6);
        }
    cs_tensor_free(fwd), cs_tensor_free(rev), cs_tensor_free(x), cs_tensor_free(w), cs_tensor_free(r);
    rnn_free(&c);
}

/* rnn.c — op family 'rnn': ONNX RNN, GRU and LSTM with every attribute (directions, activation lists,
 * clip, input_forget, linear_before_reset, layout, sequence lengths); checks shapes, runs rnn_cell.c. */
#include "registry.h"

#include <stdlib.h>
#include <string.h>

#include "rnn_cell.h"

#define RNN_DIM_MAX ((int64_t)1 << 30)

/* Float inputs converted to f32 where needed; the casts are freed by release_f32. */
typedef struct f32_inputs {
    const cs_tensor *t[8];
    cs_tensor *owned[8];
} f32_inputs;

static cs_status parse_direction(cs_kernel_ctx *ctx, cs_rnn_cfg *c)
{
    const char *dir = cs_attrs_string(&ctx->node->attrs, "direction", "forward");
    c->ndir = strcmp(dir, "bidirectional") == 0 ? 2 : 1;
    c->reverse = strcmp(dir, "reverse") == 0;
    if (c->ndir == 1 && !c->reverse && strcmp(dir, "forward") != 0)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "unknown direction '%s'", dir);
    return CS_OK;
}

static cs_status parse_activations(cs_kernel_ctx *ctx, cs_rnn_cfg *c)
{
    static const char *const defaults[3][3] = {{"Tanh"}, {"Sigmoid", "Tanh"}, {"Sigmoid", "Tanh", "Tanh"}};
    int per_dir = c->cell == CS_CELL_RNN ? 1 : c->cell == CS_CELL_GRU ? 2 : 3;
    const cs_attrs *attrs = &ctx->node->attrs;
    const cs_attr *a = cs_attrs_find(attrs, "activations");
    const double *alphas = NULL, *betas = NULL;
    int n_alphas = cs_attrs_floats(attrs, "activation_alpha", &alphas);
    int n_betas = cs_attrs_floats(attrs, "activation_beta", &betas);
    int given = a && a->type == CS_ATTR_STRINGS ? a->count : 0;
    if (given && given != per_dir && given != per_dir * c->ndir)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "%d activations given, expected %d", given, per_dir * c->ndir);
    for (int d = 0; d < c->ndir; d++)
        for (int k = 0; k < per_dir; k++) {
            const char *name = given ? a->strings[(d * per_dir + k) % given] : defaults[per_dir - 1][k];
            if (!cs_rnn_act_parse(name, &alphas, &n_alphas, &betas, &n_betas, &c->acts[d][k]))
                return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "unsupported activation '%s'", name);
        }
    return CS_OK;
}

static cs_status parse_attrs(cs_kernel_ctx *ctx, cs_rnn_cfg *c)
{
    const cs_attrs *attrs = &ctx->node->attrs;
    cs_status st = parse_direction(ctx, c);
    if (st == CS_OK)
        st = parse_activations(ctx, c);
    if (st != CS_OK)
        return st;
    c->layout = (int)cs_attrs_int(attrs, "layout", 0);
    if (c->layout != 0 && c->layout != 1)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "layout must be 0 or 1, got %d", c->layout);
    c->has_clip = cs_attrs_find(attrs, "clip") != NULL;
    c->clip = (float)cs_attrs_float(attrs, "clip", 0);
    if (c->has_clip && !(c->clip > 0))
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "clip must be positive");
    c->input_forget = cs_attrs_int(attrs, "input_forget", 0) != 0;
    c->linear_before_reset = cs_attrs_int(attrs, "linear_before_reset", 0) != 0;
    return CS_OK;
}

static bool dims_are(const cs_tensor *t, int rank, int64_t d0, int64_t d1, int64_t d2)
{
    int64_t want[3] = {d0, d1, d2};
    if (t->rank != rank)
        return false;
    for (int i = 0; i < rank; i++)
        if (t->dims[i] != want[i])
            return false;
    return true;
}

static cs_status check_dims(cs_kernel_ctx *ctx, const cs_rnn_cfg *c)
{
    int64_t d[4] = {c->seq, c->batch, c->in, c->hid};
    for (int i = 0; i < 4; i++)
        if (d[i] < 1 || d[i] > RNN_DIM_MAX)
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "sequence, batch, input and hidden sizes must be in [1, 2^30]");
    int64_t n;
    int64_t big[3] = {c->seq * c->batch, c->gates * c->hid, c->ndir};
    if (!cs_shape_numel(3, big, &n) || big[0] > RNN_DIM_MAX || big[1] > RNN_DIM_MAX)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "the layer is too large");
    return CS_OK;
}

/* X, W, R give the sizes; the optional inputs must agree with them. */
static cs_status check_shapes(cs_kernel_ctx *ctx, cs_rnn_cfg *c, const f32_inputs *fi)
{
    const cs_tensor *x = fi->t[0], *w = fi->t[1], *r = fi->t[2];
    if (x->rank != 3 || w->rank != 3 || r->rank != 3)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "X, W and R must have rank 3");
    c->seq = x->dims[c->layout ? 1 : 0];
    c->batch = x->dims[c->layout ? 0 : 1];
    c->in = x->dims[2];
    c->hid = r->dims[2];
    int64_t attr_h = cs_attrs_int(&ctx->node->attrs, "hidden_size", c->hid);
    cs_status st = check_dims(ctx, c);
    if (st != CS_OK)
        return st;
    int64_t gh = c->gates * c->hid, nd = c->ndir;
    if (attr_h != c->hid || !dims_are(w, 3, nd, gh, c->in) || !dims_are(r, 3, nd, gh, c->hid))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "W or R do not match %d direction(s), hidden size %lld, input size %lld",
                              c->ndir, (long long)c->hid, (long long)c->in);
    if (fi->t[3] && !dims_are(fi->t[3], 2, nd, 2 * gh, 0))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "B must be [%lld, %lld]", (long long)nd, (long long)(2 * gh));
    for (int i = 5; i <= 6; i++)
        if (fi->t[i] && !dims_are(fi->t[i], 3, c->layout ? c->batch : nd, c->layout ? nd : c->batch, c->hid))
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input %d (initial state) has the wrong shape", i);
    if (fi->t[7] && !dims_are(fi->t[7], 2, nd, 3 * c->hid, 0))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "P must be [%lld, %lld]", (long long)nd, (long long)(3 * c->hid));
    return CS_OK;
}

static cs_status read_lens(cs_kernel_ctx *ctx, const cs_rnn_cfg *c, int64_t **lens)
{
    const cs_tensor *t = cs_kernel_input(ctx, 4);
    *lens = NULL;
    if (!t)
        return CS_OK;
    int n = cs_kernel_read_ints(ctx, t, lens);
    if (n < 0)
        return ctx->err->status;
    if (n != c->batch)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "sequence_lens has %d entries for batch %lld", n, (long long)c->batch);
    for (int i = 0; i < n; i++)
        if ((*lens)[i] < 0 || (*lens)[i] > c->seq)
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "sequence_lens[%d] = %lld is outside [0, %lld]", i,
                                  (long long)(*lens)[i], (long long)c->seq);
    return CS_OK;
}

static void release_f32(f32_inputs *fi)
{
    for (int i = 0; i < 8; i++)
        cs_tensor_free(fi->owned[i]);
}

/* Collects the float inputs (slot 4, sequence_lens, is integer) as f32 tensors. */
static cs_status gather_f32(cs_kernel_ctx *ctx, int n_slots, f32_inputs *fi)
{
    memset(fi, 0, sizeof *fi);
    for (int i = 0; i < n_slots; i++) {
        const cs_tensor *t = cs_kernel_input(ctx, i);
        if (!t || i == 4)
            continue;
        if (!cs_dtype_is_float(t->dtype))
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input %d must be a float tensor, got %s", i,
                                  cs_dtype_name(t->dtype));
        fi->t[i] = t;
        if (t->dtype != CS_DT_F32) {
            if (!(fi->owned[i] = cs_tensor_cast(t, CS_DT_F32, ctx->err)))
                return ctx->err->status;
            fi->t[i] = fi->owned[i];
        }
    }
    return CS_OK;
}

/* [d0, d1, inner] -> [d1, d0, inner] */
static void swap01(const float *src, int64_t d0, int64_t d1, int64_t inner, float *dst)
{
    for (int64_t i = 0; i < d0; i++)
        for (int64_t j = 0; j < d1; j++)
            memcpy(dst + (j * d0 + i) * inner, src + (i * d1 + j) * inner, sizeof(float) * (size_t)inner);
}

/* Layout-1 inputs turned into layout-0 copies (X and the initial states). */
static bool to_layout0(const cs_rnn_cfg *c, const f32_inputs *fi, cs_rnn_bufs *io, float **scratch)
{
    int64_t nx = c->seq * c->batch * c->in, ns = c->ndir * c->batch * c->hid;
    *scratch = malloc(sizeof(float) * (size_t)(nx + 2 * ns));
    if (!*scratch)
        return false;
    swap01(fi->t[0]->data, c->batch, c->seq, c->in, *scratch);
    io->x = *scratch;
    if (fi->t[5]) {
        swap01(fi->t[5]->data, c->batch, c->ndir, c->hid, *scratch + nx);
        io->h0 = *scratch + nx;
    }
    if (fi->t[6]) {
        swap01(fi->t[6]->data, c->batch, c->ndir, c->hid, *scratch + nx + ns);
        io->c0 = *scratch + nx + ns;
    }
    return true;
}

/* Output slot i from a layout-0 f32 buffer of [d0, d1, inner] (swapped for layout 1), in dtype dt. */
static cs_status emit(cs_kernel_ctx *ctx, const cs_rnn_cfg *c, int i, const float *buf, int64_t d0, int64_t d1,
                      int64_t inner, int extra_rank, cs_dtype dt)
{
    if (!cs_kernel_output_used(ctx, i))
        return CS_OK;
    int64_t dims[4];
    int rank = 3 + extra_rank;
    if (extra_rank) { /* Y: [seq, ndir, batch, H] or [batch, seq, ndir, H] */
        int64_t l0[4] = {c->seq, c->ndir, c->batch, c->hid}, l1[4] = {c->batch, c->seq, c->ndir, c->hid};
        memcpy(dims, c->layout ? l1 : l0, sizeof dims);
    } else {
        int64_t l0[3] = {c->ndir, c->batch, c->hid}, l1[3] = {c->batch, c->ndir, c->hid};
        memcpy(dims, c->layout ? l1 : l0, sizeof l0);
    }
    cs_tensor *t = cs_kernel_output(ctx, i, CS_DT_F32, rank, dims);
    if (!t)
        return ctx->err->status;
    if (c->layout)
        swap01(buf, d0, d1, inner, t->data);
    else
        memcpy(t->data, buf, t->nbytes);
    if (dt != CS_DT_F32) {
        cs_tensor *cast = cs_tensor_cast(t, dt, ctx->err);
        if (!cast)
            return ctx->err->status;
        cs_tensor_free(t);
        ctx->out[i] = cast;
    }
    return CS_OK;
}

static cs_status compute(cs_kernel_ctx *ctx, const cs_rnn_cfg *c, const f32_inputs *fi, const int64_t *lens)
{
    int64_t ns = c->ndir * c->batch * c->hid, ny = c->seq * ns;
    cs_rnn_bufs io = {fi->t[0]->data, fi->t[1]->data, fi->t[2]->data, fi->t[3] ? fi->t[3]->data : NULL,
                      fi->t[5] ? fi->t[5]->data : NULL, fi->t[6] ? fi->t[6]->data : NULL,
                      fi->t[7] ? fi->t[7]->data : NULL, lens, NULL, NULL, NULL};
    float *scratch = NULL, *outs = calloc((size_t)(ny + 2 * ns), sizeof(float));
    bool ok = outs && (c->layout == 0 || to_layout0(c, fi, &io, &scratch));
    if (ok) {
        io.y = outs, io.yh = outs + ny, io.yc = c->cell == CS_CELL_LSTM ? outs + ny + ns : NULL;
        for (int d = 0; ok && d < c->ndir; d++)
            ok = cs_rnn_run_direction(c, &io, d);
    }
    cs_status st = ok ? CS_OK : cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    cs_dtype dt = cs_kernel_input(ctx, 0)->dtype;
    if (st == CS_OK)
        st = emit(ctx, c, 0, io.y, c->seq * c->ndir, c->batch, c->hid, 1, dt);
    if (st == CS_OK)
        st = emit(ctx, c, 1, io.yh, c->ndir, c->batch, c->hid, 0, dt);
    if (st == CS_OK && io.yc)
        st = emit(ctx, c, 2, io.yc, c->ndir, c->batch, c->hid, 0, dt);
    free(scratch), free(outs);
    return st;
}

static cs_status run_layer(cs_kernel_ctx *ctx, cs_cell_kind cell, int gates)
{
    cs_rnn_cfg c;
    memset(&c, 0, sizeof c);
    c.cell = cell, c.gates = gates;
    cs_status st = cs_kernel_need_inputs(ctx, 3);
    if (st == CS_OK)
        st = parse_attrs(ctx, &c);
    if (st != CS_OK)
        return st;
    f32_inputs fi;
    int64_t *lens = NULL;
    st = gather_f32(ctx, cell == CS_CELL_LSTM ? 8 : 6, &fi);
    if (st == CS_OK)
        st = check_shapes(ctx, &c, &fi);
    if (st == CS_OK)
        st = read_lens(ctx, &c, &lens);
    if (st == CS_OK)
        st = compute(ctx, &c, &fi, lens);
    free(lens);
    release_f32(&fi);
    return st;
}

static cs_status op_rnn(cs_kernel_ctx *ctx) { return run_layer(ctx, CS_CELL_RNN, 1); }
static cs_status op_gru(cs_kernel_ctx *ctx) { return run_layer(ctx, CS_CELL_GRU, 3); }
static cs_status op_lstm(cs_kernel_ctx *ctx) { return run_layer(ctx, CS_CELL_LSTM, 4); }

const cs_op_def cs_ops_rnn[] = {
    {.name = "RNN", .run = op_rnn},
    {.name = "GRU", .run = op_gru},
    {.name = "LSTM", .run = op_lstm},
    {.name = NULL},
};

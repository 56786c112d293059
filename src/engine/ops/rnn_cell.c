/* rnn_cell.c — one direction of an ONNX recurrent layer: the input projection of every step at once
 * through BLAS, then step by step the recurrent product (BLAS) and the RNN, GRU or LSTM gate equations. */
#include "rnn_cell.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_backend.h"
#include "fastpath.h"

typedef struct dir_state {
    const cs_rnn_cfg *c;
    const cs_rnn_act *act;  /* f, g, h of this direction */
    const float *r, *rb, *p; /* recurrence weights [G*H, H], bias [G*H] or NULL, peepholes [3H] or NULL */
    float *xw;              /* [seq, batch, G*H]: X W^T + Wb */
    float *hr;              /* [batch, G*H]: H R^T + Rb; then [batch, G*H] GRU scratch */
    float *h, *cst;         /* [batch, H] hidden and cell state */
    float *tmp, *tmp2;      /* [batch, H] GRU scratch */
} dir_state;

static float clipv(const cs_rnn_cfg *c, float v)
{
    if (!c->has_clip)
        return v;
    return v < -c->clip ? -c->clip : v > c->clip ? c->clip : v;
}

static float gate(const dir_state *s, int fn, float v)
{
    return cs_rnn_act_apply(&s->act[fn], clipv(s->c, v));
}

/* C[m,n] = A[m,k] B[n,k]^T (row-major): oneDNN's sgemm on the fast path, so --threads N runs one OpenMP team
 * (no OpenBLAS pool beside it), OpenBLAS for the reference kernels. */
static void sgemm_nt(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc)
{
    if (cs_kernels_fast())
        cs_dnnl_sgemm(false, true, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}

/* hr = h R^T (+ Rb), for the first `rows` gate rows of R. */
static void recurrent(dir_state *s, const float *h, int rows_from, int rows, float *out)
{
    const cs_rnn_cfg *c = s->c;
    int64_t gh = c->gates * c->hid;
    sgemm_nt((int)c->batch, rows, (int)c->hid, h, (int)c->hid, s->r + (int64_t)rows_from * c->hid, (int)c->hid, out,
             (int)gh);
    if (s->rb)
        for (int64_t b = 0; b < c->batch; b++)
            for (int j = 0; j < rows; j++)
                out[b * gh + j] += s->rb[rows_from + j];
}

static void step_rnn(dir_state *s, const int64_t *tb)
{
    const cs_rnn_cfg *c = s->c;
    int64_t H = c->hid;
    recurrent(s, s->h, 0, (int)H, s->hr);
    for (int64_t b = 0; b < c->batch; b++) {
        if (tb[b] < 0)
            continue;
        const float *xw = s->xw + (tb[b] * c->batch + b) * H;
        for (int64_t j = 0; j < H; j++)
            s->h[b * H + j] = gate(s, 0, xw[j] + s->hr[b * H + j]);
    }
}

static void lstm_unit(dir_state *s, const float *xw, const float *hr, float *h, float *cst)
{
    const cs_rnn_cfg *c = s->c;
    int64_t H = c->hid;
    const float *p = s->p;
    for (int64_t j = 0; j < H; j++) {
        float it = gate(s, 0, xw[j] + hr[j] + (p ? p[j] * cst[j] : 0));
        float ft = c->input_forget ? 1 - it : gate(s, 0, xw[2 * H + j] + hr[2 * H + j] + (p ? p[2 * H + j] * cst[j] : 0));
        float ct = gate(s, 1, xw[3 * H + j] + hr[3 * H + j]);
        float cn = ft * cst[j] + it * ct;
        float ot = gate(s, 0, xw[H + j] + hr[H + j] + (p ? p[H + j] * cn : 0));
        cst[j] = cn;
        h[j] = ot * cs_rnn_act_apply(&s->act[2], cn);
    }
}

static void step_lstm(dir_state *s, const int64_t *tb)
{
    const cs_rnn_cfg *c = s->c;
    int64_t H = c->hid, gh = 4 * H;
    recurrent(s, s->h, 0, (int)gh, s->hr);
    for (int64_t b = 0; b < c->batch; b++)
        if (tb[b] >= 0)
            lstm_unit(s, s->xw + (tb[b] * c->batch + b) * gh, s->hr + b * gh, s->h + b * H, s->cst + b * H);
}

/* GRU: z and r first; the candidate needs (r . h) R_h^T unless linear_before_reset. */
static void step_gru(dir_state *s, const int64_t *tb)
{
    const cs_rnn_cfg *c = s->c;
    int64_t H = c->hid, gh = 3 * H;
    recurrent(s, s->h, 0, (int)gh, s->hr);
    for (int64_t b = 0; b < c->batch; b++) {
        if (tb[b] < 0)
            continue;
        const float *xw = s->xw + (tb[b] * c->batch + b) * gh, *hr = s->hr + b * gh;
        for (int64_t j = 0; j < H; j++) {
            s->tmp[b * H + j] = gate(s, 0, xw[j] + hr[j]);             /* z */
            float r = gate(s, 0, xw[H + j] + hr[H + j]);
            s->tmp2[b * H + j] = c->linear_before_reset ? r * hr[2 * H + j] : r * s->h[b * H + j];
        }
    }
    if (!c->linear_before_reset) {
        float *cand = s->hr + c->batch * gh; /* (r . h) R_h^T + Rb_h, row stride gh */
        recurrent(s, s->tmp2, (int)(2 * H), (int)H, cand);
        for (int64_t b = 0; b < c->batch; b++)
            memcpy(s->tmp2 + b * H, cand + b * gh, sizeof(float) * (size_t)H);
    }
    for (int64_t b = 0; b < c->batch; b++) {
        if (tb[b] < 0)
            continue;
        const float *xw = s->xw + (tb[b] * c->batch + b) * gh;
        for (int64_t j = 0; j < H; j++) {
            float z = s->tmp[b * H + j];
            float ht = gate(s, 1, xw[2 * H + j] + s->tmp2[b * H + j]);
            s->h[b * H + j] = (1 - z) * ht + z * s->h[b * H + j];
        }
    }
}

static void project_inputs(const cs_rnn_cfg *c, const cs_rnn_bufs *io, int d, float *xw)
{
    int64_t gh = c->gates * c->hid;
    sgemm_nt((int)(c->seq * c->batch), (int)gh, (int)c->in, io->x, (int)c->in, io->w + d * gh * c->in, (int)c->in, xw,
             (int)gh);
    if (io->b)
        for (int64_t row = 0; row < c->seq * c->batch; row++)
            for (int64_t j = 0; j < gh; j++)
                xw[row * gh + j] += io->b[d * 2 * gh + j];
}

static void init_state(const cs_rnn_cfg *c, const float *src, int d, float *dst)
{
    size_t n = (size_t)(c->batch * c->hid);
    if (src)
        memcpy(dst, src + (size_t)d * n, n * sizeof(float));
    else
        memset(dst, 0, n * sizeof(float));
}

/* Per batch entry, the time index step `s` processes (or -1 past its length). */
static void step_times(const cs_rnn_cfg *c, const cs_rnn_bufs *io, bool backwards, int64_t s, int64_t *tb)
{
    for (int64_t b = 0; b < c->batch; b++) {
        int64_t len = io->lens ? io->lens[b] : c->seq;
        tb[b] = s >= len ? -1 : backwards ? len - 1 - s : s;
    }
}

static void run_steps(dir_state *s, const cs_rnn_bufs *io, int d, bool backwards, int64_t *tb)
{
    const cs_rnn_cfg *c = s->c;
    int64_t H = c->hid;
    for (int64_t step = 0; step < c->seq; step++) {
        step_times(c, io, backwards, step, tb);
        if (c->cell == CS_CELL_RNN)
            step_rnn(s, tb);
        else if (c->cell == CS_CELL_GRU)
            step_gru(s, tb);
        else
            step_lstm(s, tb);
        for (int64_t b = 0; b < c->batch; b++)
            if (tb[b] >= 0)
                memcpy(io->y + ((tb[b] * c->ndir + d) * c->batch + b) * H, s->h + b * H, sizeof(float) * (size_t)H);
    }
}

bool cs_rnn_run_direction(const cs_rnn_cfg *c, const cs_rnn_bufs *io, int d)
{
    int64_t H = c->hid, gh = c->gates * H, bh = c->batch * H;
    dir_state s = {c, c->acts[d], io->r + d * gh * H, io->b ? io->b + d * 2 * gh + gh : NULL,
                   io->p ? io->p + d * 3 * H : NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    s.xw = malloc(sizeof(float) * (size_t)(c->seq * c->batch * gh + 1));
    s.hr = malloc(sizeof(float) * (size_t)(2 * c->batch * gh + 1));
    float *state = malloc(sizeof(float) * (size_t)(4 * bh + 1));
    int64_t *tb = malloc(sizeof(int64_t) * (size_t)(c->batch + 1));
    bool ok = s.xw && s.hr && state && tb;
    if (ok) {
        s.h = state, s.cst = state + bh, s.tmp = state + 2 * bh, s.tmp2 = state + 3 * bh;
        project_inputs(c, io, d, s.xw);
        init_state(c, io->h0, d, s.h);
        init_state(c, io->c0, d, s.cst);
        run_steps(&s, io, d, c->reverse || d == 1, tb);
        memcpy(io->yh + d * bh, s.h, sizeof(float) * (size_t)bh);
        if (io->yc)
            memcpy(io->yc + d * bh, s.cst, sizeof(float) * (size_t)bh);
    }
    free(s.xw), free(s.hr), free(state), free(tb);
    return ok;
}

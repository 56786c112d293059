/* rnn_weights.c — recurrent layers compared as functions: each side's LSTM/GRU weights (ONNX, PyTorch or Keras
 * layout) are rewritten into one canonical form (PyTorch gate order, [gates*H, In] kernels, input and recurrent
 * bias) and compared there; bias splits compare by their sums, swapped gates are named. */
#include "rnn_weights.h"
#include "rnn_unrolled.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RNN_MAX_CELLS 8
#define RNN_MAX_GATES 4
#define RNN_MAX_UNITS 64 /* recurrent layers (or decomposed cells) per graph looked at for a counterpart */

typedef struct rnn_cell {
    double *wx;  /* [G*H, In], canonical gate order */
    double *wh;  /* [G*H, H] */
    double *bx;  /* [G*H] */
    double *bh;  /* [G*H]; zeros when the format keeps one bias */
    bool split;  /* the format stores two biases */
} rnn_cell;

typedef struct rnn_form {
    int gates;              /* 4 LSTM, 3 GRU, 1 simple RNN */
    int64_t hidden, in;
    int n_cells;
    rnn_cell cells[RNN_MAX_CELLS];
    const char *style;      /* "ONNX", "PyTorch", "Keras" */
    const char *order;      /* the format's gate order */
    bool transposed;        /* kernels stored [In, G*H] */
    const char *name;       /* the source's name of its first tensor (borrowed) */
    const int *map;         /* gate map found in the graph (decomposed cells); NULL: the style's */
    int map_buf[RNN_MAX_GATES];
    char order_buf[16];
} rnn_form;

/* Canonical gate k (LSTM i,f,g,o; GRU r,z,n) is block map[k] of the source. */
static const int lstm_onnx[4] = {0, 2, 3, 1}, lstm_torch[4] = {0, 1, 2, 3};
static const int gru_onnx[3] = {1, 0, 2}, gru_torch[3] = {0, 1, 2};
static const int rnn_one[1] = {0};
static const char *const lstm_names[4] = {"i", "f", "g", "o"}, *const gru_names[3] = {"r", "z", "n"};

static const int *gate_map(const rnn_form *f)
{
    bool torch = strcmp(f->style, "PyTorch") == 0;
    if (f->map)
        return f->map;
    if (f->gates == 4)
        return strcmp(f->style, "ONNX") == 0 ? lstm_onnx : lstm_torch;
    if (f->gates == 3)
        return torch ? gru_torch : gru_onnx; /* Keras GRU is z,r,h like ONNX */
    return rnn_one;
}

static const char *gate_order(int gates, const char *style)
{
    if (gates == 4)
        return strcmp(style, "ONNX") == 0 ? "i,o,f,c" : strcmp(style, "Keras") == 0 ? "i,f,c,o" : "i,f,g,o";
    if (gates == 3)
        return strcmp(style, "PyTorch") == 0 ? "r,z,n" : "z,r,h";
    return "h";
}

static void form_free(rnn_form *f)
{
    for (int c = 0; c < f->n_cells; c++) {
        free(f->cells[c].wx);
        free(f->cells[c].wh);
        free(f->cells[c].bx);
        free(f->cells[c].bh);
    }
    f->n_cells = 0;
}

/* Rows of a [G*H, C] block starting at element off (or, transposed, a [C, G*H] matrix) in canonical order. */
static double *gather_matrix(const cs_tensor *t, int64_t off, const rnn_form *f, int64_t cols, bool transposed)
{
    int64_t gh = f->gates * f->hidden;
    double *d = malloc((size_t)(gh * cols) * sizeof *d);
    if (!d)
        return NULL;
    const int *map = gate_map(f);
    for (int k = 0; k < f->gates; k++)
        for (int64_t h = 0; h < f->hidden; h++)
            for (int64_t c = 0; c < cols; c++) {
                int64_t row = map[k] * f->hidden + h;
                int64_t src = transposed ? c * gh + row : off + row * cols + c;
                d[(k * f->hidden + h) * cols + c] = cs_tensor_get_f64(t, src);
            }
    return d;
}

/* A [G*H] bias vector at element off of t (t NULL: zeros). */
static double *gather_bias(const cs_tensor *t, int64_t off, const rnn_form *f)
{
    int64_t gh = f->gates * f->hidden;
    double *d = calloc((size_t)gh, sizeof *d);
    if (!d || !t)
        return d;
    const int *map = gate_map(f);
    for (int k = 0; k < f->gates; k++)
        for (int64_t h = 0; h < f->hidden; h++)
            d[k * f->hidden + h] = cs_tensor_get_f64(t, off + map[k] * f->hidden + h);
    return d;
}

static bool add_cell(rnn_form *f, const cs_tensor *w, int64_t w_off, const cs_tensor *r, int64_t r_off,
                     const cs_tensor *bx, int64_t bx_off, const cs_tensor *bh, int64_t bh_off)
{
    if (f->n_cells >= RNN_MAX_CELLS)
        return false;
    rnn_cell *c = &f->cells[f->n_cells++];
    c->wx = gather_matrix(w, w_off, f, f->in, f->transposed);
    c->wh = gather_matrix(r, r_off, f, f->hidden, f->transposed);
    c->bx = gather_bias(bx, bx_off, f);
    c->bh = gather_bias(bh, bh_off, f);
    c->split = bh != NULL;
    return c->wx && c->wh && c->bx && c->bh;
}

static const char *leaf(const char *name)
{
    const char *s = strrchr(name, '/'), *d = strrchr(name, '.');
    if (d && (!s || d > s))
        s = d;
    return s ? s + 1 : name;
}

/* Leaf equal to want, ignoring a ":0" suffix. */
static bool leaf_is(const char *name, const char *want)
{
    const char *l = leaf(name);
    size_t n = strlen(want);
    return strncmp(l, want, n) == 0 && (l[n] == 0 || l[n] == ':');
}

static bool same_prefix(const char *x, const char *y)
{
    size_t px = (size_t)(leaf(x) - x), py = (size_t)(leaf(y) - y);
    return px == py && strncmp(x, y, px) == 0;
}

static const cs_weight *find_named(const cs_layer *l, const char *prefix, size_t plen, const char *rest)
{
    for (int w = 0; w < l->n_weights; w++) {
        const char *n = l->weights[w].name;
        if (n && strncmp(n, prefix, plen) == 0 && strcmp(n + plen, rest) == 0)
            return &l->weights[w];
    }
    return NULL;
}

/* Where "weight_ih" starts in a PyTorch name, followed by "_<suffix>" (nn.LSTM) or nothing (nn.LSTMCell). */
static const char *torch_ih(const char *n)
{
    const char *at = n ? strstr(n, "weight_ih") : NULL;
    return at && (at[9] == '_' || at[9] == 0) ? at : NULL;
}

/* PyTorch: <prefix>weight_ih_<suffix>, weight_hh_, bias_ih_, bias_hh_ (suffix l0, l0_reverse, l1...); a cell
 * (nn.LSTMCell, nn.GRUCell) has no suffix. */
static bool read_torch(const cs_layer *l, rnn_form *f)
{
    for (int w = 0; w < l->n_weights; w++) {
        const char *n = l->weights[w].name, *at = torch_ih(n);
        if (!at)
            continue;
        size_t plen = (size_t)(at - n);
        char rest[96];
        const char *suffix = at[9] ? at + 9 : ""; /* "_l0" or "" */
        const cs_tensor *wih = l->weights[w].tensor, *whh, *bih = NULL, *bhh = NULL;
        snprintf(rest, sizeof rest, "weight_hh%s", suffix);
        const cs_weight *x = find_named(l, n, plen, rest);
        if (!x)
            return false;
        whh = x->tensor;
        snprintf(rest, sizeof rest, "bias_ih%s", suffix);
        if ((x = find_named(l, n, plen, rest)))
            bih = x->tensor;
        snprintf(rest, sizeof rest, "bias_hh%s", suffix);
        if ((x = find_named(l, n, plen, rest)))
            bhh = x->tensor;
        if (wih->rank != 2 || whh->rank != 2 || whh->dims[1] < 1 || whh->dims[0] != wih->dims[0] ||
            whh->dims[0] % whh->dims[1] || whh->dims[0] / whh->dims[1] > RNN_MAX_GATES)
            return false;
        int gates = (int)(whh->dims[0] / whh->dims[1]);
        if (f->n_cells && (gates != f->gates || whh->dims[1] != f->hidden))
            return false;
        f->gates = gates, f->hidden = whh->dims[1], f->in = f->n_cells ? f->in : wih->dims[1];
        if (wih->dims[1] != f->in && f->n_cells == 0)
            return false;
        if ((bih && cs_tensor_numel(bih) != whh->dims[0]) || (bhh && cs_tensor_numel(bhh) != whh->dims[0]))
            return false;
        if (wih->dims[1] != f->in) /* a stacked layer above the first: a different cell shape */
            break;
        if (!add_cell(f, wih, 0, whh, 0, bih, 0, bhh, 0))
            return false;
    }
    return f->n_cells > 0;
}

/* Keras: <prefix>/kernel [In,G*H], <prefix>/recurrent_kernel [H,G*H], <prefix>/bias [G*H] or [2,G*H]. */
static bool read_keras(const cs_layer *l, rnn_form *f)
{
    f->transposed = true;
    for (int w = 0; w < l->n_weights; w++) {
        const cs_weight *rk = &l->weights[w];
        if (!rk->name || !leaf_is(rk->name, "recurrent_kernel"))
            continue;
        const cs_tensor *k = NULL, *b = NULL, *r = rk->tensor;
        for (int j = 0; j < l->n_weights; j++) {
            const cs_weight *x = &l->weights[j];
            if (x->name && same_prefix(x->name, rk->name) && leaf_is(x->name, "kernel"))
                k = x->tensor;
            if (x->name && same_prefix(x->name, rk->name) && leaf_is(x->name, "bias"))
                b = x->tensor;
        }
        if (!k || k->rank != 2 || r->rank != 2 || r->dims[0] < 1 || r->dims[1] % r->dims[0] ||
            r->dims[1] / r->dims[0] > RNN_MAX_GATES || k->dims[1] != r->dims[1])
            return false;
        int gates = (int)(r->dims[1] / r->dims[0]);
        if (f->n_cells && (gates != f->gates || r->dims[0] != f->hidden || k->dims[0] != f->in))
            return false;
        f->gates = gates, f->hidden = r->dims[0], f->in = k->dims[0];
        int64_t gh = r->dims[1];
        bool two = b && b->rank == 2 && b->dims[0] == 2 && b->dims[1] == gh;
        if (b && !two && cs_tensor_numel(b) != gh)
            return false;
        /* gather_matrix reads a transposed matrix [C, G*H] directly */
        if (!add_cell(f, k, 0, r, 0, b, 0, two ? b : NULL, gh))
            return false;
    }
    return f->n_cells > 0;
}

/* ONNX LSTM/GRU/RNN node: the first two rank-3 weights are W and R, a rank-2 one B. */
static bool read_onnx(const cs_layer *l, rnn_form *f)
{
    const cs_tensor *W = NULL, *R = NULL, *B = NULL;
    for (int w = 0; w < l->n_weights; w++) {
        const cs_tensor *t = l->weights[w].tensor;
        if (t->rank == 3 && !W)
            W = t;
        else if (t->rank == 3 && !R)
            R = t;
        else if (t->rank == 2 && !B)
            B = t;
    }
    if (!W || !R || R->dims[2] < 1 || W->dims[0] != R->dims[0] || W->dims[1] != R->dims[1] ||
        R->dims[1] % R->dims[2] || R->dims[1] / R->dims[2] > RNN_MAX_GATES || W->dims[0] > RNN_MAX_CELLS)
        return false;
    f->gates = (int)(R->dims[1] / R->dims[2]), f->hidden = R->dims[2], f->in = W->dims[2];
    int64_t gh = R->dims[1];
    if (B && (B->dims[0] != W->dims[0] || B->dims[1] != 2 * gh))
        return false;
    for (int64_t d = 0; d < W->dims[0]; d++)
        if (!add_cell(f, W, d * gh * f->in, R, d * gh * f->hidden, B, d * 2 * gh, B, d * 2 * gh + gh))
            return false;
    return true;
}

static bool is_rnn_op(const char *type)
{
    return type && (strcmp(type, "LSTM") == 0 || strcmp(type, "GRU") == 0 || strcmp(type, "RNN") == 0);
}

static bool try_style(const cs_layer *l, rnn_form *f, const char *style, bool (*reader)(const cs_layer *, rnn_form *))
{
    form_free(f);
    memset(f, 0, sizeof *f);
    f->style = style;
    if (reader(l, f)) {
        f->order = gate_order(f->gates, f->style);
        f->name = l->n_weights > 0 && l->weights[0].name ? l->weights[0].name : "";
        return true;
    }
    form_free(f);
    return false;
}

static bool read_layer(const cs_graph *g, int layer, rnn_form *f)
{
    const cs_layer *l = &g->layers[layer];
    memset(f, 0, sizeof *f);
    return try_style(l, f, "PyTorch", read_torch) || try_style(l, f, "Keras", read_keras) ||
           (is_rnn_op(l->type) && try_style(l, f, "ONNX", read_onnx));
}

typedef struct rnn_err {
    double max_abs, sum_abs;
    int64_t n;
    bool fp16_ok;
} rnn_err;

static void acc(rnn_err *e, double x, double y, double tol_rel)
{
    double d = fabs(x - y);
    if (d <= tol_rel * fmax(fabs(x), fabs(y)))
        d = 0; /* equal within the rounding of a sum stored in fp32 */
    e->max_abs = fmax(e->max_abs, d);
    e->sum_abs += d;
    e->n++;
    if (d > fabs(x) * 4.8828125e-4 + 6e-8) /* half an fp16 ulp, as for plain weights */
        e->fp16_ok = false;
}

static void cmp_block(rnn_err *e, const double *x, const double *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        acc(e, x[i], y[i], 0);
}

/* Biases: sums (one fp32 ulp of slack: a converter that adds the two halves rounds once), except a GRU's
 * candidate gate whose recurrent half sits inside the reset product when both sides keep it apart. */
static void cmp_bias(rnn_err *e, const rnn_form *fa, const rnn_cell *a, const rnn_cell *b)
{
    int64_t h = fa->hidden, gh = fa->gates * h;
    for (int64_t i = 0; i < gh; i++) {
        bool apart = fa->gates == 3 && i >= 2 * h && a->split && b->split;
        if (apart) {
            acc(e, a->bx[i], b->bx[i], 0);
            acc(e, a->bh[i], b->bh[i], 0);
        } else {
            acc(e, a->bx[i] + a->bh[i], b->bx[i] + b->bh[i], 1.2e-7);
        }
    }
}

/* Gate k of A equals gate p of B exactly in the input kernel of cell c (recurrent: in the recurrent kernel). */
static bool gate_equal(const rnn_form *fa, const rnn_form *fb, int c, int k, int p, bool recurrent)
{
    int64_t rows = fa->hidden * (recurrent ? fa->hidden : fa->in);
    const double *x = recurrent ? fa->cells[c].wh : fa->cells[c].wx, *y = recurrent ? fb->cells[c].wh : fb->cells[c].wx;
    return memcmp(x + k * rows, y + p * rows, (size_t)rows * sizeof(double)) == 0;
}

/* When the kernels differ only by gate order, names the mapping ("A's i,f,g,o are B's f,i,g,o"); `swap` (may
 * be NULL) gets the relation in words ("gate blocks f and o swapped"). */
static bool describe_gate_swap(const rnn_form *fa, const rnn_form *fb, char *out, size_t size, char *swap,
                               size_t swap_size)
{
    const char *const *names = fa->gates == 4 ? lstm_names : fa->gates == 3 ? gru_names : NULL;
    if (!names)
        return false;
    int p[RNN_MAX_GATES];
    bool moved = false;
    for (int k = 0; k < fa->gates; k++) {
        p[k] = -1;
        for (int j = 0; j < fa->gates && p[k] < 0; j++)
            if (gate_equal(fa, fb, 0, k, j, false))
                p[k] = j;
        if (p[k] < 0)
            return false;
        moved |= p[k] != k;
    }
    if (!moved)
        return false;
    int len = snprintf(out, size, "gate order differs: A's ");
    for (int k = 0; k < fa->gates; k++)
        len += snprintf(out + len, size > (size_t)len ? size - (size_t)len : 0, "%s%s", k ? "," : "", names[k]);
    len += snprintf(out + len, size > (size_t)len ? size - (size_t)len : 0, " are B's ");
    for (int k = 0; k < fa->gates; k++)
        len += snprintf(out + len, size > (size_t)len ? size - (size_t)len : 0, "%s%s", k ? "," : "", names[p[k]]);
    int moved_k[RNN_MAX_GATES], n_moved = 0;
    bool rec_too = true;
    for (int k = 0; k < fa->gates; k++) {
        if (p[k] != k)
            moved_k[n_moved++] = k;
        rec_too = rec_too && gate_equal(fa, fb, 0, k, p[k], true);
    }
    const char *where = rec_too ? "" : " in the input kernel";
    if (swap && n_moved == 2)
        snprintf(swap, swap_size, "gate blocks %s and %s swapped%s (%s gate order %s)", names[moved_k[0]],
                 names[moved_k[1]], where, fb->style, fb->order);
    else if (swap)
        snprintf(swap, swap_size, "gate blocks permuted%s, %s (%s gate order %s)", where,
                 out + strlen("gate order differs: "), fb->style, fb->order);
    return true;
}

/* The cause kind the recurrent weights imply, with its words (nothing when they agree). */
static void set_rnn_relation(const rnn_form *fa, const rnn_form *fb, cs_weight_cmp *out, const char *swap)
{
    const char *kind = NULL;
    char detail[sizeof out->relation_detail];
    if (out->code == CS_W_FP16) {
        kind = "weights_precision";
        snprintf(detail, sizeof detail, "rounded to fp16 (max abs %.3g)", out->max_abs);
    } else if (out->code == CS_W_DIFFERENT && swap[0]) {
        kind = "weights_layout";
        snprintf(detail, sizeof detail, "%s", swap);
    } else if (out->code == CS_W_DIFFERENT) {
        kind = "weights_different";
        snprintf(detail, sizeof detail, "max abs %.3g, mean abs %.4g", out->max_abs, out->mean_abs);
    }
    if (!kind)
        return;
    snprintf(out->relation, sizeof out->relation, "%s", kind);
    snprintf(out->relation_detail, sizeof out->relation_detail, "%s", detail);
    snprintf(out->tensor_a, sizeof out->tensor_a, "%s", fa->name ? fa->name : "");
    snprintf(out->tensor_b, sizeof out->tensor_b, "%s", fb->name ? fb->name : "");
}

static void describe(const rnn_form *fa, const rnn_form *fb, char *out, size_t size)
{
    const char *bias = fa->cells[0].split == fb->cells[0].split ? ""
                       : fa->cells[0].split ? "; A's two biases summed" : "; B's two biases summed";
    snprintf(out, size, "%s gates %s vs %s %s%s%s%s", fa->style, fa->order, fb->style, fb->order,
             fa->transposed ? "; A kernels transposed" : "", fb->transposed ? "; B kernels transposed" : "", bias);
}

static void compare_forms(const rnn_form *fa, const rnn_form *fb, cs_weight_cmp *out)
{
    out->compared = true;
    if (fa->gates != fb->gates || fa->hidden != fb->hidden || fa->in != fb->in || fa->n_cells != fb->n_cells) {
        cs_weight_set_status(out, CS_W_INCOMPARABLE);
        snprintf(out->alignment, sizeof out->alignment,
                 "recurrent shapes differ: A %d gates H=%lld In=%lld x%d, B %d gates H=%lld In=%lld x%d", fa->gates,
                 (long long)fa->hidden, (long long)fa->in, fa->n_cells, fb->gates, (long long)fb->hidden,
                 (long long)fb->in, fb->n_cells);
        return;
    }
    rnn_err e = {.fp16_ok = true};
    int64_t gh = fa->gates * fa->hidden;
    bool raw_same = strcmp(fa->style, fb->style) == 0;
    for (int c = 0; c < fa->n_cells; c++) {
        const rnn_cell *a = &fa->cells[c], *b = &fb->cells[c];
        cmp_block(&e, a->wx, b->wx, gh * fa->in);
        cmp_block(&e, a->wh, b->wh, gh * fa->hidden);
        cmp_bias(&e, fa, a, b);
        raw_same &= a->split == b->split && memcmp(a->bx, b->bx, (size_t)gh * sizeof(double)) == 0;
    }
    out->max_abs = e.max_abs;
    out->mean_abs = e.n ? e.sum_abs / (double)e.n : 0;
    out->n_tensors = fa->n_cells * 3;
    cs_weight_status status = e.max_abs == 0 ? (raw_same ? CS_W_IDENTICAL : CS_W_IDENTICAL_LAYOUT)
                            : e.fp16_ok ? CS_W_FP16 : CS_W_DIFFERENT;
    cs_weight_set_status(out, status);
    char swap[sizeof out->relation_detail] = "";
    if (status != CS_W_DIFFERENT ||
        !describe_gate_swap(fa, fb, out->alignment, sizeof out->alignment, swap, sizeof swap))
        describe(fa, fb, out->alignment, sizeof out->alignment);
    set_rnn_relation(fa, fb, out, swap);
}

/* The first of the layers with a recurrent form in f: its index, or -1. */
static int first_form(const cs_graph *g, const int *layers, int n, rnn_form *f)
{
    for (int i = 0; i < n; i++)
        if (read_layer(g, layers[i], f))
            return layers[i];
    return -1;
}

/* A decomposed LSTM cell as a form: kernels [In, 4H] and [H, 4H] (stored transposed), the gate order the cell's
 * data flow gave, the constant bias terms summed. */
static bool read_unrolled(const cs_graph *g, const cs_rnn_unrolled *u, rnn_form *f)
{
    static const char *const gate[4] = {"i", "f", "g", "o"};
    memset(f, 0, sizeof *f);
    f->style = "decomposed cell";
    f->gates = 4, f->hidden = u->hidden, f->in = u->in, f->transposed = !u->w_gates_first;
    int len = 0;
    for (int k = 0; k < 4; k++)
        f->map_buf[k] = u->chunk_of[k];
    for (int part = 0; part < 4; part++)
        for (int k = 0; k < 4; k++)
            if (u->chunk_of[k] == part)
                len += snprintf(f->order_buf + len, sizeof f->order_buf - (size_t)len, "%s%s", part ? "," : "",
                                gate[k]);
    f->map = f->map_buf, f->order = f->order_buf;
    f->name = g->values[u->w_value].name;
    f->n_cells = 1;
    rnn_cell *c = &f->cells[0];
    c->wx = gather_matrix(g->values[u->w_value].data, 0, f, f->in, !u->w_gates_first);
    c->wh = gather_matrix(g->values[u->r_value].data, 0, f, f->hidden, !u->r_gates_first);
    c->bx = gather_bias(NULL, 0, f);
    c->bh = gather_bias(NULL, 0, f);
    if (!c->wx || !c->wh || !c->bx || !c->bh) {
        form_free(f);
        return false;
    }
    for (int b = 0; b < u->n_bias; b++) {
        double *t = gather_bias(g->values[u->bias_values[b]].data, 0, f);
        if (!t) {
            form_free(f);
            return false;
        }
        for (int64_t j = 0; j < 4 * f->hidden; j++)
            c->bx[j] += t[j];
        free(t);
    }
    return true;
}

/* A layer that holds a recurrent layer as its format writes one: an RNN node, or weights that read as one (a
 * Gemm of a decomposed cell holding only weight_ih does not). */
static bool is_recurrent_layer(const cs_graph *g, int layer)
{
    const cs_layer *l = &g->layers[layer];
    if (is_rnn_op(l->type))
        return true;
    bool named = false;
    for (int w = 0; w < l->n_weights && !named; w++)
        named = l->weights[w].name && (torch_ih(l->weights[w].name) || leaf_is(l->weights[w].name, "recurrent_kernel"));
    rnn_form f = {0};
    bool ok = named && read_layer(g, layer, &f);
    form_free(&f);
    return ok;
}

typedef struct rnn_unit {
    int key;   /* position in the graph: first node (or the layer index in a weights-only file) */
    int layer; /* a recurrent layer, or -1 */
    int cell;  /* index of a decomposed cell, or -1 */
} rnn_unit;

static int unit_cmp(const void *x, const void *y)
{
    return ((const rnn_unit *)x)->key - ((const rnn_unit *)y)->key;
}

/* The recurrent units of g in graph order: recurrent layers and decomposed cells (time steps sharing W and R
 * count once). cells gets the decomposed cells. Returns the count, -1 when there are too many. */
static int units_of(const cs_graph *g, rnn_unit *units, cs_rnn_unrolled *cells, int *n_cells)
{
    int n = 0;
    for (int l = 0; l < g->n_layers; l++)
        if (is_recurrent_layer(g, l)) {
            if (n >= RNN_MAX_UNITS)
                return -1;
            const cs_layer *ly = &g->layers[l];
            units[n++] = (rnn_unit){ly->n_nodes > 0 ? ly->nodes[0] : l, l, -1};
        }
    *n_cells = g->weights_only ? 0 : cs_rnn_unrolled_find(g, cells, RNN_MAX_UNITS);
    for (int c = 0; c < *n_cells; c++) {
        bool seen = false;
        for (int k = 0; k < c && !seen; k++)
            seen = cells[k].w_value == cells[c].w_value && cells[k].r_value == cells[c].r_value;
        if (seen)
            continue;
        if (n >= RNN_MAX_UNITS)
            return -1;
        units[n++] = (rnn_unit){cells[c].first_node, -1, c};
    }
    qsort(units, (size_t)n, sizeof *units, unit_cmp);
    return n;
}

/* Gates, hidden and input size of a unit (0s when its layer cannot be read). */
static void unit_shape(const cs_graph *g, const rnn_unit *u, const cs_rnn_unrolled *cells, int64_t shape[3])
{
    shape[0] = shape[1] = shape[2] = 0;
    if (u->cell >= 0) {
        shape[0] = 4, shape[1] = cells[u->cell].hidden, shape[2] = cells[u->cell].in;
        return;
    }
    rnn_form f = {0};
    if (read_layer(g, u->layer, &f))
        shape[0] = f.gates, shape[1] = f.hidden, shape[2] = f.in;
    form_free(&f);
}

/* Where the units of the shorter list sit in the longer one: 0 when both are as long, else the one offset at
 * which every unit of the shorter has the shape of its place in the longer (a file holding part of a model);
 * -1 when there is none or more than one. */
static int window(const cs_graph *gs, const rnn_unit *us, const cs_rnn_unrolled *cs, int ns, const cs_graph *gl,
                  const rnn_unit *ul, const cs_rnn_unrolled *cl, int nl)
{
    if (ns == nl)
        return 0;
    int found = -1;
    for (int d = 0; d + ns <= nl; d++) {
        bool fits = true;
        for (int i = 0; i < ns && fits; i++) {
            int64_t x[3], y[3];
            unit_shape(gs, &us[i], cs, x);
            unit_shape(gl, &ul[i + d], cl, y);
            fits = x[0] && memcmp(x, y, sizeof x) == 0;
        }
        if (fits && found >= 0)
            return -1;
        if (fits)
            found = d;
    }
    return found;
}

typedef struct rnn_units {
    rnn_unit u[RNN_MAX_UNITS];
    cs_rnn_unrolled cells[RNN_MAX_UNITS];
    int n, n_cells;
} rnn_units;

/* The place in o of unit i of k (-1 when none): the same place, or shifted by the window of agreeing shapes. */
static int place(const cs_graph *gk, const rnn_units *k, const cs_graph *go, const rnn_units *o, int i)
{
    if (k->n <= 0 || o->n <= 0)
        return -1;
    int d = o->n <= k->n ? window(go, o->u, o->cells, o->n, gk, k->u, k->cells, k->n)
                         : window(gk, k->u, k->cells, k->n, go, o->u, o->cells, o->n);
    int j = d < 0 ? -1 : o->n <= k->n ? i - d : i + d;
    return j >= 0 && j < o->n ? j : -1;
}

/* The counterpart in `other` of recurrent layer `layer` of `known`: the decomposed cell at its place in the
 * order of recurrent units. Fills f; false when there is none. */
static bool decomposed_counterpart(const cs_graph *other, const cs_graph *known, int layer, rnn_form *f)
{
    rnn_units *k = malloc(sizeof *k), *o = malloc(sizeof *o);
    bool ok = false;
    if (k && o) {
        k->n = units_of(known, k->u, k->cells, &k->n_cells);
        o->n = units_of(other, o->u, o->cells, &o->n_cells);
        for (int i = 0; i < k->n && o->n_cells > 0; i++)
            if (k->u[i].layer == layer) {
                int j = place(known, k, other, o, i);
                ok = j >= 0 && o->u[j].cell >= 0 && read_unrolled(other, &o->cells[o->u[j].cell], f);
                break;
            }
    }
    free(k), free(o);
    return ok;
}

/* The layers holding the nodes of cell c and of every time step sharing its kernels. */
static void cell_layers(const cs_graph *g, const rnn_units *s, int c, cs_rnn_link *l)
{
    for (int k = 0; k < s->n_cells; k++) {
        if (s->cells[k].w_value != s->cells[c].w_value || s->cells[k].r_value != s->cells[c].r_value)
            continue;
        for (int n = 0; n < s->cells[k].n_nodes; n++) {
            int layer = g->nodes[s->cells[k].nodes[n]].layer;
            bool seen = layer < 0;
            for (int j = 0; j < l->n_cell_layers && !seen; j++)
                seen = l->cell_layers[j] == layer;
            if (!seen && l->n_cell_layers < CS_RNN_LINK_MAX_LAYERS)
                l->cell_layers[l->n_cell_layers++] = layer;
        }
    }
}

/* Links from the recurrent layers of k to the decomposed cells of o. */
static int links_from(const cs_graph *gk, const rnn_units *k, const cs_graph *go, const rnn_units *o, bool cell_in_a,
                      cs_rnn_link *out, int max)
{
    int n = 0;
    for (int i = 0; i < k->n && n < max && o->n_cells > 0; i++) {
        int j = k->u[i].layer >= 0 ? place(gk, k, go, o, i) : -1;
        if (j < 0 || o->u[j].cell < 0)
            continue;
        cs_rnn_link *l = &out[n++];
        l->cell_in_a = cell_in_a, l->layer = k->u[i].layer, l->n_cell_layers = 0;
        cell_layers(go, o, o->u[j].cell, l);
    }
    return n;
}

int cs_rnn_links(const cs_graph *a, const cs_graph *b, cs_rnn_link *out, int max)
{
    cs_rnn_unrolled *probe = malloc(sizeof *probe);
    bool cells = probe && (cs_rnn_unrolled_find(a, probe, 1) > 0 || cs_rnn_unrolled_find(b, probe, 1) > 0);
    free(probe);
    if (!cells) /* the usual case: nothing written out as cells, no layer read */
        return 0;
    rnn_units *ua = malloc(sizeof *ua), *ub = malloc(sizeof *ub);
    int n = 0;
    if (ua && ub) {
        ua->n = units_of(a, ua->u, ua->cells, &ua->n_cells);
        ub->n = units_of(b, ub->u, ub->cells, &ub->n_cells);
        n = links_from(a, ua, b, ub, false, out, max);
        n += links_from(b, ub, a, ua, true, out + n, max - n);
    }
    free(ua), free(ub);
    return n;
}

bool cs_rnn_weights_compare(const cs_graph *a, const int *layers_a, int n_a, const cs_graph *b, const int *layers_b,
                            int n_b, cs_weight_cmp *out)
{
    rnn_form fa = {0}, fb = {0};
    int la = first_form(a, layers_a, n_a, &fa), lb = first_form(b, layers_b, n_b, &fb);
    bool ok = (la >= 0 || (lb >= 0 && decomposed_counterpart(a, b, lb, &fa))) &&
              (lb >= 0 || (la >= 0 && decomposed_counterpart(b, a, la, &fb)));
    if (ok) {
        memset(out, 0, sizeof *out);
        compare_forms(&fa, &fb, out);
    }
    form_free(&fa); /* safe on a form that was never filled: its cells are zero */
    form_free(&fb);
    return ok;
}

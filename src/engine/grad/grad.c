/* grad.c — reverse-mode differentiation over the IR: a forward run whose observer keeps every value
 * (the tape), a seed from the loss, then the nodes in reverse order with gradients summed per value. */
#include "grad.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grad_ops.h"

typedef struct tape {
    const cs_graph *g;
    const cs_tensor *const *inputs;
    cs_tensor **vals;   /* per value: forward tensor kept by the observer (owned) */
    bool *req;          /* per value: depends on the differentiated input and is float */
    cs_tensor **grads;  /* per value: gradient accumulated so far (owned, f32) */
    int input_value;
    bool failed;
} tape;

/* The backward of an op is its registry row (ops/ tables); ops of other domains have none here. */
static cs_grad_fn backward_of(const char *domain, const char *op)
{
    const cs_op_def *def = domain[0] ? NULL : cs_ops_find(domain, op);
    return def ? def->backward : NULL;
}

int cs_grad_supported(const char *op)
{
    return backward_of("", op) != NULL;
}

static const cs_tensor *value_of(const tape *tp, int v)
{
    if (v < 0)
        return NULL;
    if (tp->g->values[v].data)
        return tp->g->values[v].data;
    for (int i = 0; i < tp->g->n_inputs; i++)
        if (tp->g->inputs[i] == v)
            return tp->inputs[i];
    return tp->vals[v];
}

static void keep_value(void *user, const cs_graph *g, int node, int value, const cs_tensor *t)
{
    tape *tp = user;
    const cs_node *nd = &g->nodes[node];
    bool any = false;
    for (int i = 0; i < nd->n_inputs; i++)
        any |= nd->inputs[i] >= 0 && tp->req[nd->inputs[i]];
    tp->req[value] = any && cs_dtype_is_float(t->dtype);
    if (!tp->vals[value] && !(tp->vals[value] = cs_tensor_clone(t, NULL)))
        tp->failed = true;
}

static void tape_free(tape *tp)
{
    for (int v = 0; v < tp->g->n_values; v++) {
        if (tp->vals)
            cs_tensor_free(tp->vals[v]);
        if (tp->grads)
            cs_tensor_free(tp->grads[v]);
    }
    free(tp->vals);
    free(tp->req);
    free(tp->grads);
}

static cs_status forward(tape *tp, const cs_plan *plan, int input, volatile int *cancel, cs_grad_result *res,
                         cs_error *err)
{
    const cs_graph *g = tp->g;
    if (input < 0 || input >= g->n_inputs)
        return cs_error_set(err, CS_ERR_ARG, "%s: the model has no input number %d", g->path, input);
    if (!tp->inputs[input] || tp->inputs[input]->dtype != CS_DT_F32)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: gradients need an f32 input", g->path);
    tp->vals = calloc((size_t)g->n_values + 1, sizeof *tp->vals);
    tp->req = calloc((size_t)g->n_values + 1, sizeof *tp->req);
    tp->grads = calloc((size_t)g->n_values + 1, sizeof *tp->grads);
    res->outputs = calloc((size_t)g->n_outputs + 1, sizeof *res->outputs);
    res->n_outputs = g->n_outputs;
    if (!tp->vals || !tp->req || !tp->grads || !res->outputs)
        return cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory for the gradient tape", g->path);
    tp->input_value = g->inputs[input];
    tp->req[tp->input_value] = true;
    cs_exec_opts eo = {keep_value, tp, cancel};
    cs_status st = cs_exec_run(g, plan, tp->inputs, res->outputs, &eo, NULL, err);
    if (st == CS_OK && tp->failed)
        st = cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory keeping activations", g->path);
    return st;
}

/* grads[v] += *t (takes ownership of *t). */
static cs_status accumulate(tape *tp, int v, cs_tensor **t, cs_error *err)
{
    if (!tp->grads[v]) {
        tp->grads[v] = *t;
        *t = NULL;
        return CS_OK;
    }
    if (cs_tensor_numel(tp->grads[v]) != cs_tensor_numel(*t))
        return cs_error_set(err, CS_ERR_SHAPE, "%s: gradient of '%s' has inconsistent shapes", tp->g->path,
                            tp->g->values[v].name);
    float *d = tp->grads[v]->data;
    const float *s = (*t)->data;
    for (int64_t i = 0; i < cs_tensor_numel(*t); i++)
        d[i] += s[i];
    cs_tensor_free(*t);
    *t = NULL;
    return CS_OK;
}

static bool node_active(const tape *tp, const cs_node *nd)
{
    bool has_grad = false, has_req = false;
    for (int o = 0; o < nd->n_outputs; o++)
        has_grad |= nd->outputs[o] >= 0 && tp->grads[nd->outputs[o]] != NULL;
    for (int i = 0; i < nd->n_inputs; i++)
        has_req |= nd->inputs[i] >= 0 && tp->req[nd->inputs[i]];
    return has_grad && has_req;
}

#define MAX_IO 64

static cs_status backward_node(tape *tp, int n, cs_error *err)
{
    const cs_graph *g = tp->g;
    const cs_node *nd = &g->nodes[n];
    if (nd->n_inputs > MAX_IO || nd->n_outputs > MAX_IO)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: node '%s' has too many inputs", g->path, nd->name);
    cs_grad_fn fn = backward_of(nd->domain, nd->op);
    if (!fn)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: no gradient for op '%s' (node '%s')", g->path, nd->op,
                            nd->name);
    const cs_tensor *in[MAX_IO], *out[MAX_IO], *dout[MAX_IO];
    bool need[MAX_IO];
    cs_tensor *din[MAX_IO] = {0};
    for (int i = 0; i < nd->n_inputs; i++) {
        in[i] = value_of(tp, nd->inputs[i]);
        need[i] = nd->inputs[i] >= 0 && tp->req[nd->inputs[i]];
    }
    for (int o = 0; o < nd->n_outputs; o++) {
        out[o] = value_of(tp, nd->outputs[o]);
        dout[o] = nd->outputs[o] >= 0 ? tp->grads[nd->outputs[o]] : NULL;
    }
    cs_grad_ctx ctx = {g, nd, g->opset, in, nd->n_inputs, out, nd->n_outputs, dout, need, din, err};
    cs_status st = fn(&ctx);
    for (int i = 0; i < nd->n_inputs; i++) {
        if (st == CS_OK && din[i] && need[i])
            st = accumulate(tp, nd->inputs[i], &din[i], err);
        cs_tensor_free(din[i]);
    }
    if (st != CS_OK)
        cs_error_prefix(err, "%s: ", g->path);
    for (int o = 0; o < nd->n_outputs; o++)
        if (nd->outputs[o] >= 0 && nd->outputs[o] != tp->input_value) {
            cs_tensor_free(tp->grads[nd->outputs[o]]);
            tp->grads[nd->outputs[o]] = NULL;
        }
    return st;
}

static cs_status backward(tape *tp, const cs_plan *plan, int skip_node, volatile int *cancel, cs_grad_result *res,
                          cs_error *err)
{
    const cs_graph *g = tp->g;
    cs_status st = CS_OK;
    for (int p = plan->n_order - 1; st == CS_OK && p >= 0; p--) {
        int n = plan->order[p];
        if (cancel && *cancel)
            return cs_error_set(err, CS_ERR_CANCELLED, "%s: gradient cancelled", g->path);
        if (n != skip_node && node_active(tp, &g->nodes[n]))
            st = backward_node(tp, n, err);
    }
    if (st != CS_OK)
        return st;
    int v = tp->input_value;
    if (tp->grads[v]) {
        res->grad = tp->grads[v];
        tp->grads[v] = NULL;
        return CS_OK;
    }
    res->grad = cs_tensor_new_like(value_of(tp, v), CS_DT_F32, err);
    return res->grad ? CS_OK : err->status;
}

/* ---- losses ---- */

static int64_t rows_of(const cs_tensor *t)
{
    return t->rank >= 2 ? t->dims[0] : 1;
}

static bool rows_are_probabilities(const cs_tensor *t)
{
    int64_t rows = rows_of(t), C = rows ? cs_tensor_numel(t) / rows : 0;
    for (int64_t r = 0; r < rows; r++) {
        double s = 0;
        for (int64_t c = 0; c < C; c++) {
            double p = cs_tensor_get_f64(t, r * C + c);
            if (!(p >= 0 && p <= 1))
                return false;
            s += p;
        }
        if (fabs(s - 1) > 1e-3)
            return false;
    }
    return rows > 0 && C > 1;
}

static cs_loss_kind resolve_kind(const cs_graph *g, const cs_tensor *out, int value, cs_loss_kind kind)
{
    if (kind != CS_LOSS_AUTO)
        return kind;
    int p = g->values[value].producer;
    if (p >= 0 && strcmp(g->nodes[p].op, "Softmax") == 0)
        return CS_LOSS_PROBS;
    if (p >= 0 && strcmp(g->nodes[p].op, "LogSoftmax") == 0)
        return CS_LOSS_LOGPROBS;
    return rows_are_probabilities(out) ? CS_LOSS_PROBS : CS_LOSS_LOGITS;
}

/* The Softmax producing `value` when it normalises the last axis (so p - onehot is its input's gradient). */
static int foldable_softmax(const cs_graph *g, int value, const cs_tensor *out)
{
    int p = g->values[value].producer;
    if (p < 0 || strcmp(g->nodes[p].op, "Softmax") != 0 || g->nodes[p].domain[0])
        return -1;
    int64_t axis = cs_attrs_int(&g->nodes[p].attrs, "axis", g->opset < 13 ? 1 : -1);
    if (axis < 0)
        axis += out->rank;
    return axis == out->rank - 1 || (out->rank <= 1 && axis == 0) ? p : -1;
}

/* Builds the seed d loss / d (output or softmax input) and the summed loss. */
static cs_status ce_seed(const cs_tensor *out, const int64_t *labels, cs_loss_kind kind, bool folded, cs_tensor **seed,
                         double *loss, cs_error *err)
{
    int64_t rows = rows_of(out), C = rows ? cs_tensor_numel(out) / rows : 0;
    if (!(*seed = cs_tensor_new(CS_DT_F32, out->rank, out->dims, err)))
        return err->status;
    float *s = (*seed)->data;
    *loss = 0;
    for (int64_t r = 0; r < rows; r++) {
        int64_t y = labels[r], base = r * C;
        if (y < 0 || y >= C)
            return cs_error_set(err, CS_ERR_ARG, "label %lld is outside the %lld classes", (long long)y, (long long)C);
        if (kind == CS_LOSS_LOGPROBS) {
            s[base + y] = -1;
            *loss -= cs_tensor_get_f64(out, base + y);
        } else if (kind == CS_LOSS_PROBS && !folded) {
            double p = fmax(cs_tensor_get_f64(out, base + y), 1e-12);
            s[base + y] = (float)(-1 / p);
            *loss -= log(p);
        } else {
            double mx = -INFINITY, sum = 0;
            for (int64_t c = 0; c < C; c++)
                mx = fmax(mx, cs_tensor_get_f64(out, base + c));
            for (int64_t c = 0; c < C; c++)
                sum += folded ? cs_tensor_get_f64(out, base + c) : exp(cs_tensor_get_f64(out, base + c) - mx);
            for (int64_t c = 0; c < C; c++) {
                double p = folded ? cs_tensor_get_f64(out, base + c) / sum
                                  : exp(cs_tensor_get_f64(out, base + c) - mx) / sum;
                s[base + c] = (float)(p - (c == y));
            }
            *loss += folded ? -log(fmax(cs_tensor_get_f64(out, base + y) / sum, 1e-12))
                            : mx + log(sum) - cs_tensor_get_f64(out, base + y);
        }
    }
    return CS_OK;
}

void cs_grad_result_free(cs_grad_result *res)
{
    if (!res)
        return;
    cs_tensor_free(res->grad);
    for (int i = 0; res->outputs && i < res->n_outputs; i++)
        cs_tensor_free(res->outputs[i]);
    free(res->outputs);
    memset(res, 0, sizeof *res);
}

static cs_status check_output(const cs_graph *g, int output, cs_error *err)
{
    if (output < 0 || output >= g->n_outputs)
        return cs_error_set(err, CS_ERR_ARG, "%s: the model has no output number %d", g->path, output);
    return CS_OK;
}

cs_status cs_grad_cross_entropy(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *inputs, int input,
                                int output, const int64_t *labels, cs_loss_kind kind, volatile int *cancel,
                                cs_grad_result *res, cs_error *err)
{
    memset(res, 0, sizeof *res);
    tape tp = {g, inputs, NULL, NULL, NULL, -1, false};
    cs_status st = check_output(g, output, err);
    if (st == CS_OK)
        st = forward(&tp, plan, input, cancel, res, err);
    cs_tensor *seed = NULL;
    int value = g->outputs[output], skip = -1;
    if (st == CS_OK) {
        const cs_tensor *out = res->outputs[output];
        res->kind = resolve_kind(g, out, value, kind);
        skip = res->kind == CS_LOSS_PROBS ? foldable_softmax(g, value, out) : -1;
        st = ce_seed(out, labels, res->kind, skip >= 0, &seed, &res->loss, err);
    }
    if (st == CS_OK) {
        int at = skip >= 0 ? g->nodes[skip].inputs[0] : value;
        if (at == tp.input_value || !tp.req[at]) {
            res->grad = at == tp.input_value ? seed : cs_tensor_new_like(inputs[input], CS_DT_F32, err);
            seed = at == tp.input_value ? NULL : seed;
            st = res->grad ? CS_OK : err->status;
        } else {
            tp.grads[at] = seed;
            seed = NULL;
            st = backward(&tp, plan, skip, cancel, res, err);
        }
    }
    cs_tensor_free(seed);
    tape_free(&tp);
    if (st != CS_OK)
        cs_grad_result_free(res);
    return st;
}

cs_status cs_grad_seeded(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *inputs, int input,
                         int output, const cs_tensor *seed, cs_grad_result *res, cs_error *err)
{
    memset(res, 0, sizeof *res);
    tape tp = {g, inputs, NULL, NULL, NULL, -1, false};
    cs_status st = check_output(g, output, err);
    if (st == CS_OK)
        st = forward(&tp, plan, input, NULL, res, err);
    int value = st == CS_OK ? g->outputs[output] : -1;
    if (st == CS_OK && cs_tensor_numel(seed) != cs_tensor_numel(res->outputs[output]))
        st = cs_error_set(err, CS_ERR_SHAPE, "%s: the seed does not match output %d", g->path, output);
    if (st == CS_OK && !(tp.grads[value] = cs_tensor_cast(seed, CS_DT_F32, err)))
        st = err->status;
    for (int64_t i = 0; st == CS_OK && i < cs_tensor_numel(seed); i++)
        res->loss += cs_tensor_get_f64(seed, i) * cs_tensor_get_f64(res->outputs[output], i);
    if (st == CS_OK && value == tp.input_value) {
        res->grad = tp.grads[value];
        tp.grads[value] = NULL;
    } else if (st == CS_OK) {
        st = backward(&tp, plan, -1, NULL, res, err);
    }
    tape_free(&tp);
    if (st != CS_OK)
        cs_grad_result_free(res);
    return st;
}

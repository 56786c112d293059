/* registry.c — the op table: every op family file exports one NULL-terminated cs_op_def array,
 * listed here once; lookup is by domain and op name, and a node's outputs inferred by its op's row. */
#include "registry.h"

#include <string.h>

static const cs_op_def *const families[] = {
    cs_ops_math, cs_ops_activation, cs_ops_softmax, cs_ops_conv, cs_ops_matmul, cs_ops_pool,
    cs_ops_norm, cs_ops_quant, cs_ops_shape, cs_ops_index, cs_ops_reduce, cs_ops_resize, cs_ops_misc,
    cs_ops_ext, cs_ops_coreml, cs_ops_mil, cs_ops_keras,
    cs_ops_rnn, cs_ops_control, cs_ops_optional, cs_ops_sequence, cs_ops_text, cs_ops_regex, cs_ops_recent,
};

#define N_FAMILIES (sizeof families / sizeof families[0])

static bool default_domain(const char *domain)
{
    return !domain || !*domain || strcmp(domain, "ai.onnx") == 0;
}

const cs_op_def *cs_ops_find(const char *domain, const char *op)
{
    /* Ops of convscope's own domain ("convscope") live in cs_ops_ext; their names never clash. */
    bool ours = domain && strcmp(domain, "convscope") == 0;
    if (domain && strcmp(domain, "ai.onnx.preview.training") == 0) {
        for (const cs_op_def *d = cs_ops_training; d->name; d++)
            if (strcmp(d->name, op) == 0)
                return d;
        return NULL;
    }
    if (!default_domain(domain) && !ours)
        return NULL;
    for (size_t f = 0; f < N_FAMILIES; f++)
        for (const cs_op_def *d = families[f]; d->name; d++)
            if (strcmp(d->name, op) == 0)
                return d;
    return NULL;
}

int cs_ops_count(void)
{
    int n = 0;
    for (size_t f = 0; f < N_FAMILIES; f++)
        for (const cs_op_def *d = families[f]; d->name; d++)
            n++;
    return n;
}

const cs_op_def *cs_ops_at(int i)
{
    for (size_t f = 0; f < N_FAMILIES; f++)
        for (const cs_op_def *d = families[f]; d->name; d++)
            if (i-- == 0)
                return d;
    return NULL;
}

cs_status cs_infer_node(const cs_graph *g, int n, const cs_shape *in, cs_shape *out, cs_error *err)
{
    const cs_node *node = &g->nodes[n];
    const cs_op_def *def = cs_ops_find(node->domain, node->op);
    if (!def || !def->infer)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: node '%s': no shape inference for op '%s'", g->path,
                            node->name, node->op);
    const cs_tensor *known[64] = {0};
    if (node->n_inputs > 64 || node->n_outputs > 64)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: node '%s' has too many inputs", g->path, node->name);
    for (int i = 0; i < node->n_inputs; i++)
        known[i] = node->inputs[i] >= 0 ? g->values[node->inputs[i]].data : NULL;
    for (int o = 0; o < node->n_outputs; o++)
        out[o] = (cs_shape){CS_DT_UNDEFINED, -1, {0}};
    cs_infer_ctx ctx = {g, node, in, known, node->n_inputs, out, node->n_outputs, g->opset, err};
    return def->infer(&ctx);
}

cs_status cs_infer_outputs(cs_graph *g, int n, cs_error *err)
{
    const cs_node *node = &g->nodes[n];
    cs_shape in[64], out[64];
    if (node->n_inputs > 64 || node->n_outputs > 64)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: node '%s' has too many inputs", g->path, node->name);
    for (int i = 0; i < node->n_inputs; i++) {
        const cs_value *v = node->inputs[i] >= 0 ? &g->values[node->inputs[i]] : NULL;
        in[i] = (cs_shape){v ? v->dtype : CS_DT_UNDEFINED, v && v->rank <= CS_MAX_RANK ? v->rank : -1, {0}};
        for (int d = 0; d < in[i].rank; d++)
            in[i].dims[d] = v->dims[d];
    }
    cs_status st = cs_infer_node(g, n, in, out, err);
    for (int o = 0; st == CS_OK && o < node->n_outputs; o++) {
        cs_value *v = node->outputs[o] >= 0 ? &g->values[node->outputs[o]] : NULL;
        if (!v || out[o].rank < 0)
            continue;
        if (out[o].dtype != CS_DT_UNDEFINED)
            v->dtype = out[o].dtype;
        v->rank = out[o].rank;
        memcpy(v->dims, out[o].dims, sizeof(int64_t) * (size_t)out[o].rank);
    }
    return st;
}

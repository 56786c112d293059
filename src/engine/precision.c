/* precision.c — fp16 compute emulation: node outputs rounded through half precision (round to nearest even)
 * when the graph runs in fp16, or where the model declares fp16 values and runs in its own precision. */
#include "precision.h"

#include <string.h>

static cs_precision default_precision = CS_PREC_MODEL;

bool cs_precision_parse(const char *s, cs_precision *out)
{
    if (!s)
        return false;
    if (strcmp(s, "fp32") == 0)
        *out = CS_PREC_FP32;
    else if (strcmp(s, "fp16") == 0)
        *out = CS_PREC_FP16;
    else if (strcmp(s, "model") == 0)
        *out = CS_PREC_MODEL;
    else
        return false;
    return true;
}

void cs_precision_set_default(cs_precision p)
{
    default_precision = p;
}

void cs_precision_apply(cs_graph *g)
{
    g->precision = default_precision;
}

bool cs_precision_rounds(const cs_graph *g, int v)
{
    if (v < 0 || v >= g->n_values)
        return false;
    return g->precision == CS_PREC_FP16 || (g->precision == CS_PREC_MODEL && g->values[v].fp16);
}

static void round_tensor(cs_tensor *t)
{
    if (!t || t->dtype != CS_DT_F32)
        return;
    float *d = t->data;
    int64_t n = cs_tensor_numel(t);
    for (int64_t i = 0; i < n; i++)
        d[i] = cs_f16_to_f32(cs_f32_to_f16(d[i]));
}

void cs_precision_round_outputs(const cs_graph *g, const cs_node *node, cs_tensor *const *outs)
{
    if (g->precision == CS_PREC_FP32)
        return;
    for (int o = 0; o < node->n_outputs; o++)
        if (outs[o] && cs_precision_rounds(g, node->outputs[o]))
            round_tensor(outs[o]);
}

static bool declares_fp16(const cs_graph *g)
{
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].fp16)
            return true;
    return false;
}

const char *cs_precision_describe(const cs_graph *g)
{
    switch (g->precision) {
    case CS_PREC_FP32: return "fp32";
    case CS_PREC_FP16: return "fp16";
    default: return declares_fp16(g) ? "fp16 (declared by the model)" : "fp32 (the model declares no fp16)";
    }
}

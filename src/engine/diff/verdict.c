/* verdict.c — the one place that turns a diff's figures into verdicts: per pair, faulty vs inherited, and
 * overall. Every client (CLI, explorer, reports) calls these instead of testing the raw statistics. */
#include "verdict.h"

#include <math.h>

cs_pair_verdict cs_pair_verdict_of(const cs_diff_result *r, int pair)
{
    const cs_layer_diff *ld = &r->layers[pair];
    switch (ld->status) {
    case CS_LAYER_OK: return CS_PAIR_OK;
    case CS_LAYER_INHERITED: return CS_PAIR_INHERITED;
    case CS_LAYER_PRECISION: return ld->within ? CS_PAIR_PRECISION : CS_PAIR_DIVERGE; /* --strict */
    case CS_LAYER_FAULTY: return CS_PAIR_DIVERGE;
    case CS_LAYER_SHAPES: return CS_PAIR_SHAPES_DIFFER;
    case CS_LAYER_B_FAILED: return CS_PAIR_B_FAILS;
    case CS_LAYER_WEIGHTS_DIFFER: return CS_PAIR_WEIGHTS_DIFFER;
    case CS_LAYER_UNCOMPARED: break;
    }
    if (!r->ran)
        return CS_PAIR_OK;
    return ld->a_value < 0 || ld->b_value < 0 ? CS_PAIR_NO_OUTPUT : CS_PAIR_INCOMPARABLE;
}

const char *cs_pair_verdict_name(cs_pair_verdict v)
{
    switch (v) {
    case CS_PAIR_OK: return "ok";
    case CS_PAIR_DIVERGE:
    case CS_PAIR_SHAPES_DIFFER:
    case CS_PAIR_B_FAILS: return "DIVERGE";
    case CS_PAIR_NO_OUTPUT: return "no output";
    case CS_PAIR_INCOMPARABLE: return "incomparable";
    case CS_PAIR_WEIGHTS_DIFFER: return "weights differ";
    case CS_PAIR_INHERITED: return "inherited";
    case CS_PAIR_PRECISION: return "precision";
    }
    return "?";
}

bool cs_pair_verdict_diverges(cs_pair_verdict v)
{
    return v == CS_PAIR_DIVERGE || v == CS_PAIR_SHAPES_DIFFER || v == CS_PAIR_B_FAILS || v == CS_PAIR_WEIGHTS_DIFFER;
}

cs_blame cs_pair_blame(const cs_diff_result *r, int pair)
{
    const cs_layer_diff *ld = &r->layers[pair];
    cs_pair_verdict v = cs_pair_verdict_of(r, pair);
    if (v == CS_PAIR_INHERITED)
        return CS_BLAME_INHERITED;
    if (!cs_pair_verdict_diverges(v) || v == CS_PAIR_WEIGHTS_DIFFER)
        return CS_BLAME_NONE;
    if (!ld->local.compared)
        return CS_BLAME_UNKNOWN;
    return ld->status == CS_LAYER_FAULTY || ld->status == CS_LAYER_PRECISION ? CS_BLAME_FAULTY : CS_BLAME_INHERITED;
}

const char *cs_blame_name(cs_blame b)
{
    switch (b) {
    case CS_BLAME_FAULTY: return "the layer itself is faulty";
    case CS_BLAME_INHERITED: return "inherited from earlier layers";
    case CS_BLAME_UNKNOWN: return "not isolated";
    case CS_BLAME_NONE: break;
    }
    return "";
}

cs_verdict cs_diff_verdict(const cs_diff_result *r)
{
    return r->verdict;
}

const char *cs_verdict_name(cs_verdict v)
{
    switch (v) {
    case CS_VERDICT_MATCH: return "match";
    case CS_VERDICT_DIVERGE: return "diverge";
    case CS_VERDICT_PRECISION: return "precision";
    }
    return "?";
}

double cs_noise_floor(double response, double rho, double k, double unit, double ref_scale)
{
    if (!(rho > 0) || !isfinite(response))
        return 4 * unit * ref_scale;
    return 4 * sqrt(k < 1 ? 1 : k) * (unit / rho) * response + 4 * unit * ref_scale;
}

bool cs_weights_precision(const cs_weight_cmp *w)
{
    return w->compared && (w->code == CS_W_FP16 || w->code == CS_W_QUANTIZED);
}

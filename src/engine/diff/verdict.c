/* verdict.c — the one place that turns a diff's figures into verdicts: per pair, faulty vs inherited, and
 * overall. Every client (CLI, explorer, reports) calls these instead of testing the raw statistics. */
#include "verdict.h"

cs_pair_verdict cs_pair_verdict_of(const cs_diff_result *r, int pair)
{
    const cs_layer_diff *ld = &r->layers[pair];
    if (!r->ran)
        return ld->weights.compared && ld->weights.code == CS_W_DIFFERENT ? CS_PAIR_WEIGHTS_DIFFER : CS_PAIR_OK;
    if (ld->act.compared)
        return ld->within ? CS_PAIR_OK : CS_PAIR_DIVERGE;
    if (ld->act.shapes_differ)
        return CS_PAIR_SHAPES_DIFFER;
    if (!ld->within)
        return CS_PAIR_B_FAILS;
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
    }
    return "?";
}

bool cs_pair_verdict_diverges(cs_pair_verdict v)
{
    return v == CS_PAIR_DIVERGE || v == CS_PAIR_SHAPES_DIFFER || v == CS_PAIR_B_FAILS;
}

cs_blame cs_pair_blame(const cs_diff_result *r, int pair)
{
    const cs_layer_diff *ld = &r->layers[pair];
    if (!cs_pair_verdict_diverges(cs_pair_verdict_of(r, pair)))
        return CS_BLAME_NONE;
    if (!ld->local.compared)
        return CS_BLAME_UNKNOWN;
    return ld->local.frac_outside > 0 ? CS_BLAME_FAULTY : CS_BLAME_INHERITED;
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
    if (r->diverged)
        return CS_VERDICT_DIVERGE;
    for (int p = 0; !r->ran && p < r->matching->n_pairs; p++)
        if (cs_pair_verdict_of(r, p) == CS_PAIR_WEIGHTS_DIFFER)
            return CS_VERDICT_DIVERGE;
    return CS_VERDICT_MATCH;
}

const char *cs_verdict_name(cs_verdict v)
{
    return v == CS_VERDICT_DIVERGE ? "diverge" : "match";
}

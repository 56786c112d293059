/* verdict.c — names of verdicts and layer statuses, and the noise floor a layer's own error is judged
 * against (see verdict.h for the criterion). */
#include "verdict.h"

#include <math.h>
#include <string.h>

const char *cs_verdict_name(cs_verdict v)
{
    switch (v) {
    case CS_VERDICT_MATCH: return "match";
    case CS_VERDICT_PRECISION: return "precision";
    case CS_VERDICT_DIVERGE: return "diverge";
    }
    return "?";
}

const char *cs_layer_status_name(cs_layer_status s)
{
    switch (s) {
    case CS_LAYER_OK: return "ok";
    case CS_LAYER_INHERITED: return "inherited";
    case CS_LAYER_PRECISION: return "precision";
    case CS_LAYER_FAULTY: return "faulty";
    case CS_LAYER_SHAPES: return "shapes differ";
    case CS_LAYER_B_FAILED: return "B fails";
    case CS_LAYER_UNCOMPARED: return "not compared";
    case CS_LAYER_WEIGHTS_DIFFER: return "weights differ";
    }
    return "?";
}

bool cs_layer_status_diverges(cs_layer_status s)
{
    return s == CS_LAYER_FAULTY || s == CS_LAYER_SHAPES || s == CS_LAYER_B_FAILED || s == CS_LAYER_WEIGHTS_DIFFER;
}

double cs_noise_floor(double response, double rho, double k, double unit, double ref_scale)
{
    if (!(rho > 0) || !isfinite(response))
        return 4 * unit * ref_scale;
    return 4 * sqrt(k < 1 ? 1 : k) * (unit / rho) * response + 4 * unit * ref_scale;
}

bool cs_weights_precision(const cs_weight_cmp *w)
{
    return w->compared && (strcmp(w->status, "fp16 rounding") == 0 || strcmp(w->status, "quantization") == 0);
}

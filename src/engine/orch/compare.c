/* compare.c — a diff as both clients run it: inputs through the shared policy (each model through its own
 * preprocessing), the models' plans reused, weights only when asked or when a model has no architecture. */
#include "compare.h"

#include <stdlib.h>

cs_status cs_compare_run(const cs_model *a, const cs_model *b, const cs_input_req *req, const cs_diff_opts *opts,
                         cs_compare **out, cs_error *err)
{
    *out = NULL;
    cs_compare *c = calloc(1, sizeof *c);
    if (!c)
        return cs_error_set(err, CS_ERR_NOMEM, "out of memory");
    cs_diff_opts o = *opts;
    c->forced_weights_only = !o.weights_only && (a->g->weights_only || b->g->weights_only);
    o.weights_only = c->weights_only = o.weights_only || c->forced_weights_only;
    o.plan_a = a->plan, o.plan_b = b->plan;
    cs_tensor *in_b = NULL;
    cs_status st = CS_OK;
    if (!o.weights_only) {
        st = cs_model_input(a, req, &c->input_a, c->spec, sizeof c->spec, c->notes_a, sizeof c->notes_a, err);
        if (st == CS_OK)
            st = cs_model_input(b, req, &in_b, NULL, 0, c->notes_b, sizeof c->notes_b, err);
    }
    if (st == CS_OK)
        st = cs_diff_run(a->g, b->g, (const cs_tensor *const *)&c->input_a, (const cs_tensor *const *)&in_b, &o,
                         &c->diff, err);
    cs_tensor_free(in_b);
    if (st != CS_OK) {
        cs_compare_free(c);
        return st;
    }
    *out = c;
    return CS_OK;
}

void cs_compare_free(cs_compare *c)
{
    if (!c)
        return;
    cs_diff_result_free(c->diff);
    cs_tensor_free(c->input_a);
    free(c);
}

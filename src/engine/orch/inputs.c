/* inputs.c — the input policy shared by the CLI and the explorer: one input per model, the user's spec
 * through the model's preprocessing, else a fitting fallback image, else a blank (zero) input. */
#include "inputs.h"

#include <stdio.h>
#include <string.h>

void cs_input_req_default(cs_input_req *req)
{
    memset(req, 0, sizeof *req);
    cs_input_opts_default(&req->opts);
}

/* The bundled 28x28 image fits unless the input declares another known spatial size. */
static bool fits_28(const cs_graph *g)
{
    const cs_value *v = &g->values[g->inputs[0]];
    if (v->rank < 0)
        return true;
    if (v->rank != 4 && v->rank != 3)
        return false;
    bool nchw = (v->dims[v->rank - 2] == 28 || v->dims[v->rank - 2] < 0) &&
                (v->dims[v->rank - 1] == 28 || v->dims[v->rank - 1] < 0);
    bool nhwc = (v->dims[v->rank - 3] == 28 || v->dims[v->rank - 3] < 0) &&
                (v->dims[v->rank - 2] == 28 || v->dims[v->rank - 2] < 0);
    return nchw || nhwc;
}

static cs_status blank_input(const cs_graph *g, cs_tensor **out, char *notes, size_t size, cs_error *err)
{
    const cs_value *v = &g->values[g->inputs[0]];
    int64_t dims[CS_MAX_RANK];
    int rank = v->rank > 0 ? v->rank : 1;
    for (int i = 0; i < rank; i++)
        dims[i] = v->rank > 0 && v->dims[i] > 0 ? v->dims[i] : 1;
    *out = cs_tensor_new(v->dtype != CS_DT_UNDEFINED ? v->dtype : CS_DT_F32, rank, dims, err);
    char shape[96];
    if (notes && size)
        snprintf(notes, size, "blank input: zeros %s (no input given and no bundled image fits)\n",
                 cs_shape_str(rank, dims, shape, sizeof shape));
    return *out ? CS_OK : err->status;
}

cs_status cs_model_input(const cs_model *m, const cs_input_req *req, cs_tensor **out, char *used, size_t used_size,
                         char *notes, size_t notes_size, cs_error *err)
{
    const cs_graph *g = m->g;
    char scratch[2048];
    *out = NULL;
    if (g->n_inputs < 1)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: the model has no input", m->path);
    if (g->n_inputs > 1)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: convscope feeds one input; this model has %d", m->path,
                            g->n_inputs);
    const char *use = req->spec ? req->spec : "";
    if (!use[0] && req->fallback && req->fallback[0] && fits_28(g))
        use = req->fallback;
    if (used && used_size)
        snprintf(used, used_size, "%s", use[0] ? use : "blank");
    if (!notes || !notes_size)
        notes = scratch, notes_size = sizeof scratch;
    if (!use[0])
        return blank_input(g, out, notes, notes_size, err);
    return cs_input_load(g, 0, use, &req->opts, out, notes, notes_size, err);
}

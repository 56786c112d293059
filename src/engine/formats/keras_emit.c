/* keras_emit.c — helpers the Keras layer emitters share: typed config options, error messages that
 * name file, layer and class, IR nodes and constants linked to the layer, weights, and activations. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras_internal.h"



json_t *ks_cfg(const ks_layer_ctx *lc, const char *key)
{
    json_t *v = json_object_get(lc->cfg, key);
    return json_is_null(v) ? NULL : v;
}

bool ks_int(const ks_layer_ctx *lc, const char *key, int64_t dflt, int64_t *out)
{
    json_t *v = ks_cfg(lc, key);
    if (json_is_array(v) && json_array_size(v) == 1)
        v = json_array_get(v, 0);
    *out = dflt;
    if (!v)
        return true;
    if (json_is_integer(v) && json_integer_value(v) > -(1LL << 40) && json_integer_value(v) < (1LL << 40)) {
        *out = json_integer_value(v);
        return true;
    }
    cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "option '%s' must be an integer", key);
    return false;
}

bool ks_num(const ks_layer_ctx *lc, const char *key, double dflt, double *out)
{
    json_t *v = ks_cfg(lc, key);
    *out = dflt;
    if (!v)
        return true;
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "option '%s' must be a number", key);
    return false;
}

bool ks_bool(const ks_layer_ctx *lc, const char *key, bool dflt, bool *out)
{
    json_t *v = ks_cfg(lc, key);
    *out = dflt;
    if (!v)
        return true;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return true;
    }
    cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "option '%s' must be true or false", key);
    return false;
}

const char *ks_str(const ks_layer_ctx *lc, const char *key, const char *dflt)
{
    json_t *v = ks_cfg(lc, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

bool ks_ints(const ks_layer_ctx *lc, const char *key, int n, int64_t dflt, int64_t *out)
{
    json_t *v = ks_cfg(lc, key);
    for (int i = 0; i < n; i++)
        out[i] = dflt;
    if (!v)
        return true;
    if (json_is_integer(v) || (json_is_array(v) && json_array_size(v) == 1 && n > 1)) {
        json_t *x = json_is_array(v) ? json_array_get(v, 0) : v;
        for (int i = 0; i < n && json_is_integer(x); i++)
            out[i] = json_integer_value(x);
        if (json_is_integer(x) && json_integer_value(x) > 0 && json_integer_value(x) < (1 << 24))
            return true;
    } else if (json_is_array(v) && (int)json_array_size(v) == n) {
        bool ok = true;
        for (int i = 0; i < n; i++) {
            json_t *x = json_array_get(v, (size_t)i);
            ok = ok && json_is_integer(x) && json_integer_value(x) > 0 && json_integer_value(x) < (1 << 24);
            out[i] = ok ? json_integer_value(x) : dflt;
        }
        if (ok)
            return true;
    }
    cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "option '%s' must be a positive integer or a list of %d", key, n);
    return false;
}

bool ks_channels_first(const ks_layer_ctx *lc, bool *out)
{
    const char *df = ks_str(lc, "data_format", "channels_last");
    *out = strcmp(df, "channels_first") == 0;
    if (*out || strcmp(df, "channels_last") == 0)
        return true;
    cs_lower_fail(&lc->lw, CS_ERR_UNSUPPORTED, "data_format '%s' is not supported", df);
    return false;
}


/* The kit's node with one new output, declared float32 of the given shape (Keras values are float32). */
static int shaped_node(ks_layer_ctx *lc, const char *domain, const char *op, const int *ins, int n_in, int rank,
                       const int64_t *dims, int *node_out)
{
    int64_t shape[CS_MAX_RANK]; /* dims may point into g->values, which the new value can move */
    for (int i = 0; i < rank && i < CS_MAX_RANK; i++)
        shape[i] = dims[i];
    int out = cs_lower_op(&lc->lw, domain, op, ins, n_in, node_out);
    if (out < 0)
        return -1;
    cs_value *val = &lc->lw.g->values[out];
    val->dtype = CS_DT_F32;
    val->rank = rank;
    for (int i = 0; i < rank && i < CS_MAX_RANK; i++)
        val->dims[i] = shape[i];
    return out;
}

int ks_op(ks_layer_ctx *lc, const char *op, const int *ins, int n_in, int *node_out)
{
    return cs_lower_op(&lc->lw, NULL, op, ins, n_in, node_out);
}

int ks_node(ks_layer_ctx *lc, const char *op, const int *ins, int n_in, int rank, const int64_t *dims, int *node_out)
{
    return shaped_node(lc, NULL, op, ins, n_in, rank, dims, node_out);
}

int ks_node_ext(ks_layer_ctx *lc, const char *op, const int *ins, int n_in, int rank, const int64_t *dims,
                int *node_out)
{
    return shaped_node(lc, "convscope", op, ins, n_in, rank, dims, node_out);
}






int ks_rank(const ks_layer_ctx *lc, int v)
{
    return lc->ld->g->values[v].rank;
}

const int64_t *ks_dims(const ks_layer_ctx *lc, int v)
{
    return lc->ld->g->values[v].dims;
}


const cs_tensor *ks_weight(const ks_layer_ctx *lc, int i)
{
    if (i < 0 || i >= lc->n_w)
        return NULL;
    return lc->w[i] ? lc->w[i] : lc->ld->g->values[lc->w_val[i]].data;
}

cs_status ks_expect_weights(const ks_layer_ctx *lc, int n, const char *which)
{
    if (lc->n_w == n)
        return CS_OK;
    return cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "the file holds %d weight array%s, the config implies %d (%s)",
                         lc->n_w,
                         lc->n_w == 1 ? "" : "s", n, which);
}

cs_status ks_check_weight(const ks_layer_ctx *lc, int i, const char *what, int rank, const int64_t *dims)
{
    const cs_tensor *t = ks_weight(lc, i);
    char want[128], got[128];
    cs_shape_str(rank, dims, want, sizeof want);
    if (!t)
        return cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "weight %s is missing (expected shape %s)", what, want);
    bool same = t->rank == rank;
    for (int k = 0; same && k < rank; k++)
        same = dims[k] < 0 || t->dims[k] == dims[k];
    if (same)
        return CS_OK;
    cs_shape_str(t->rank, t->dims, got, sizeof got);
    return cs_lower_fail(&lc->lw, CS_ERR_SHAPE, "weight %s has shape %s in the file, the config implies %s", what, got,
                         want);
}

int ks_use_weight(ks_layer_ctx *lc, int i, const char *role, cs_layout layout)
{
    if (lc->w_val[i] >= 0)
        return lc->w_val[i];
    int v = cs_lower_const(&lc->lw, role, lc->w[i]);
    lc->w[i] = NULL;
    if (v < 0)
        return -1;
    lc->w_val[i] = v;
    cs_lower *lw = &lc->lw;
    return cs_lower_weight_ref(lw, lw->g->values[v].name, v, layout, lc->w_dtype[i]) == CS_OK ? v : -1;
}

void ks_set_layout(ks_layer_ctx *lc, int v, bool channels_first)
{
    cs_value *val = &lc->ld->g->values[v];
    switch (val->rank) {
    case 2: val->layout = CS_LAYOUT_NC; break;
    case 3: val->layout = channels_first ? CS_LAYOUT_NCW : CS_LAYOUT_NWC; break;
    case 4: val->layout = channels_first ? CS_LAYOUT_NCHW : CS_LAYOUT_NHWC; break;
    default: break;
    }
}

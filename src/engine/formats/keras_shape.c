/* keras_shape.c — Keras layers that move or pad data (Flatten, Reshape, Permute, ZeroPadding,
 * Cropping, UpSampling), merge layers, and the weightless or simple ones (Dropout, Rescaling, Embedding). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keras_internal.h"

static int flatten(ks_layer_ctx *lc, int x, bool cf)
{
    int r = ks_rank(lc, x);
    if (r < 2)
        return cs_lower_fail(&lc->lw, CS_ERR_SHAPE, "expects an input of rank >= 2"), -1;
    if (cf && r >= 3) { /* Keras moves channels last first */
        int perm[CS_MAX_RANK] = {0};
        for (int i = 1; i < r - 1; i++)
            perm[i] = i + 1;
        perm[r - 1] = 1;
        if ((x = cs_lower_transpose(&lc->lw, x, perm, ks_rank(lc, x))) < 0)
            return -1;
    }
    int64_t dims[2] = {ks_dims(lc, x)[0], 1};
    for (int i = 1; i < r; i++)
        dims[1] = dims[1] < 0 || ks_dims(lc, x)[i] < 0 ? -1 : dims[1] * ks_dims(lc, x)[i];
    int node, out = ks_node(lc, "Flatten", &x, 1, 2, dims, &node);
    if (out >= 0 && !cs_attrs_add_int(cs_lower_attrs(&lc->lw, node), "axis", 1))
        return cs_lower_nomem(&lc->lw), -1;
    return out;
}

static int reshape(ks_layer_ctx *lc, int x)
{
    json_t *ts = ks_cfg(lc, "target_shape");
    int n = json_is_array(ts) ? (int)json_array_size(ts) : -1, r = ks_rank(lc, x), infer = -1;
    if (n < 1 || n + 1 > CS_MAX_RANK)
        return cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "target_shape must be a list of 1 to %d sizes",
                             CS_MAX_RANK - 1), -1;
    int64_t shape[CS_MAX_RANK], dims[CS_MAX_RANK], total = 1, known = 1;
    for (int i = 1; i < r; i++)
        total = total < 0 || ks_dims(lc, x)[i] < 0 ? -1 : total * ks_dims(lc, x)[i];
    shape[0] = 0;
    dims[0] = ks_dims(lc, x)[0];
    for (int i = 0; i < n; i++) {
        json_t *e = json_array_get(ts, (size_t)i);
        int64_t d = json_is_integer(e) ? json_integer_value(e) : json_is_null(e) ? -1 : 0;
        if (d == 0 || d < -1 || d > (1LL << 40) || (d == -1 && infer >= 0))
            return cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "target_shape entry %d is invalid", i), -1;
        if (d == -1)
            infer = i + 1;
        else
            known *= d;
        shape[i + 1] = dims[i + 1] = d;
    }
    if (infer >= 0 && total >= 0)
        dims[infer] = total % known == 0 ? total / known : -2;
    if (total >= 0 && (dims[infer >= 0 ? infer : 0] == -2 || (infer < 0 && known != total)))
        return cs_lower_fail(&lc->lw, CS_ERR_SHAPE, "cannot reshape %lld elements per sample to target_shape",
                             (long long)total), -1;
    int in[2] = {x, cs_lower_const_i64(&lc->lw, "shape", shape, n + 1)};
    return in[1] < 0 ? -1 : ks_node(lc, "Reshape", in, 2, n + 1, dims, NULL);
}

static int permute(ks_layer_ctx *lc, int x)
{
    json_t *d = ks_cfg(lc, "dims");
    int r = ks_rank(lc, x), perm[CS_MAX_RANK] = {0};
    bool used[CS_MAX_RANK] = {false};
    if (!json_is_array(d) || (int)json_array_size(d) != r - 1)
        return cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "dims must list %d axes", r - 1), -1;
    for (int i = 1; i < r; i++) {
        json_t *e = json_array_get(d, (size_t)i - 1);
        int64_t a = json_is_integer(e) ? json_integer_value(e) : 0;
        if (a < 1 || a >= r || used[a])
            return cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "dims is not a permutation of 1..%d", r - 1), -1;
        used[a] = true;
        perm[i] = (int)a;
    }
    return cs_lower_transpose(&lc->lw, x, perm, ks_rank(lc, x));
}

/* Reads ZeroPadding/Cropping amounts: [n][2] (before, after) per spatial dim. */
static bool read_pairs(ks_layer_ctx *lc, const char *key, int n, int64_t dflt, int64_t p[2][2])
{
    json_t *v = ks_cfg(lc, key);
    for (int i = 0; i < n; i++)
        p[i][0] = p[i][1] = dflt;
    if (!v)
        return true;
    if (json_is_integer(v)) {
        for (int i = 0; i < n; i++)
            p[i][0] = p[i][1] = json_integer_value(v);
    } else if (json_is_array(v) && (int)json_array_size(v) == (n == 1 ? 2 : n)) {
        for (int i = 0; i < (n == 1 ? 2 : n); i++) {
            json_t *e = json_array_get(v, (size_t)i);
            if (n == 1)
                p[0][i] = json_is_integer(e) ? json_integer_value(e) : -1;
            else if (json_is_integer(e))
                p[i][0] = p[i][1] = json_integer_value(e);
            else if (json_is_array(e) && json_array_size(e) == 2) {
                p[i][0] = json_is_integer(json_array_get(e, 0)) ? json_integer_value(json_array_get(e, 0)) : -1;
                p[i][1] = json_is_integer(json_array_get(e, 1)) ? json_integer_value(json_array_get(e, 1)) : -1;
            } else
                p[i][0] = -1;
        }
    } else {
        p[0][0] = -1;
    }
    for (int i = 0; i < n; i++)
        if (p[i][0] < 0 || p[i][1] < 0 || p[i][0] > (1 << 24) || p[i][1] > (1 << 24)) {
            cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "option '%s' must hold non-negative sizes", key);
            return false;
        }
    return true;
}

static int pad_or_crop(ks_layer_ctx *lc, int x, bool cf, bool crop)
{
    int n = strstr(lc->cls, "1D") ? 1 : 2, r = ks_rank(lc, x);
    int64_t p[2][2], dims[CS_MAX_RANK];
    if (r != n + 2)
        return cs_lower_fail(&lc->lw, CS_ERR_SHAPE, "expects a rank-%d input", n + 2), -1;
    if (!read_pairs(lc, crop ? "cropping" : "padding", n, crop ? 0 : 1, p))
        return -1;
    memcpy(dims, ks_dims(lc, x), (size_t)r * sizeof *dims);
    int first = n == 1 ? 1 : cf ? 2 : 1;
    for (int i = 0; i < n; i++) {
        int64_t *d = &dims[first + i];
        *d = *d < 0 ? -1 : crop ? *d - p[i][0] - p[i][1] : *d + p[i][0] + p[i][1];
        if (crop && *d != -1 && *d < 1)
            return cs_lower_fail(&lc->lw, CS_ERR_SHAPE, "cropping removes the whole input"), -1;
    }
    if (!crop) {
        int64_t pads[2 * CS_MAX_RANK] = {0};
        for (int i = 0; i < n; i++) {
            pads[first + i] = p[i][0];
            pads[r + first + i] = p[i][1];
        }
        int in[2] = {x, cs_lower_const_i64(&lc->lw, "pads", pads, 2 * r)};
        return in[1] < 0 ? -1 : ks_node(lc, "Pad", in, 2, r, dims, NULL);
    }
    int64_t starts[2], ends[2], axes[2];
    for (int i = 0; i < n; i++) {
        starts[i] = p[i][0];
        ends[i] = p[i][1] ? -p[i][1] : INT64_MAX;
        axes[i] = first + i;
    }
    int in[4] = {x, cs_lower_const_i64(&lc->lw, "starts", starts, n), cs_lower_const_i64(&lc->lw, "ends", ends, n),
                 cs_lower_const_i64(&lc->lw, "axes", axes, n)};
    return in[1] < 0 || in[2] < 0 || in[3] < 0 ? -1 : ks_node(lc, "Slice", in, 4, r, dims, NULL);
}

static int upsample(ks_layer_ctx *lc, int x, bool cf)
{
    int n = strstr(lc->cls, "1D") ? 1 : 2, r = ks_rank(lc, x);
    int64_t size[2], dims[CS_MAX_RANK];
    const char *interp = ks_str(lc, "interpolation", "nearest");
    if (r != n + 2)
        return cs_lower_fail(&lc->lw, CS_ERR_SHAPE, "expects a rank-%d input", n + 2), -1;
    if (!ks_ints(lc, "size", n, 2, size))
        return -1;
    bool bilinear = strcmp(interp, "bilinear") == 0;
    /* Standalone Keras before 2.3 resized bilinearly without half-pixel centres (tf.image.resize_bilinear);
     * tf.keras ("2.2.4-tf", TF 2.0/2.1, and every later version) calls resize_images_v2: half-pixel centres.
     * TF 1.13's tf.keras also wrote "2.2.4-tf" but was asymmetric: such files resize differently. */
    const char *ver = lc->ld->keras_version;
    bool legacy = ver[0] == '2' && ver[1] == '.' && (ver[2] == '0' || ver[2] == '1' || ver[2] == '2') &&
                  ver[3] == '.' && !strstr(ver, "-tf");
    if (!bilinear && strcmp(interp, "nearest") != 0)
        return cs_lower_fail(&lc->lw, CS_ERR_UNSUPPORTED, "interpolation '%s' is not supported", interp), -1;
    float scales[CS_MAX_RANK];
    memcpy(dims, ks_dims(lc, x), (size_t)r * sizeof *dims);
    int first = n == 1 ? 1 : cf ? 2 : 1;
    for (int i = 0; i < r; i++)
        scales[i] = 1.0f;
    for (int i = 0; i < n; i++) {
        scales[first + i] = (float)size[i];
        dims[first + i] = dims[first + i] < 0 ? -1 : dims[first + i] * size[i];
    }
    int64_t sd = r;
    int in[3] = {x, -1, cs_lower_const_f32(&lc->lw, "scales", scales, 1, &sd)}, node;
    int out = in[2] < 0 ? -1 : ks_node(lc, "Resize", in, 3, r, dims, &node);
    cs_attrs *a = out >= 0 ? cs_lower_attrs(&lc->lw, node) : NULL;
    if (a && (!cs_attrs_add_string(a, "mode", bilinear ? "linear" : "nearest") ||
              !cs_attrs_add_string(a, "coordinate_transformation_mode", bilinear && !legacy ? "half_pixel" : "asymmetric") ||
              !cs_attrs_add_string(a, "nearest_mode", "floor")))
        return cs_lower_nomem(&lc->lw), -1;
    return out;
}

int ks_emit_shape_layer(ks_layer_ctx *lc, const int *ins, int n_in)
{
    bool cf;
    if (n_in != 1 || ks_expect_weights(lc, 0, "none") != CS_OK)
        return n_in != 1 ? (cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "expects one input"), -1) : -1;
    const char *c = lc->cls;
    if (strcmp(c, "Reshape") == 0)
        return reshape(lc, ins[0]);
    if (strcmp(c, "Permute") == 0)
        return permute(lc, ins[0]);
    if (!ks_channels_first(lc, &cf))
        return -1;
    int out = strcmp(c, "Flatten") == 0 ? flatten(lc, ins[0], cf)
              : strncmp(c, "ZeroPadding", 11) == 0 ? pad_or_crop(lc, ins[0], cf, false)
              : strncmp(c, "Cropping", 8) == 0     ? pad_or_crop(lc, ins[0], cf, true)
                                                   : upsample(lc, ins[0], cf);
    if (out >= 0 && strcmp(c, "Flatten") != 0)
        ks_set_layout(lc, out, cf);
    return out;
}

/* Broadcast output dims of a merge (Keras requires equal shapes up to broadcasting). */
static bool merge_dims(ks_layer_ctx *lc, const int *ins, int n_in, int64_t *dims, int *rank)
{
    *rank = ks_rank(lc, ins[0]);
    memcpy(dims, ks_dims(lc, ins[0]), (size_t)*rank * sizeof *dims);
    for (int k = 1; k < n_in; k++) {
        if (ks_rank(lc, ins[k]) != *rank) {
            cs_lower_fail(&lc->lw, CS_ERR_SHAPE, "inputs have different ranks (%d and %d)", *rank, ks_rank(lc, ins[k]));
            return false;
        }
        for (int i = 0; i < *rank; i++) {
            int64_t d = ks_dims(lc, ins[k])[i];
            if (d >= 0 && dims[i] >= 0 && d != dims[i] && d != 1 && dims[i] != 1) {
                cs_lower_fail(&lc->lw, CS_ERR_SHAPE, "inputs have incompatible sizes %lld and %lld on axis %d",
                              (long long)dims[i], (long long)d, i);
                return false;
            }
            dims[i] = d < 0 || dims[i] < 0 ? -1 : d > dims[i] ? d : dims[i];
        }
    }
    return true;
}

static int concat(ks_layer_ctx *lc, const int *ins, int n_in)
{
    int64_t axis;
    int r = ks_rank(lc, ins[0]);
    if (!ks_int(lc, "axis", -1, &axis))
        return -1;
    if (axis < 0)
        axis += r;
    if (axis < 0 || axis >= r)
        return cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "axis is out of range"), -1;
    /* Concat's infer declares the shape and refuses inputs of other ranks or sizes off the axis */
    int node, out = ks_op(lc, "Concat", ins, n_in, &node);
    if (out >= 0 && !cs_attrs_add_int(cs_lower_attrs(&lc->lw, node), "axis", axis))
        return cs_lower_nomem(&lc->lw), -1;
    return out >= 0 && cs_lower_infer(&lc->lw, node) == CS_OK ? out : -1;
}

int ks_emit_merge(ks_layer_ctx *lc, const int *ins, int n_in)
{
    int64_t dims[CS_MAX_RANK];
    int r;
    const char *c = lc->cls;
    if (n_in < 2 || ks_expect_weights(lc, 0, "none") != CS_OK)
        return n_in < 2 ? (cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "a merge layer needs at least 2 inputs"), -1) : -1;
    if (strcmp(c, "Concatenate") == 0)
        return concat(lc, ins, n_in);
    if (!merge_dims(lc, ins, n_in, dims, &r))
        return -1;
    if (strcmp(c, "Subtract") == 0 && n_in != 2)
        return cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "Subtract needs exactly 2 inputs"), -1;
    const char *op = strcmp(c, "Average") == 0   ? "Mean"
                     : strcmp(c, "Maximum") == 0 ? "Max"
                     : strcmp(c, "Minimum") == 0 ? "Min"
                                                 : NULL;
    if (op)
        return ks_node(lc, op, ins, n_in, r, dims, NULL);
    op = strcmp(c, "Add") == 0 ? "Add" : strcmp(c, "Subtract") == 0 ? "Sub" : "Mul";
    int acc = ins[0];
    for (int k = 1; k < n_in && acc >= 0; k++) { /* left to right, as Keras sums */
        int pair[2] = {acc, ins[k]};
        acc = ks_node(lc, op, pair, 2, r, dims, NULL);
    }
    return acc;
}

static int rescale(ks_layer_ctx *lc, int x)
{
    double scale, offset;
    if (!ks_num(lc, "scale", 1.0, &scale) || !ks_num(lc, "offset", 0.0, &offset))
        return -1;
    float s = (float)scale, o = (float)offset;
    int m[2] = {x, cs_lower_const_f32(&lc->lw, "scale", &s, 0, NULL)};
    int out = m[1] < 0 ? -1 : ks_node(lc, "Mul", m, 2, ks_rank(lc, x), ks_dims(lc, x), NULL);
    int a[2] = {out, cs_lower_const_f32(&lc->lw, "offset", &o, 0, NULL)};
    return out < 0 || a[1] < 0 ? -1 : ks_node(lc, "Add", a, 2, ks_rank(lc, x), ks_dims(lc, x), NULL);
}

static int embedding(ks_layer_ctx *lc, int x)
{
    int64_t ed[2], dims[CS_MAX_RANK];
    int r = ks_rank(lc, x);
    if (!ks_int(lc, "input_dim", -1, &ed[0]) || !ks_int(lc, "output_dim", -1, &ed[1]))
        return -1;
    if (r + 1 > CS_MAX_RANK || ed[0] < 1 || ed[1] < 1)
        return cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "needs input_dim, output_dim >= 1 and an input of rank < %d",
                             CS_MAX_RANK), -1;
    if (ks_expect_weights(lc, 1, "embeddings") != CS_OK || ks_check_weight(lc, 0, "embeddings", 2, ed) != CS_OK)
        return -1;
    int ev = ks_use_weight(lc, 0, "embeddings", CS_LAYOUT_UNKNOWN), node;
    int idx = ev < 0 ? -1 : ks_node(lc, "Cast", &x, 1, r, ks_dims(lc, x), &node);
    if (idx < 0 || !cs_attrs_add_int(cs_lower_attrs(&lc->lw, node), "to", CS_DT_I64))
        return -1;
    lc->ld->g->values[idx].dtype = CS_DT_I64;
    memcpy(dims, ks_dims(lc, x), (size_t)r * sizeof *dims);
    dims[r] = ed[1];
    int gi[2] = {ev, idx};
    int out = ks_node(lc, "Gather", gi, 2, r + 1, dims, &node);
    if (out >= 0 && !cs_attrs_add_int(cs_lower_attrs(&lc->lw, node), "axis", 0))
        return cs_lower_nomem(&lc->lw), -1;
    return out;
}

int ks_emit_misc(ks_layer_ctx *lc, const int *ins, int n_in)
{
    if (n_in != 1)
        return cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "expects one input"), -1;
    if (strcmp(lc->cls, "Embedding") == 0)
        return embedding(lc, ins[0]);
    if (ks_expect_weights(lc, 0, "none") != CS_OK)
        return -1;
    if (strcmp(lc->cls, "Rescaling") == 0)
        return rescale(lc, ins[0]);
    return ks_node(lc, "Identity", ins, 1, ks_rank(lc, ins[0]), ks_dims(lc, ins[0]), NULL);
}

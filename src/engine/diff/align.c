/* align.c — layout alignment between two models' activations (permutation search over the dims
 * that remain after dropping leading 1s) and the element-wise comparison metrics of the diff. */
#include "align.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Drops every dim equal to 1 (a batch of one, CoreML's sequence axis and trailing 1x1 of a flattened
 * blob, a single channel); the row-major order of the elements is unchanged. */
static int squeeze_leading(const cs_tensor *t, int64_t *dims)
{
    int r = 0;
    for (int i = 0; i < t->rank; i++)
        if (t->dims[i] != 1)
            dims[r++] = t->dims[i];
    return r;
}

static bool perm_fits(const int *p, int r, const int64_t *da, const int64_t *db)
{
    for (int i = 0; i < r; i++)
        if (db[p[i]] != da[i])
            return false;
    return true;
}

/* Channels-last to channels-first on the squeezed rank: (0, r-1, 1, 2, ...) for a leading batch,
 * or (r-1, 0, 1, ...) when the batch was squeezed away. */
static void channels_last_to_first(int r, bool has_batch, int *p)
{
    int k = 0;
    if (has_batch)
        p[k++] = 0;
    p[k++] = r - 1;
    for (int i = has_batch ? 1 : 0; i < r - 1; i++)
        p[k++] = i;
}

static void channels_first_to_last(int r, bool has_batch, int *p)
{
    int k = 0;
    if (has_batch)
        p[k++] = 0;
    for (int i = has_batch ? 2 : 1; i < r; i++)
        p[k++] = i;
    p[k++] = has_batch ? 1 : 0;
}

static bool is_last(int layout)
{
    return layout == CS_LAYOUT_NHWC || layout == CS_LAYOUT_HWC || layout == CS_LAYOUT_NWC;
}

static bool is_first(int layout)
{
    return layout == CS_LAYOUT_NCHW || layout == CS_LAYOUT_CHW || layout == CS_LAYOUT_NCW ||
           layout == CS_LAYOUT_SBCHW;
}

bool cs_align_find(const cs_tensor *a, int layout_a, const cs_tensor *b, int layout_b, int *perm, int *rank,
                   char *desc, size_t desc_size)
{
    int64_t da[CS_MAX_RANK], db[CS_MAX_RANK];
    int ra = squeeze_leading(a, da), rb = squeeze_leading(b, db);
    char s1[96], s2[96];
    if (cs_tensor_numel(a) != cs_tensor_numel(b)) {
        snprintf(desc, desc_size, "shapes differ: A %s, B %s", cs_shape_str(a->rank, a->dims, s1, sizeof s1),
                 cs_shape_str(b->rank, b->dims, s2, sizeof s2));
        return false;
    }
    if (ra != rb) { /* same elements in another shape (a flatten against a reshape): compare in order */
        *rank = 0;
        snprintf(desc, desc_size, "compared flat: A %s, B %s", cs_shape_str(a->rank, a->dims, s1, sizeof s1),
                 cs_shape_str(b->rank, b->dims, s2, sizeof s2));
        return true;
    }
    int r = ra;
    *rank = r;
    int p[CS_MAX_RANK];
    /* a batch axis survives the squeeze only when it is > 1 */
    bool unsqueezed = a->rank == r && a->dims[0] != 1;
    bool has_batch = unsqueezed && (r >= 4 || (r == 3 && (layout_a == CS_LAYOUT_NCW || layout_a == CS_LAYOUT_NWC)));
    /* the layouts' own relation first */
    if (r >= 2 && is_first(layout_a) && is_last(layout_b)) {
        channels_last_to_first(r, has_batch, p);
        if (perm_fits(p, r, da, db)) {
            memcpy(perm, p, sizeof(int) * (size_t)r);
            snprintf(desc, desc_size, "B channels-last -> channels-first");
            return true;
        }
    }
    if (r >= 2 && is_last(layout_a) && is_first(layout_b)) {
        channels_first_to_last(r, has_batch, p);
        if (perm_fits(p, r, da, db)) {
            memcpy(perm, p, sizeof(int) * (size_t)r);
            snprintf(desc, desc_size, "B channels-first -> channels-last");
            return true;
        }
    }
    for (int i = 0; i < r; i++)
        p[i] = i;
    if (perm_fits(p, r, da, db)) {
        memcpy(perm, p, sizeof(int) * (size_t)r);
        snprintf(desc, desc_size, "same layout");
        return true;
    }
    if (r >= 3) { /* layouts unknown: try the common channel moves */
        channels_last_to_first(r, has_batch, p);
        if (perm_fits(p, r, da, db)) {
            memcpy(perm, p, sizeof(int) * (size_t)r);
            snprintf(desc, desc_size, "B channels-last -> channels-first (inferred from shapes)");
            return true;
        }
        channels_first_to_last(r, has_batch, p);
        if (perm_fits(p, r, da, db)) {
            memcpy(perm, p, sizeof(int) * (size_t)r);
            snprintf(desc, desc_size, "B channels-first -> channels-last (inferred from shapes)");
            return true;
        }
    }
    *rank = 0;
    snprintf(desc, desc_size, "compared flat: no layout maps B %s onto A %s",
             cs_shape_str(b->rank, b->dims, s2, sizeof s2), cs_shape_str(a->rank, a->dims, s1, sizeof s1));
    return true;
}

/* out[i over a's squeezed dims] = b[permuted index]; both as f32. */
static cs_tensor *permute_copy(const cs_tensor *shape_like, const cs_tensor *src, const int *perm, int r,
                               bool inverse)
{
    int64_t dout[CS_MAX_RANK], dsrc[CS_MAX_RANK];
    int rout = squeeze_leading(shape_like, dout);
    int rsrc = squeeze_leading(src, dsrc);
    (void)rout, (void)rsrc;
    cs_tensor *out = cs_tensor_new(CS_DT_F32, shape_like->rank, shape_like->dims, NULL);
    if (!out)
        return NULL;
    if (r == 0) { /* flat: same elements, same order */
        for (int64_t k = 0; k < cs_tensor_numel(out); k++)
            ((float *)out->data)[k] = (float)cs_tensor_get_f64(src, k);
        return out;
    }
    int64_t sstride[CS_MAX_RANK], s = 1;
    for (int i = r - 1; i >= 0; i--) {
        sstride[i] = s;
        s *= dsrc[i];
    }
    /* stride in src for each output axis */
    int64_t ostride[CS_MAX_RANK];
    for (int i = 0; i < r; i++)
        ostride[i] = 0;
    for (int i = 0; i < r; i++) {
        if (inverse)
            ostride[perm[i]] = sstride[i];
        else
            ostride[i] = sstride[perm[i]];
    }
    int64_t n = cs_tensor_numel(out), idx[CS_MAX_RANK] = {0};
    float *o = out->data;
    for (int64_t k = 0; k < n; k++) {
        int64_t off = 0;
        for (int i = 0; i < r; i++)
            off += idx[i] * ostride[i];
        o[k] = (float)cs_tensor_get_f64(src, off);
        for (int i = r - 1; i >= 0; i--) {
            if (++idx[i] < dout[i])
                break;
            idx[i] = 0;
        }
    }
    return out;
}

cs_tensor *cs_align_to(const cs_tensor *a, int layout_a, const cs_tensor *b, int layout_b, char *desc,
                       size_t desc_size)
{
    int perm[CS_MAX_RANK], r;
    if (!cs_align_find(a, layout_a, b, layout_b, perm, &r, desc, desc_size))
        return NULL;
    return permute_copy(a, b, perm, r, false);
}

cs_tensor *cs_align_from(const cs_tensor *a_val, int layout_a, const cs_tensor *b_like, int layout_b)
{
    int perm[CS_MAX_RANK], r;
    char desc[96];
    if (!cs_align_find(a_val, layout_a, b_like, layout_b, perm, &r, desc, sizeof desc))
        return NULL;
    cs_tensor *out = permute_copy(b_like, a_val, perm, r, true);
    if (out && b_like->dtype != CS_DT_F32) {
        cs_tensor *c = cs_tensor_cast(out, b_like->dtype, NULL);
        cs_tensor_free(out);
        out = c;
    }
    return out;
}

static void count_nonfinite(double x, int64_t *nan, int64_t *inf)
{
    *nan += isnan(x);
    *inf += isinf(x);
}

void cs_act_compare(const cs_tensor *a, const cs_tensor *b, double rtol, double atol, cs_act_stats *st)
{
    int64_t n = cs_tensor_numel(a);
    double sum_abs = 0, sum_sq = 0, dot = 0, na = 0, nb = 0, worst = -1, max_rel = 0, scale = 0;
    int64_t outside = 0, worst_i = 0;
    memset(st, 0, sizeof *st);
    const float *fa = a->dtype == CS_DT_F32 ? a->data : NULL, *fb = b->dtype == CS_DT_F32 ? b->data : NULL;
    for (int64_t i = 0; i < n; i++) {
        double x = fa ? fa[i] : cs_tensor_get_f64(a, i), y = fb ? fb[i] : cs_tensor_get_f64(b, i);
        count_nonfinite(x, &st->nan_a, &st->inf_a);
        count_nonfinite(y, &st->nan_b, &st->inf_b);
        double d = fabs(x - y);
        if (isnan(x) != isnan(y) || (isnan(d) && !(isnan(x) && isnan(y))))
            d = INFINITY;
        if ((isnan(x) && isnan(y)) || (isinf(x) && x == y))
            d = 0;
        if (isfinite(x)) {
            scale = fmax(scale, fabs(x));
            dot += x * y;
            na += x * x;
            nb += y * y;
        }
        sum_abs += d;
        sum_sq += d * d;
        if (d > worst) {
            worst = d;
            worst_i = i;
        }
        double rel = d / fmax(fabs(y), 1e-12);
        if (d > 0 && rel > max_rel)
            max_rel = rel;
        if (d > atol + rtol * fabs(y))
            outside++;
    }
    st->compared = true;
    st->n = n;
    st->max_abs = n ? worst : 0;
    st->max_index = worst_i;
    st->mean_abs = n ? sum_abs / (double)n : 0;
    st->rmse = n ? sqrt(sum_sq / (double)n) : 0;
    st->max_rel = max_rel;
    st->cosine = na > 0 && nb > 0 ? dot / sqrt(na * nb) : (na == nb ? 1 : 0);
    st->nmse = na > 0 ? sum_sq / na : (sum_sq > 0 ? INFINITY : 0);
    st->frac_outside = n ? (double)outside / (double)n : 0;
    st->ref_scale = scale;
    st->rel_max = scale > 0 ? st->max_abs / scale : st->max_abs;
    st->sqnr_db = sum_sq > 0 ? 10 * log10(na / sum_sq) : INFINITY;
    st->within = st->max_abs <= atol + rtol * scale;
}

/* weights_rel.c — names how two unequal weight tensors relate: a layout change (permuted dims, a reversed
 * axis, dense columns flattened channels-last), a per-output-channel scale, precision rounding, or nothing. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "weights.h"

/* Largest |a[i] - b[map(i)]| where B's dim p[k] holds A's dim k, reversed when bit k of flip is set;
 * stops early once above `stop`. */
static double map_err(const cs_tensor *a, const cs_tensor *b, const int *p, unsigned flip, double stop)
{
    cs_perm_walk w;
    cs_perm_walk_init(&w, a, b, p, flip);
    int64_t n = cs_tensor_numel(a);
    double worst = 0;
    for (int64_t k = 0; k < n; k++, cs_perm_walk_next(&w)) {
        double d = fabs(cs_tensor_get_f64(a, k) - cs_tensor_get_f64(b, cs_perm_walk_offset(&w)));
        if (d > worst && (worst = d) > stop)
            return worst;
    }
    return worst;
}

static double max_abs_of(const cs_tensor *t)
{
    double m = 0;
    for (int64_t i = 0, n = cs_tensor_numel(t); i < n; i++)
        m = fmax(m, fabs(cs_tensor_get_f64(t, i)));
    return m;
}

static const char *dim_name(cs_layout la, int rank, int i, char *buf)
{
    const char *names = la == CS_LAYOUT_OIHW && rank == 4 ? "OIHW" : la == CS_LAYOUT_HWIO && rank == 4 ? "HWIO"
                        : la == CS_LAYOUT_OI && rank == 2   ? "OI" : la == CS_LAYOUT_IO && rank == 2 ? "IO" : NULL;
    if (names)
        snprintf(buf, 8, "%c", names[i]);
    else
        snprintf(buf, 8, "d%d", i);
    return buf;
}

static void describe_perm(cs_layout la, int r, const int *p, char *detail, size_t size)
{
    int moved[CS_MAX_RANK], nm = 0;
    char x[8], y[8];
    for (int i = 0; i < r; i++)
        if (p[i] != i)
            moved[nm++] = i;
    if (nm == 2) {
        snprintf(detail, size, "%s and %s swapped", dim_name(la, r, moved[0], x), dim_name(la, r, moved[1], y));
        return;
    }
    size_t used = (size_t)snprintf(detail, size, "dims stored as [");
    for (int j = 0; j < r && used < size; j++)
        for (int i = 0; i < r; i++)
            if (p[i] == j && used < size)
                used += (size_t)snprintf(detail + used, size - used, "%s%s", j ? "," : "", dim_name(la, r, i, x));
    if (used < size)
        snprintf(detail + used, size - used, "]");
}

static bool next_perm(int *p, int n)
{
    int i = n - 2;
    while (i >= 0 && p[i] >= p[i + 1])
        i--;
    if (i < 0)
        return false;
    int j = n - 1;
    while (p[j] <= p[i])
        j--;
    int t = p[i];
    p[i] = p[j], p[j] = t;
    for (int a = i + 1, b = n - 1; a < b; a++, b--)
        t = p[a], p[a] = p[b], p[b] = t;
    return true;
}

static bool try_permutations(const cs_tensor *a, cs_layout la, const cs_tensor *b, double tol, char *d, size_t ds)
{
    int r = a->rank, p[CS_MAX_RANK];
    if (r < 2 || r > 5 || b->rank != r)
        return false;
    for (int i = 0; i < r; i++)
        p[i] = i;
    while (next_perm(p, r)) {
        bool fits = true;
        for (int i = 0; i < r; i++)
            fits = fits && b->dims[p[i]] == a->dims[i];
        if (fits && map_err(a, b, p, 0, tol) <= tol) {
            describe_perm(la, r, p, d, ds);
            return true;
        }
    }
    for (int i = 0; i < r; i++)
        p[i] = i;
    for (int ax = 0; ax < r; ax++) {
        char x[8];
        if (a->dims[ax] > 1 && memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t)r) == 0 &&
            map_err(a, b, p, 1u << ax, tol) <= tol) {
            snprintf(d, ds, "%s axis reversed", dim_name(la, r, ax, x));
            return true;
        }
    }
    return false;
}

/* Dense [O, I] (or [I, O]) whose I axis is a flattened C,H,W volume stored in H,W,C order (or back). */
static bool try_flatten_order(const cs_tensor *a, cs_layout la, const cs_tensor *b, double tol, char *d, size_t ds)
{
    if (a->rank != 2 || b->rank != 2 || a->dims[0] != b->dims[0] || a->dims[1] != b->dims[1])
        return false;
    int in_axis = la == CS_LAYOUT_IO ? 0 : 1;
    int64_t n_in = a->dims[in_axis], n_out = a->dims[1 - in_axis];
    int tries = 0;
    for (int64_t c = 2; c < n_in && tries < 200; c++) {
        if (n_in % c)
            continue;
        int64_t hw = n_in / c;
        for (int64_t h = 1; h <= 1 && tries < 200; h++) { /* the order depends on C and H*W only */
            int64_t w = hw / h;
            for (int dir = 0; dir < 2; dir++, tries++) {
                double worst = 0;
                for (int64_t o = 0; o < n_out && worst <= tol; o++)
                    for (int64_t i = 0; i < n_in && worst <= tol; i++) {
                        int64_t ch = i / hw, y = (i / w) % h, x = i % w;     /* i in C,H,W order */
                        int64_t j = (y * w + x) * c + ch;                    /* the same element in H,W,C order */
                        int64_t ia = dir ? j : i, ib = dir ? i : j;
                        double va = cs_tensor_get_f64(a, in_axis ? o * n_in + ia : ia * n_out + o);
                        double vb = cs_tensor_get_f64(b, in_axis ? o * n_in + ib : ib * n_out + o);
                        worst = fmax(worst, fabs(va - vb));
                    }
                if (worst <= tol) {
                    /* only C and H*W matter to the order; name a square H x W when there is one */
                    int64_t side = (int64_t)llround(sqrt((double)hw));
                    if (side * side == hw)
                        snprintf(d, ds, "%s permuted %s (C=%lld, HxW=%lldx%lld), as a channels-last flatten",
                                 in_axis ? "columns" : "rows", dir ? "HWC->CHW" : "CHW->HWC", (long long)c,
                                 (long long)side, (long long)side);
                    else
                        snprintf(d, ds, "%s permuted %s (C=%lld, H*W=%lld), as a channels-last flatten",
                                 in_axis ? "columns" : "rows", dir ? "HWC->CHW" : "CHW->HWC", (long long)c,
                                 (long long)hw);
                    return true;
                }
            }
        }
    }
    return false;
}

/* B = s[o] * A per output channel (a scale folded in, a BatchNorm fold). */
static bool try_scaled(const cs_tensor *a, cs_layout la, const cs_tensor *b, char *d, size_t ds)
{
    if (a->rank < 1 || cs_tensor_numel(a) != cs_tensor_numel(b) || a->rank != b->rank ||
        memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t)a->rank) != 0)
        return false;
    bool out_last = la == CS_LAYOUT_HWIO || la == CS_LAYOUT_IO;
    int64_t c = out_last ? a->dims[a->rank - 1] : a->dims[0], n = cs_tensor_numel(a), per = n / c;
    double lo = INFINITY, hi = -INFINITY, tol = 1e-4 * max_abs_of(b) + 1e-12;
    if (per < 2)
        return false;
    for (int64_t ch = 0; ch < c; ch++) {
        double ab = 0, aa = 0;
        for (int64_t i = 0; i < per; i++) {
            int64_t k = out_last ? i * c + ch : ch * per + i;
            double x = cs_tensor_get_f64(a, k), y = cs_tensor_get_f64(b, k);
            ab += x * y, aa += x * x;
        }
        double s = aa > 0 ? ab / aa : 1;
        for (int64_t i = 0; i < per; i++) {
            int64_t k = out_last ? i * c + ch : ch * per + i;
            if (fabs(cs_tensor_get_f64(b, k) - s * cs_tensor_get_f64(a, k)) > tol)
                return false;
        }
        lo = fmin(lo, s), hi = fmax(hi, s);
    }
    if (fabs(lo - 1) < 1e-4 && fabs(hi - 1) < 1e-4)
        return false;
    snprintf(d, ds, "scaled per output channel by %.4g..%.4g", lo, hi);
    return true;
}

/* Every element of B within `rel` relative rounding of A's (plus a tiny absolute floor). */
static bool within_rounding(const cs_tensor *a, const cs_tensor *b, double rel, double floor_abs)
{
    for (int64_t i = 0, n = cs_tensor_numel(a); i < n; i++) {
        double x = cs_tensor_get_f64(a, i);
        if (fabs(x - cs_tensor_get_f64(b, i)) > fabs(x) * rel + floor_abs)
            return false;
    }
    return true;
}

/* B holds integer multiples of one step (int8-like: at most 256 levels) within half a step of A. */
static bool quantized(const cs_tensor *a, const cs_tensor *b, double *step)
{
    double m = max_abs_of(b);
    if (m == 0)
        return false;
    double s = m / 127;
    for (int64_t i = 0, n = cs_tensor_numel(b); i < n; i++) {
        double q = cs_tensor_get_f64(b, i) / s;
        if (fabs(q - nearbyint(q)) > 1e-3 || fabs(cs_tensor_get_f64(a, i) - cs_tensor_get_f64(b, i)) > 0.5001 * s)
            return false;
    }
    *step = s;
    return true;
}

static void stats(const cs_tensor *a, const cs_tensor *b, char *d, size_t ds)
{
    double worst = 0, sum = 0, ab = 0, aa = 0, bb = 0;
    int64_t n = cs_tensor_numel(a);
    for (int64_t i = 0; i < n; i++) {
        double x = cs_tensor_get_f64(a, i), y = cs_tensor_get_f64(b, i);
        worst = fmax(worst, fabs(x - y));
        sum += fabs(x - y), ab += x * y, aa += x * x, bb += y * y;
    }
    snprintf(d, ds, "max abs %.4g, mean abs %.4g, cosine %.4f", worst, n ? sum / (double)n : 0,
             aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0);
}

void cs_weights_explain(const cs_tensor *a, cs_layout la, const cs_tensor *b, cs_dtype b_stored, char *kind,
                        size_t kind_size, char *detail, size_t detail_size)
{
    double tol = 1e-5 * max_abs_of(a) + 1e-12, step;
    bool same_n = cs_tensor_numel(a) == cs_tensor_numel(b);
    if (same_n && within_rounding(a, b, 4.8828125e-4, 6e-8)) {
        snprintf(kind, kind_size, "weights_precision");
        snprintf(detail, detail_size, "rounded to fp16%s", b_stored == CS_DT_F16 ? " (stored as float16)" : "");
    } else if (same_n && within_rounding(a, b, 3.90625e-3, 1e-38)) {
        snprintf(kind, kind_size, "weights_precision");
        snprintf(detail, detail_size, "rounded to bf16");
    } else if (same_n && quantized(a, b, &step)) {
        snprintf(kind, kind_size, "weights_precision");
        snprintf(detail, detail_size, "quantized to int8 with scale %.4g", step);
    } else if (try_permutations(a, la, b, tol, detail, detail_size) ||
               try_flatten_order(a, la, b, tol, detail, detail_size)) {
        snprintf(kind, kind_size, "weights_layout");
    } else if (try_scaled(a, la, b, detail, detail_size)) {
        snprintf(kind, kind_size, "weights_scaled");
    } else {
        snprintf(kind, kind_size, "weights_different");
        if (same_n)
            stats(a, b, detail, detail_size);
        else
            snprintf(detail, detail_size, "%lld vs %lld elements", (long long)cs_tensor_numel(a),
                     (long long)cs_tensor_numel(b));
    }
}

/* text.c — op family 'text': TfIdfVectorizer over integer token ids (n-gram counts with skips, TF, IDF and
 * TFIDF weighting; string pools are refused), and StringNormalizer, StringConcat, StringSplit over string tensors. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "../value.h"
#include "registry.h"

typedef struct tfidf {
    const int64_t *pool, *counts, *indexes;
    int n_pool, n_counts, n_indexes;
    int64_t min_n, max_n, max_skip, out_size;
    int mode;               /* 0 TF, 1 IDF, 2 TFIDF */
    const double *weights;
    int n_weights;
} tfidf;

static cs_status read_cfg(cs_kernel_ctx *ctx, tfidf *c)
{
    const cs_attrs *a = &ctx->node->attrs;
    if (cs_attrs_find(a, "pool_strings"))
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "string pools are not supported (integer token ids only)");
    c->n_pool = cs_attrs_ints(a, "pool_int64s", &c->pool);
    c->n_counts = cs_attrs_ints(a, "ngram_counts", &c->counts);
    c->n_indexes = cs_attrs_ints(a, "ngram_indexes", &c->indexes);
    c->n_weights = cs_attrs_floats(a, "weights", &c->weights);
    c->min_n = cs_attrs_int(a, "min_gram_length", 1), c->max_n = cs_attrs_int(a, "max_gram_length", 1);
    c->max_skip = cs_attrs_int(a, "max_skip_count", 0);
    const char *mode = cs_attrs_string(a, "mode", "TF");
    c->mode = strcmp(mode, "TF") == 0 ? 0 : strcmp(mode, "IDF") == 0 ? 1 : strcmp(mode, "TFIDF") == 0 ? 2 : -1;
    if (c->n_pool < 0 || c->n_counts < 1 || c->n_indexes < 0 || c->mode < 0 || c->min_n < 1 ||
        c->max_n < c->min_n || c->max_n > c->n_counts || c->max_skip < 0 || c->max_skip > 1000)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "TfIdfVectorizer needs pool_int64s, ngram_counts, ngram_indexes, "
                              "a mode TF|IDF|TFIDF and 1 <= min_gram_length <= max_gram_length <= len(ngram_counts)");
    c->out_size = 0;
    for (int i = 0; i < c->n_indexes; i++) {
        if (c->indexes[i] < 0 || c->indexes[i] > (int64_t)1 << 24)
            return cs_kernel_fail(ctx, CS_ERR_FORMAT, "ngram_indexes[%d] = %lld is out of range", i,
                                  (long long)c->indexes[i]);
        c->out_size = c->indexes[i] + 1 > c->out_size ? c->indexes[i] + 1 : c->out_size;
    }
    for (int i = 0; i < c->n_counts; i++)
        if (c->counts[i] < 0 || c->counts[i] > c->n_pool || (i && c->counts[i] < c->counts[i - 1]))
            return cs_kernel_fail(ctx, CS_ERR_FORMAT, "ngram_counts must rise within the pool");
    if (c->n_weights >= 0 && c->n_weights != c->n_indexes)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "%d weights for %d n-grams", c->n_weights, c->n_indexes);
    return CS_OK;
}

/* The n-gram starting at x[i] with the given gap (skip + 1) against the pool's n-grams of length n:
 * returns the n-gram's ordinal over the whole pool, or -1. */
static int find_gram(const tfidf *c, const int64_t *x, int64_t i, int64_t gap, int64_t n)
{
    int64_t start = c->counts[n - 1], end = n < c->n_counts ? c->counts[n] : c->n_pool;
    int ordinal = 0;
    for (int64_t k = 1; k < n; k++) /* n-grams of shorter lengths come first */
        ordinal += (int)(((k < c->n_counts ? c->counts[k] : c->n_pool) - c->counts[k - 1]) / k);
    for (int64_t p = start; p + n <= end; p += n, ordinal++) {
        bool same = true;
        for (int64_t k = 0; k < n && same; k++)
            same = c->pool[p + k] == x[i + k * gap];
        if (same)
            return ordinal;
    }
    return -1;
}

static void count_row(const tfidf *c, const int64_t *x, int64_t len, float *y)
{
    for (int64_t n = c->min_n; n <= c->max_n; n++)
        for (int64_t skip = 0; skip <= (n == 1 ? 0 : c->max_skip); skip++)
            for (int64_t i = 0; i + (n - 1) * (skip + 1) < len; i++) {
                int g = find_gram(c, x, i, skip + 1, n);
                if (g >= 0 && g < c->n_indexes)
                    y[c->indexes[g]] += 1;
            }
    for (int g = 0; g < c->n_indexes; g++) {
        float *v = &y[c->indexes[g]];
        double w = c->n_weights > 0 ? c->weights[g] : 1;
        if (c->mode == 1)
            *v = *v > 0 ? (float)w : 0;
        else if (c->mode == 2)
            *v = (float)(*v * w);
    }
}

static cs_status op_tfidf(cs_kernel_ctx *ctx)
{
    tfidf c;
    const cs_tensor *X = cs_kernel_input(ctx, 0);
    if (!X || (X->rank != 1 && X->rank != 2) || (X->dtype != CS_DT_I32 && X->dtype != CS_DT_I64))
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "TfIdfVectorizer needs a 1-D or 2-D int32/int64 input");
    if (read_cfg(ctx, &c) != CS_OK)
        return ctx->err->status;
    int64_t rows = X->rank == 2 ? X->dims[0] : 1, len = X->dims[X->rank - 1];
    int64_t dims[2] = {rows, c.out_size};
    cs_tensor *Y = cs_kernel_output(ctx, 0, CS_DT_F32, X->rank, X->rank == 2 ? dims : dims + 1);
    int64_t *row = malloc((size_t)(len > 0 ? len : 1) * sizeof *row);
    if (!Y || !row) {
        free(row);
        return Y ? cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory") : ctx->err->status;
    }
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t i = 0; i < len; i++)
            row[i] = cs_tensor_get_i64(X, r * len + i);
        count_row(&c, row, len, (float *)Y->data + r * c.out_size);
    }
    free(row);
    return CS_OK;
}

/* ---- StringNormalizer ---- */

static int tolower_ascii(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int toupper_ascii(int c)
{
    return c >= 'a' && c <= 'z' ? c - 32 : c;
}

/* One UTF-8 code point at s (length *n); a malformed byte reads as itself (Latin-1) so nothing is lost. */
static wint_t utf8_next(const unsigned char *s, int *n)
{
    int len = s[0] < 0x80 ? 1 : (s[0] >> 5) == 6 ? 2 : (s[0] >> 4) == 14 ? 3 : (s[0] >> 3) == 30 ? 4 : 0;
    wint_t c = len == 1 ? s[0] : len == 2 ? s[0] & 0x1f : len == 3 ? s[0] & 0x0f : s[0] & 0x07;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            len = 0;
        if (!len)
            break;
        c = (c << 6) | (s[i] & 0x3f);
    }
    *n = len ? len : 1;
    return len ? c : s[0];
}

static int utf8_put(wint_t c, char *out)
{
    if (c < 0x80)
        return out[0] = (char)c, 1;
    if (c < 0x800)
        return out[0] = (char)(0xc0 | (c >> 6)), out[1] = (char)(0x80 | (c & 0x3f)), 2;
    if (c < 0x10000)
        return out[0] = (char)(0xe0 | (c >> 12)), out[1] = (char)(0x80 | ((c >> 6) & 0x3f)),
               out[2] = (char)(0x80 | (c & 0x3f)), 3;
    return out[0] = (char)(0xf0 | ((c >> 18) & 0x07)), out[1] = (char)(0x80 | ((c >> 12) & 0x3f)),
           out[2] = (char)(0x80 | ((c >> 6) & 0x3f)), out[3] = (char)(0x80 | (c & 0x3f)), 4;
}

/* s with every code point mapped to lower (mode 'L') or upper case (mode 'U') by the C.UTF-8 locale's tables
 * (ASCII only where that locale is missing); malloc'd, NULL when out of memory. */
static char *change_case(const char *s, char mode)
{
    static locale_t utf8;
    static int tried;
    if (!tried) /* racing first calls may each make one: harmless */
        utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0), tried = 1;
    size_t len = strlen(s);
    char *out = malloc(len * 4 + 1);
    size_t o = 0;
    for (int n; out && *s; s += n) {
        wint_t c = utf8_next((const unsigned char *)s, &n);
        if (utf8)
            c = mode == 'L' ? towlower_l(c, utf8) : towupper_l(c, utf8);
        else if (c < 0x80)
            c = mode == 'L' ? (wint_t)tolower_ascii((int)c) : (wint_t)toupper_ascii((int)c);
        o += (size_t)utf8_put(c, out + o);
    }
    if (out)
        out[o] = 0;
    return out;
}

static bool is_stopword(const char *s, const cs_attr *stop, bool sensitive)
{
    for (int i = 0; stop && i < stop->count; i++) {
        if (sensitive && strcmp(s, stop->strings[i]) == 0)
            return true;
        if (!sensitive) {
            char *a = change_case(s, 'L'), *b = change_case(stop->strings[i], 'L');
            bool same = a && b && strcmp(a, b) == 0;
            free(a), free(b);
            if (same)
                return true;
        }
    }
    return false;
}

static cs_status op_string_normalizer(cs_kernel_ctx *ctx)
{
    const cs_tensor *x = cs_kernel_input(ctx, 0);
    if (!x || x->kind != CS_VALUE_TENSOR || x->dtype != CS_DT_STRING || x->rank < 1 || x->rank > 2 ||
        (x->rank == 2 && x->dims[0] != 1))
        return cs_kernel_fail(ctx, CS_ERR_ARG, "the input must be a string tensor of shape [C] or [1, C]");
    const cs_attrs *a = &ctx->node->attrs;
    const char *action = cs_attrs_string(a, "case_change_action", "NONE");
    char mode = strcmp(action, "LOWER") == 0 ? 'L' : strcmp(action, "UPPER") == 0 ? 'U' : 'N';
    if (mode == 'N' && strcmp(action, "NONE") != 0)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "case_change_action '%s' is not LOWER, UPPER or NONE", action);
    const cs_attr *stop = cs_attrs_find(a, "stopwords");
    if (stop && stop->type != CS_ATTR_STRINGS)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "stopwords must be a list of strings");
    bool sensitive = cs_attrs_int(a, "is_case_sensitive", 0) != 0;
    int64_t n = cs_string_count(x), kept = 0;
    for (int64_t i = 0; i < n; i++)
        kept += !is_stopword(cs_string_at(x, i), stop, sensitive);
    int64_t dims[2] = {1, kept ? kept : 1}; /* all removed: one empty string */
    cs_tensor *y = cs_tensor_new(CS_DT_STRING, x->rank, x->rank == 2 ? dims : dims + 1, ctx->err);
    if (!(ctx->out[0] = y))
        return ctx->err->status;
    for (int64_t i = 0, k = 0; i < n; i++) {
        const char *s = cs_string_at(x, i);
        if (is_stopword(s, stop, sensitive))
            continue;
        char *c = mode == 'N' ? NULL : change_case(s, mode);
        cs_status st = mode != 'N' && !c ? cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory")
                                         : cs_string_set(y, k++, c ? c : s, strlen(c ? c : s), ctx->err);
        free(c);
        if (st != CS_OK)
            return st;
    }
    return CS_OK;
}

/* ---- StringConcat and StringSplit (opset 20) ---- */

static bool is_strings(const cs_tensor *t)
{
    return t && t->kind == CS_VALUE_TENSOR && t->dtype == CS_DT_STRING;
}

static cs_status op_string_concat(cs_kernel_ctx *ctx)
{
    const cs_tensor *a = cs_kernel_input(ctx, 0), *b = cs_kernel_input(ctx, 1);
    int rank;
    int64_t dims[CS_MAX_RANK], sa[CS_MAX_RANK], sb[CS_MAX_RANK], idx[CS_MAX_RANK] = {0};
    if (!is_strings(a) || !is_strings(b))
        return cs_kernel_fail(ctx, CS_ERR_ARG, "both inputs must be string tensors");
    if (!cs_broadcast_shape(a->rank, a->dims, b->rank, b->dims, &rank, dims))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "the input shapes do not broadcast");
    cs_broadcast_strides(a->rank, a->dims, rank, dims, sa);
    cs_broadcast_strides(b->rank, b->dims, rank, dims, sb);
    cs_tensor *y = cs_tensor_new(CS_DT_STRING, rank, dims, ctx->err);
    if (!(ctx->out[0] = y))
        return ctx->err->status;
    for (int64_t i = 0, n = cs_string_count(y); i < n; i++) {
        int64_t ia = 0, ib = 0;
        for (int d = 0; d < rank; d++)
            ia += idx[d] * sa[d], ib += idx[d] * sb[d];
        const char *u = cs_string_at(a, ia), *v = cs_string_at(b, ib);
        size_t lu = strlen(u), lv = strlen(v);
        char *c = malloc(lu + lv + 1);
        if (!c)
            return cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
        memcpy(c, u, lu), memcpy(c + lu, v, lv + 1);
        cs_status st = cs_string_set(y, i, c, lu + lv, ctx->err);
        free(c);
        if (st != CS_OK)
            return st;
        for (int d = rank - 1; d >= 0 && ++idx[d] == dims[d]; d--)
            idx[d] = 0;
    }
    return CS_OK;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Stores piece n of a split (when y is given) at y[at + n]. */
static bool put_piece(cs_tensor *y, int64_t at, int64_t n, const char *s, const char *end, cs_error *err)
{
    return !y || cs_string_set(y, at + n, s, (size_t)(end - s), err) == CS_OK;
}

/* The pieces of s as Python's str.split: on each delimiter, or (delim empty) on runs of whitespace with the
 * ends trimmed; at most maxsplit splits (< 0: all), the rest one last piece. Stores them at y[at...] when y is
 * given; returns the count, -1 on failure (err set). */
static int64_t split_pieces(const char *s, const char *delim, int64_t maxsplit, cs_tensor *y, int64_t at,
                            cs_error *err)
{
    size_t dl = strlen(delim);
    for (int64_t n = 0;; n++) {
        bool last = maxsplit >= 0 && n >= maxsplit;
        const char *end;
        if (!dl) {
            while (is_space(*s))
                s++;
            if (!*s)
                return n;
            for (end = s; *end && (last || !is_space(*end)); end++)
                ;
        } else {
            end = last ? NULL : strstr(s, delim);
            end = end ? end : s + strlen(s);
        }
        if (!put_piece(y, at, n, s, end, err))
            return -1;
        if (!*end)
            return n + 1;
        s = end + dl;
    }
}

static cs_status op_string_split(cs_kernel_ctx *ctx)
{
    const cs_tensor *x = cs_kernel_input(ctx, 0);
    if (!is_strings(x) || x->rank >= CS_MAX_RANK)
        return cs_kernel_fail(ctx, CS_ERR_ARG, "the input must be a string tensor of rank below %d", CS_MAX_RANK);
    const char *delim = cs_attrs_string(&ctx->node->attrs, "delimiter", "");
    int64_t maxsplit = cs_attrs_int(&ctx->node->attrs, "maxsplit", -1), n = cs_string_count(x), width = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t k = split_pieces(cs_string_at(x, i), delim, maxsplit, NULL, 0, ctx->err);
        width = k > width ? k : width;
    }
    if (n && width > (int64_t)CS_STRING_MAX_BYTES / n)
        return cs_kernel_fail(ctx, CS_ERR_NOMEM, "%lld x %lld pieces are too many", (long long)n, (long long)width);
    int64_t dims[CS_MAX_RANK];
    memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
    dims[x->rank] = width;
    cs_tensor *y = cs_tensor_new(CS_DT_STRING, x->rank + 1, dims, ctx->err);
    if (!(ctx->out[0] = y))
        return ctx->err->status;
    cs_tensor *z = ctx->n_out > 1 ? cs_kernel_output(ctx, 1, CS_DT_I64, x->rank, x->dims) : NULL;
    if (ctx->n_out > 1 && !z)
        return ctx->err->status;
    for (int64_t i = 0; i < n; i++) {
        int64_t k = split_pieces(cs_string_at(x, i), delim, maxsplit, y, i * width, ctx->err);
        if (k < 0)
            return ctx->err->status;
        if (z)
            ((int64_t *)z->data)[i] = k;
    }
    return CS_OK;
}

const cs_op_def cs_ops_text[] = {
    {.name = "TfIdfVectorizer", .run = op_tfidf},
    {.name = "StringNormalizer", .run = op_string_normalizer},
    {.name = "StringConcat", .run = op_string_concat},
    {.name = "StringSplit", .run = op_string_split},
    {.name = NULL},
};

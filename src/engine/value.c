/* value.c — sequences, optionals and string tensors in cs_tensor: construction, deep copies and freeing,
 * with every count and length bounded (they come from untrusted model and data files). */
#include "value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cs_value_kind_name(const cs_tensor *t)
{
    switch (t->kind) {
    case CS_VALUE_SEQUENCE: return "sequence";
    case CS_VALUE_OPTIONAL: return "optional";
    default: return t->dtype == CS_DT_STRING ? "string tensor" : "tensor";
    }
}

static cs_tensor *container(cs_value_kind kind, cs_error *err)
{
    cs_tensor *t = calloc(1, sizeof *t);
    if (!t) {
        cs_error_set(err, CS_ERR_NOMEM, "out of memory allocating a %s", kind == CS_VALUE_SEQUENCE ? "sequence"
                                                                                                    : "optional");
        return NULL;
    }
    t->kind = kind;
    t->dtype = CS_DT_UNDEFINED;
    t->rank = 1; /* shape [0]: no elements to code that ignores the kind */
    return t;
}

cs_tensor *cs_seq_new(cs_error *err)
{
    return container(CS_VALUE_SEQUENCE, err);
}

cs_status cs_seq_insert(cs_tensor *seq, int pos, cs_tensor *item, cs_error *err)
{
    if (seq->n_items >= CS_SEQ_MAX_ITEMS)
        return cs_error_set(err, CS_ERR_ARG, "a sequence may hold at most %d elements", CS_SEQ_MAX_ITEMS);
    if (pos < 0 || pos > seq->n_items)
        return cs_error_set(err, CS_ERR_ARG, "position %d is outside the sequence of %d", pos, seq->n_items);
    cs_tensor **p = realloc(seq->items, (size_t)(seq->n_items + 1) * sizeof *p);
    if (!p)
        return cs_error_set(err, CS_ERR_NOMEM, "out of memory growing a sequence");
    seq->items = p;
    memmove(p + pos + 1, p + pos, (size_t)(seq->n_items - pos) * sizeof *p);
    p[pos] = item;
    seq->n_items++;
    return CS_OK;
}

void cs_seq_erase(cs_tensor *seq, int pos)
{
    if (pos < 0 || pos >= seq->n_items)
        return;
    cs_tensor_free(seq->items[pos]);
    memmove(seq->items + pos, seq->items + pos + 1, (size_t)(seq->n_items - pos - 1) * sizeof *seq->items);
    seq->n_items--;
}

cs_tensor *cs_optional_new(cs_tensor *content, cs_error *err)
{
    cs_tensor *t = container(CS_VALUE_OPTIONAL, err);
    if (t && content) {
        t->items = malloc(sizeof *t->items);
        if (!t->items) {
            free(t);
            cs_error_set(err, CS_ERR_NOMEM, "out of memory allocating an optional");
            return NULL;
        }
        t->items[0] = content;
        t->n_items = 1;
    }
    return t;
}

int64_t cs_string_count(const cs_tensor *t)
{
    return t->dtype == CS_DT_STRING ? (int64_t)(t->nbytes / sizeof(char *)) : 0;
}

const char *cs_string_at(const cs_tensor *t, int64_t i)
{
    const char *s = i >= 0 && i < cs_string_count(t) ? ((char *const *)t->data)[i] : NULL;
    return s ? s : "";
}

cs_status cs_string_set(cs_tensor *t, int64_t i, const char *s, size_t len, cs_error *err)
{
    if (i < 0 || i >= cs_string_count(t))
        return cs_error_set(err, CS_ERR_ARG, "string element %lld is outside the tensor", (long long)i);
    if (len > CS_STRING_MAX_BYTES)
        return cs_error_set(err, CS_ERR_FORMAT, "a string element of %zu bytes is too long", len);
    char *c = malloc(len + 1);
    if (!c)
        return cs_error_set(err, CS_ERR_NOMEM, "out of memory copying a string");
    if (len)
        memcpy(c, s, len);
    c[len] = 0;
    char **slot = &((char **)t->data)[i];
    free(*slot);
    *slot = c;
    return CS_OK;
}

/* x as numpy prints it (str of a float32/float64): the fewest significant digits that read back to the same
 * value, positional for 1e-4 <= |x| < 1e16 ("0.5", "100.0"), else scientific ("1e-05", "1.5e+20"). */
static void format_float(double x, bool single, char *buf, size_t size)
{
    if (isnan(x) || isinf(x)) {
        snprintf(buf, size, "%s", isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
        return;
    }
    int p = 1, maxp = single ? 9 : 17;
    for (; p < maxp; p++) {
        snprintf(buf, size, "%.*e", p - 1, x);
        if (single ? strtof(buf, NULL) == (float)x : strtod(buf, NULL) == x)
            break;
    }
    snprintf(buf, size, "%.*e", p - 1, x);
    int exp = atoi(strchr(buf, 'e') + 1);
    if (x != 0 && (exp < -4 || exp >= 16))
        return; /* scientific, as printed */
    int decimals = p - 1 - exp;
    snprintf(buf, size, "%.*f", decimals > 0 ? decimals : 0, x);
    if (decimals <= 0)
        snprintf(buf + strlen(buf), size - strlen(buf), ".0");
}

cs_tensor *cs_string_cast(const cs_tensor *t, cs_dtype to, cs_error *err)
{
    if (t->kind != CS_VALUE_TENSOR || (t->dtype != CS_DT_STRING && to != CS_DT_STRING)) {
        cs_error_set(err, CS_ERR_ARG, "a string cast needs a string tensor or a string target");
        return NULL;
    }
    if (t->dtype == CS_DT_STRING && to == CS_DT_STRING)
        return cs_tensor_clone(t, err);
    cs_tensor *c = cs_tensor_new(to, t->rank, t->dims, err);
    if (!c)
        return NULL;
    if (t->dtype == CS_DT_STRING) { /* parse: floats with strtod (NaN, INF, +INF, -INF), integers exactly */
        for (int64_t i = 0, n = cs_string_count(t); i < n; i++) {
            const char *s = cs_string_at(t, i);
            if (cs_dtype_is_float(to) || to == CS_DT_BOOL)
                cs_tensor_set_f64(c, i, strtod(s, NULL));
            else
                cs_tensor_set_i64(c, i, strtoll(s, NULL, 10));
        }
        return c;
    }
    char buf[64];
    for (int64_t i = 0, n = cs_tensor_numel(t); i < n; i++) {
        if (cs_dtype_is_float(t->dtype))
            format_float(cs_tensor_get_f64(t, i), t->dtype != CS_DT_F64, buf, sizeof buf);
        else if (t->dtype == CS_DT_BOOL)
            snprintf(buf, sizeof buf, "%s", cs_tensor_get_i64(t, i) ? "True" : "False");
        else if (t->dtype == CS_DT_U64)
            snprintf(buf, sizeof buf, "%llu", (unsigned long long)((const uint64_t *)t->data)[i]);
        else
            snprintf(buf, sizeof buf, "%lld", (long long)cs_tensor_get_i64(t, i));
        if (cs_string_set(c, i, buf, strlen(buf), err) != CS_OK) {
            cs_tensor_free(c);
            return NULL;
        }
    }
    return c;
}

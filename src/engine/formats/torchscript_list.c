/* torchscript_list.c — list and index builtins of the TorchScript interpreter, as scripted torch.nn.functional
 * code uses them at load time: append, extend, insert, l[i] = v, prim.min/max, __contains__, list(), list + list, list * n, list slices, range helpers, string ==. */
#include <stdlib.h>
#include <string.h>

#include "torchscript_internal.h"

static bool is_seq(const tv *v)
{
    return v && (v->kind == TV_LIST || v->kind == TV_TUPLE);
}

static bool static_int(const tv *v, int64_t *i)
{
    if (!v || (v->kind != TV_INT && v->kind != TV_BOOL) || v->dyn)
        return false;
    *i = v->i;
    return true;
}

/* A new list holding a[lo:hi:step] (step > 0) followed by all of b (may be NULL). */
static tv *list_from(ts_ctx *c, const tv *a, int64_t lo, int64_t hi, int64_t step, const tv *b)
{
    tv *l = cs_ts_new(c, TV_LIST);
    int64_t na = lo < hi ? (hi - lo + step - 1) / step : 0, nb = b ? b->n : 0;
    tv **items = l ? cs_ts_alloc(c, (size_t)(na + nb + 1) * sizeof *items) : NULL;
    if (!items || na + nb > INT32_MAX)
        return cs_ts_fail(c, CS_ERR_NOMEM, "out of memory");
    int n = 0;
    for (int64_t k = lo; k < hi; k += step)
        items[n++] = a->items[k];
    for (int k = 0; k < nb; k++)
        items[n++] = b->items[k];
    l->items = items;
    l->n = n;
    return l;
}

static tv *slice_list(ts_ctx *c, const tv *a, tv **args, int n)
{
    int64_t lo = 0, hi = a->n, step = 1;
    if ((n > 1 && args[1]->kind != TV_NONE && !static_int(args[1], &lo)) ||
        (n > 2 && args[2]->kind != TV_NONE && !static_int(args[2], &hi)) || (n > 3 && !static_int(args[3], &step)))
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: list slice with run-time bounds");
    if (step < 1)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "list slice with step %lld", (long long)step);
    lo = lo < 0 ? lo + a->n : lo;
    hi = hi < 0 ? hi + a->n : hi;
    lo = lo < 0 ? 0 : lo > a->n ? a->n : lo;
    hi = hi < lo ? lo : hi > a->n ? a->n : hi;
    return list_from(c, a, lo, hi, step, NULL);
}

static tv *append(ts_ctx *c, tv *l, tv *v)
{
    tv **items = cs_ts_alloc(c, (size_t)(l->n + 1) * sizeof *items);
    if (!items)
        return cs_ts_fail(c, CS_ERR_NOMEM, "out of memory");
    if (l->n)
        memcpy(items, l->items, (size_t)l->n * sizeof *items);
    items[l->n++] = v;
    l->items = items; /* in place: TorchScript lists are shared by reference */
    return cs_ts_new(c, TV_NONE);
}

static bool same_static(const tv *a, const tv *b, bool *known)
{
    *known = true;
    if (a->kind == TV_STR && b->kind == TV_STR)
        return strcmp(a->s, b->s) == 0;
    if ((a->kind == TV_INT || a->kind == TV_BOOL) && (b->kind == TV_INT || b->kind == TV_BOOL) && !a->dyn && !b->dyn)
        return a->i == b->i;
    if (a->kind == TV_FLOAT && b->kind == TV_FLOAT)
        return a->f == b->f;
    if (a->kind == TV_NONE || b->kind == TV_NONE)
        return a->kind == b->kind;
    *known = false;
    return false;
}

static tv *contains(ts_ctx *c, const tv *seq, const tv *v)
{
    bool any_unknown = false;
    for (int k = 0; k < seq->n; k++) {
        bool known, eq = same_static(seq->items[k], v, &known);
        if (known && eq) {
            tv *b = cs_ts_new(c, TV_BOOL);
            if (b)
                b->i = 1;
            return b;
        }
        any_unknown |= !known;
    }
    return cs_ts_new(c, any_unknown ? TV_UNKNOWN : TV_BOOL);
}

/* prim.min / prim.max of two numbers or of a list: static when all are, run-time ints through Min/Max. */
static tv *min_max(ts_ctx *c, bool is_min, tv **items, int n)
{
    if (n < 1)
        return cs_ts_fail(c, CS_ERR_FORMAT, "%s of an empty list", is_min ? "min" : "max");
    tv *best = items[0];
    for (int k = 1; k < n; k++) {
        tv *v = items[k];
        double a, b;
        bool dyn = (best->kind == TV_INT && best->dyn) || (v->kind == TV_INT && v->dyn);
        if (dyn && (best->kind != TV_INT || v->kind != TV_INT))
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "min/max of a run-time int and a non-int");
        if (dyn) {
            if (!(best = cs_ts_dyn_int_op(c, is_min ? "min" : "max", best, v)))
                return NULL;
            continue;
        }
        if (!cs_ts_get_num(best, &a) || !cs_ts_get_num(v, &b) || best->kind == TV_TENSOR || v->kind == TV_TENSOR)
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "min/max of something other than numbers");
        if (is_min ? b < a : b > a)
            best = v;
    }
    return best;
}

tv *cs_ts_list_builtin(ts_ctx *c, const char *name, tv **args, int n, bool *handled)
{
    bool is_min = strcmp(name, "ops.prim.min") == 0;
    if (is_min || strcmp(name, "ops.prim.max") == 0) {
        if (n == 1 && is_seq(args[0]))
            return *handled = true, min_max(c, is_min, args[0]->items, args[0]->n);
        if (n == 2)
            return *handled = true, min_max(c, is_min, args, 2);
    }
    *handled = true;
    int64_t x, y, z;
    if ((strcmp(name, "torch.eq") == 0 || strcmp(name, "torch.ne") == 0) && n == 2 && args[0]->kind == TV_STR &&
        args[1]->kind == TV_STR) {
        tv *b = cs_ts_new(c, TV_BOOL);
        if (b)
            b->i = (strcmp(args[0]->s, args[1]->s) == 0) == (name[6] == 'e');
        return b;
    }
    if (strcmp(name, "torch.append") == 0 && n == 2 && args[0]->kind == TV_LIST) {
        c->writes++;
        return append(c, args[0], args[1]);
    }
    if (strcmp(name, "torch._set_item") == 0 && n == 3 && args[0]->kind == TV_LIST) { /* l[i] = v, in place */
        c->writes++;
        if (!static_int(args[1], &x))
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: list index only known at run time");
        if (x < -(int64_t)args[0]->n || x >= args[0]->n)
            return cs_ts_fail(c, CS_ERR_FORMAT, "list index %lld out of range for a list of %d",
                              (long long)x, args[0]->n);
        args[0]->items[x < 0 ? x + args[0]->n : x] = args[2];
        return cs_ts_new(c, TV_NONE);
    }
    if (strcmp(name, "torch.extend") == 0 && n == 2 && args[0]->kind == TV_LIST && is_seq(args[1])) {
        c->writes++; /* l.extend(m), in place (m may be l itself: its length is read first) */
        int m = args[1]->n;
        tv *r = m ? NULL : cs_ts_new(c, TV_NONE);
        for (int k = 0; k < m; k++)
            if (!(r = append(c, args[0], args[1]->items[k])))
                return NULL;
        return r;
    }
    if (strcmp(name, "torch.insert") == 0 && n == 3 && args[0]->kind == TV_LIST) { /* l.insert(i, v), in place */
        c->writes++;
        if (!static_int(args[1], &x))
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: list index only known at run time");
        tv *l = args[0];
        x = x < 0 ? (x + l->n < 0 ? 0 : x + l->n) : x > l->n ? l->n : x; /* Python clamps the position */
        tv *tail = list_from(c, l, x, l->n, 1, NULL);
        if (!tail || !append(c, l, args[2]))
            return NULL;
        l->n = (int)x;
        tv *r = NULL;
        for (int k = 0; k <= tail->n; k++)
            if (!(r = append(c, l, k == 0 ? args[2] : tail->items[k - 1])))
                return NULL;
        return r;
    }
    if (strcmp(name, "torch.__contains__") == 0 && n == 2 && is_seq(args[0]))
        return contains(c, args[0], args[1]);
    if ((strcmp(name, "torch.list") == 0 || strcmp(name, "list") == 0) && n == 1 && is_seq(args[0]))
        return list_from(c, args[0], 0, args[0]->n, 1, NULL);
    if (strcmp(name, "torch.add") == 0 && n == 2 && is_seq(args[0]) && is_seq(args[1]))
        return list_from(c, args[0], 0, args[0]->n, 1, args[1]);
    if (strcmp(name, "torch.mul") == 0 && n == 2 && (is_seq(args[0]) || is_seq(args[1]))) { /* list * count */
        const tv *l = is_seq(args[0]) ? args[0] : args[1];
        if (!static_int(is_seq(args[0]) ? args[1] : args[0], &x))
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: list repeated a run-time number of times");
        if (x < 0)
            x = 0;
        if (l->n && x > TS_MAX_LOOP / l->n)
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "list repeated %lld times", (long long)x);
        tv *r = cs_ts_new(c, TV_LIST);
        tv **items = r ? cs_ts_alloc(c, (size_t)(x * l->n + 1) * sizeof *items) : NULL;
        if (!items)
            return NULL;
        for (int64_t k = 0; k < x * l->n; k++)
            items[k] = l->items[k % l->n];
        r->items = items;
        r->n = (int)(x * l->n);
        return r;
    }
    if (strcmp(name, "torch.slice") == 0 && n >= 1 && is_seq(args[0]))
        return slice_list(c, args[0], args, n);
    if (strcmp(name, "torch.__range_length") == 0 && n == 3 && static_int(args[0], &x) && static_int(args[1], &y) &&
        static_int(args[2], &z) && z != 0) {
        int64_t len = 0; /* in unsigned arithmetic: no overflow for any bounds */
        if (z > 0 && y > x)
            len = (int64_t)(((uint64_t)y - (uint64_t)x - 1) / (uint64_t)z + 1);
        else if (z < 0 && y < x)
            len = (int64_t)(((uint64_t)x - (uint64_t)y - 1) / ((uint64_t)0 - (uint64_t)z) + 1);
        return cs_ts_int(c, len);
    }
    bool rl = strcmp(name, "torch.__range_length") == 0, di = strcmp(name, "torch.__derive_index") == 0;
    if ((rl || di) && n == 3 && args[0]->kind == TV_INT && args[1]->kind == TV_INT && static_int(args[2], &z) &&
        (args[0]->dyn || args[1]->dyn)) { /* run-time bounds (a Loop's count and index), step 1 */
        if (z != 1)
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: range() over a run-time value with a "
                              "step other than 1");
        if (di) /* start + index */
            return cs_ts_dyn_int_op(c, "add", args[1], args[0]);
        tv *zero = cs_ts_int(c, 0), *len = zero ? cs_ts_dyn_int_op(c, "sub", args[1], args[0]) : NULL;
        return len ? cs_ts_dyn_int_op(c, "max", len, zero) : NULL;
    }
    if (strcmp(name, "torch.__derive_index") == 0 && n == 3 && static_int(args[0], &x) && static_int(args[1], &y) &&
        static_int(args[2], &z))
        return cs_ts_int(c, (int64_t)((uint64_t)y + (uint64_t)x * (uint64_t)z)); /* wraps, never traps */
    *handled = false;
    return NULL;
}

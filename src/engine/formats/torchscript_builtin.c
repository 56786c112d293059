/* torchscript_builtin.c — the interpreter's non-tensor builtins: truth, load-time int and float arithmetic and
 * comparisons, int()/float()/len()/range()/getattr(), annotate/unchecked_cast, devices, is/is not, format. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchscript_internal.h"

/* ---- builtins (non-tensor) ---- */

bool cs_ts_truthy(const tv *v, bool *known)
{
    *known = true;
    switch (v->kind) {
    case TV_NONE: return false;
    case TV_BOOL:
    case TV_INT: *known = !v->dyn; return v->i != 0;
    case TV_FLOAT: return v->f != 0;
    case TV_STR: return v->s[0] != 0;
    case TV_LIST:
    case TV_TUPLE: return v->n > 0;
    case TV_MODULE:
    case TV_NS: return true;
    default: *known = false; return false;
    }
}

static bool num(const tv *v, double *d)
{
    if ((v->kind == TV_INT || v->kind == TV_BOOL) && !v->dyn)
        *d = (double)v->i;
    else if (v->kind == TV_FLOAT)
        *d = v->f;
    else
        return false;
    return true;
}

tv *cs_ts_bool(ts_ctx *c, bool b)
{
    tv *v = cs_ts_new(c, TV_BOOL);
    if (v)
        v->i = b;
    return v;
}

tv *cs_ts_unknown(ts_ctx *c)
{
    return cs_ts_new(c, TV_UNKNOWN);
}

/* Exact int64 arithmetic of load-time ints: overflow and INT64_MIN // -1 are errors, not traps. */
static tv *int_arith(ts_ctx *c, const char *op, int64_t x, int64_t y)
{
    int64_t r = 0;
    bool ovf = false;
    if (strcmp(op, "add") == 0)
        ovf = __builtin_add_overflow(x, y, &r);
    else if (strcmp(op, "sub") == 0)
        ovf = __builtin_sub_overflow(x, y, &r);
    else if (strcmp(op, "mul") == 0)
        ovf = __builtin_mul_overflow(x, y, &r);
    else if (strcmp(op, "neg") == 0)
        ovf = __builtin_sub_overflow((int64_t)0, x, &r);
    else if (strcmp(op, "floordiv") == 0 && y != 0) {
        ovf = x == INT64_MIN && y == -1;
        if (!ovf)
            r = x / y - ((x % y != 0) && ((x < 0) != (y < 0)));
    } else if (strcmp(op, "div") == 0 && y != 0) {
        tv *v = cs_ts_new(c, TV_FLOAT);
        if (v)
            v->f = (double)x / (double)y;
        return v;
    } else
        return NULL;
    if (ovf)
        return cs_ts_fail(c, CS_ERR_FORMAT, "integer overflow in %s of %lld and %lld", op, (long long)x,
                          (long long)y);
    return cs_ts_int(c, r);
}

/* Comparison and arithmetic on load-time scalars; NULL (no error) when not both static scalars. */
static tv *scalar_op(ts_ctx *c, const char *op, tv *a, tv *b)
{
    if (a->kind == TV_UNKNOWN || (b && b->kind == TV_UNKNOWN))
        return cs_ts_unknown(c);
    bool arith = !strcmp(op, "add") || !strcmp(op, "sub") || !strcmp(op, "mul") || !strcmp(op, "floordiv") ||
                 !strcmp(op, "remainder") || !strcmp(op, "rsub");
    if ((a->kind == TV_INT && a->dyn) || (b && b->kind == TV_INT && b->dyn)) {
        if (arith && b && a->kind == TV_INT && b->kind == TV_INT) /* run-time sizes: computed in the graph */
            return op[0] == 'r' && op[1] == 's' ? cs_ts_dyn_int_op(c, "sub", b, a) : cs_ts_dyn_int_op(c, op, a, b);
        bool cmp = !strcmp(op, "eq") || !strcmp(op, "ne") || !strcmp(op, "lt") || !strcmp(op, "gt") ||
                   !strcmp(op, "le") || !strcmp(op, "ge");
        if (cmp && b && a->kind == TV_INT && b->kind == TV_INT) /* a run-time bool (an 'if' on it runs both ways) */
            return cs_ts_dyn_int_op(c, op, a, b);
        return cmp ? cs_ts_unknown(c) : NULL; /* pow, div...: computed as tensors by the aten lowering */
    }
    double x, y = 0;
    if (!num(a, &x) || (b && !num(b, &y)))
        return NULL;
    bool ints = a->kind != TV_FLOAT && (!b || b->kind != TV_FLOAT);
    static const char *const cmp[] = {"eq", "ne", "lt", "gt", "le", "ge"};
    for (int k = 0; k < 6; k++)
        if (strcmp(op, cmp[k]) == 0) {
            bool r = k == 0 ? x == y : k == 1 ? x != y : k == 2 ? x < y : k == 3 ? x > y : k == 4 ? x <= y : x >= y;
            return cs_ts_bool(c, r);
        }
    if (ints && a->kind != TV_FLOAT)
        return int_arith(c, op, a->i, b ? b->i : 0);
    double r;
    if (strcmp(op, "add") == 0)
        r = x + y;
    else if (strcmp(op, "sub") == 0)
        r = x - y;
    else if (strcmp(op, "mul") == 0)
        r = x * y;
    else if (strcmp(op, "div") == 0 && y != 0)
        r = x / y, ints = false;
    else if (strcmp(op, "floordiv") == 0 && y != 0)
        r = ints ? (double)((int64_t)x / (int64_t)y - (((int64_t)x % (int64_t)y != 0) && ((x < 0) != (y < 0))))
                 : __builtin_floor(x / y);
    else if (strcmp(op, "neg") == 0)
        r = -x;
    else
        return NULL;
    if (ints && r >= -9.2e18 && r <= 9.2e18)
        return cs_ts_int(c, (int64_t)r);
    tv *v = cs_ts_new(c, TV_FLOAT);
    if (v)
        v->f = r;
    return v;
}

static tv *builtin_getattr(ts_ctx *c, tv **args, int n)
{
    if (n < 2 || args[0]->kind != TV_MODULE || args[1]->kind != TV_STR)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "getattr needs a module and a constant name");
    return cs_ts_module_attr(c, args[0], args[1]->s);
}

static tv *builtin_int(ts_ctx *c, const char *fn, tv *a)
{
    const cs_tensor *k = a->kind == TV_TENSOR && !a->qdt ? c->g->values[a->value].data : NULL;
    if (k && cs_tensor_numel(k) == 1) { /* float(self.scale) of a one-element buffer: a load-time number */
        tv *v = cs_ts_new(c, TV_FLOAT);
        if (v)
            v->f = cs_tensor_get_f64(k, 0);
        return strcmp(fn, "float") == 0 ? v : v ? builtin_int(c, fn, v) : NULL;
    }
    if (a->kind == TV_TENSOR && a->s && strcmp(a->s, CS_TS_DYN_FLOAT) == 0 && strcmp(fn, "float") == 0)
        return a;
    if (a->kind == TV_TENSOR) { /* int(NumToTensor(size)) and friends: a runtime scalar */
        int val = a->value, node;
        if (strcmp(fn, "int") == 0 && a->dt != CS_DT_I64) { /* int(floor(h * scale)): truncated to i64 */
            val = cs_ts_emit(c, "Cast", &a->value, 1, &node);
            if (val < 0 || !cs_attrs_add_int(&c->g->nodes[node].attrs, "to", CS_DT_I64))
                return val < 0 ? NULL : cs_ts_fail(c, CS_ERR_NOMEM, "out of memory");
        }
        tv *v = cs_ts_new(c, TV_INT);
        if (v)
            v->dyn = true, v->value = val;
        return v;
    }
    double d;
    if (a->kind == TV_INT && a->dyn && strcmp(fn, "float") == 0) { /* float(i) of a run-time int: a 0-d f32 */
        int node, val = cs_ts_emit(c, "Cast", &a->value, 1, &node);
        if (val < 0 || !cs_attrs_add_int(&c->g->nodes[node].attrs, "to", CS_DT_F32))
            return val < 0 ? NULL : cs_ts_fail(c, CS_ERR_NOMEM, "out of memory");
        tv *v = cs_ts_tensor(c, val, 0);
        if (v)
            v->dt = CS_DT_F32, v->s = CS_TS_DYN_FLOAT;
        return v;
    }
    if (a->kind == TV_INT && a->dyn)
        return a;
    if (!num(a, &d))
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "%s() of a value only known at run time", fn);
    if (strcmp(fn, "float") == 0) {
        tv *v = cs_ts_new(c, TV_FLOAT);
        if (v)
            v->f = d;
        return v;
    }
    if (strcmp(fn, "bool") == 0)
        return cs_ts_bool(c, d != 0);
    return cs_ts_int(c, (int64_t)d);
}

static tv *builtin_len_dim(ts_ctx *c, const char *fn, tv *a)
{
    if (strcmp(fn, "dim") == 0)
        return a->kind == TV_TENSOR && cs_ts_known_rank(c, a) >= 0 ? cs_ts_int(c, cs_ts_known_rank(c, a))
                                                                    : cs_ts_unknown(c);
    if (a->kind == TV_LIST || a->kind == TV_TUPLE)
        return cs_ts_int(c, a->n);
    if (a->kind == TV_STR)
        return cs_ts_int(c, (int64_t)strlen(a->s));
    const cs_tensor *t = a->kind == TV_TENSOR && a->value >= 0 ? c->g->values[a->value].data : NULL;
    if (t && t->rank >= 1) /* len() of a constant tensor (an empty state buffer): its first dim */
        return cs_ts_int(c, t->dims[0]);
    int64_t known;
    if (a->kind == TV_TENSOR && cs_ts_known_dim(c, a, 0, &known)) /* a batch size known at load */
        return cs_ts_int(c, known);
    tv *zero = a->kind == TV_TENSOR && a->rank != 0 ? cs_ts_int(c, 0) : NULL;
    if (zero) /* len(x): x.size(0), a run-time int */
        return cs_ts_size(c, (tv *)a, zero);
    return cs_ts_unknown(c);
}

static tv *builtin_range(ts_ctx *c, tv **args, int n)
{
    int64_t lo = 0, hi = 0, step = 1;
    bool dyn = false;
    for (int k = 0; k < n; k++) {
        if (args[k]->kind != TV_INT)
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "range() of something other than ints");
        dyn |= args[k]->dyn;
    }
    if (dyn) { /* a count only known at run time: a Loop when a 'for' runs over it */
        if (n < 1 || n > 3 || (n == 3 && (args[2]->dyn || args[2]->i != 1)))
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: range() over a run-time value with a "
                              "step other than 1");
        tv *zero = cs_ts_int(c, 0), *start = n == 1 ? zero : args[0];
        tv *len = start ? cs_ts_dyn_int_op(c, "sub", n == 1 ? args[0] : args[1], start) : NULL;
        tv *trip = len && zero ? cs_ts_dyn_int_op(c, "max", len, zero) : NULL;
        tv *r = trip ? cs_ts_new(c, TV_UNKNOWN) : NULL;
        if (!r || !cs_ts_push_item(c, r, start))
            return NULL;
        r->s = CS_TS_DYN_RANGE;
        r->value = trip->value;
        return r;
    }
    if (n == 1)
        hi = args[0]->i;
    else if (n >= 2)
        lo = args[0]->i, hi = args[1]->i, step = n > 2 ? args[2]->i : 1;
    /* the count in unsigned arithmetic: no overflow for any int64 bounds and step */
    uint64_t count = 0;
    if (step > 0 && hi > lo)
        count = ((uint64_t)hi - (uint64_t)lo - 1) / (uint64_t)step + 1;
    else if (step < 0 && hi < lo)
        count = ((uint64_t)lo - (uint64_t)hi - 1) / ((uint64_t)0 - (uint64_t)step) + 1;
    if (step == 0 || count > TS_MAX_LOOP)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "range() too long to unroll");
    tv *l = cs_ts_new(c, TV_LIST);
    tv **items = l ? cs_ts_alloc(c, (size_t)count * sizeof *items) : NULL;
    if (!items)
        return NULL;
    l->items = items;
    for (uint64_t k = 0; k < count; k++)
        if (!(items[l->n++] = cs_ts_int(c, (int64_t)((uint64_t)lo + k * (uint64_t)step))))
            return NULL;
    return l;
}

/* ---- dicts (str/int keys known at load time) ---- */

static bool same_key(const tv *a, const tv *b)
{
    if (a->kind == TV_STR && b->kind == TV_STR)
        return strcmp(a->s, b->s) == 0;
    return (a->kind == TV_INT || a->kind == TV_BOOL) && (b->kind == TV_INT || b->kind == TV_BOOL) && !a->dyn &&
           !b->dyn && a->i == b->i;
}

tv *cs_ts_dict_get(const tv *d, const tv *key)
{
    for (int k = 0; d->kind == TV_DICT && k + 1 < d->n; k += 2)
        if (same_key(d->items[k], key))
            return d->items[k + 1];
    return NULL;
}

/* dict(), _set_item(d, k, v), __contains__(d, k), len(d), keys/values/items(d); *handled false otherwise. */
static tv *dict_builtin(ts_ctx *c, const char *name, tv **args, int n, bool *handled)
{
    *handled = true;
    if (strcmp(name, "torch.dict") == 0 && n == 0)
        return cs_ts_new(c, TV_DICT);
    if (strcmp(name, "torch.dict") == 0 && n == 1 && (args[0]->kind == TV_LIST || args[0]->kind == TV_DICT)) {
        tv *r = cs_ts_new(c, TV_DICT); /* dict([(k, v), ...]) or a copy of a dict */
        for (int k = 0; r && k < args[0]->n; k++) {
            const tv *kv = args[0]->items[k];
            if (args[0]->kind == TV_DICT) {
                if (!cs_ts_push_item(c, r, args[0]->items[k]))
                    return NULL;
                continue;
            }
            if ((kv->kind != TV_TUPLE && kv->kind != TV_LIST) || kv->n != 2)
                return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "dict() of a list item that is not a (key, value) pair");
            if (kv->items[0]->kind != TV_STR && (kv->items[0]->kind != TV_INT || kv->items[0]->dyn))
                return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "dict key only known at run time");
            int j = 0; /* a repeated key: the last value wins */
            while (j + 1 < r->n && !same_key(r->items[j], kv->items[0]))
                j += 2;
            if (j + 1 < r->n)
                r->items[j + 1] = kv->items[1];
            else if (!cs_ts_push_item(c, r, kv->items[0]) || !cs_ts_push_item(c, r, kv->items[1]))
                return NULL;
        }
        return r;
    }
    tv *d = n > 0 && args[0]->kind == TV_DICT ? args[0] : NULL;
    if (!d) {
        *handled = false;
        return NULL;
    }
    if (strcmp(name, "torch._set_item") == 0 && n == 3) {
        c->writes++;
        if (args[1]->kind != TV_STR && (args[1]->kind != TV_INT || args[1]->dyn))
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "dict key only known at run time");
        for (int k = 0; k + 1 < d->n; k += 2)
            if (same_key(d->items[k], args[1])) {
                d->items[k + 1] = args[2];
                return cs_ts_new(c, TV_NONE);
            }
        return cs_ts_push_item(c, d, args[1]) && cs_ts_push_item(c, d, args[2]) ? cs_ts_new(c, TV_NONE) : NULL;
    }
    if (strcmp(name, "torch.__contains__") == 0 && n == 2)
        return cs_ts_bool(c, cs_ts_dict_get(d, args[1]) != NULL);
    if ((strcmp(name, "torch.len") == 0 || strcmp(name, "len") == 0) && n == 1)
        return cs_ts_int(c, d->n / 2);
    bool keys = strcmp(name, "torch.keys") == 0, values = strcmp(name, "torch.values") == 0;
    if ((keys || values || strcmp(name, "torch.items") == 0) && n == 1) {
        tv *l = cs_ts_new(c, TV_LIST);
        for (int k = 0; l && k + 1 < d->n; k += 2) {
            tv *it = keys ? d->items[k] : values ? d->items[k + 1] : cs_ts_new(c, TV_TUPLE);
            if (!keys && !values && it && (!cs_ts_push_item(c, it, d->items[k]) || !cs_ts_push_item(c, it, d->items[k + 1])))
                return NULL;
            if (!cs_ts_push_item(c, l, it))
                return NULL;
        }
        return l;
    }
    *handled = false;
    return NULL;
}

/* Interpreter-level builtins by qualified name; *handled false when the name is not one. */
tv *cs_ts_builtin(ts_ctx *c, const char *name, tv **args, char **kw, int n, bool *handled)
{
    tv *d = dict_builtin(c, name, args, n, handled);
    if (*handled || c->err->status)
        return d;
    *handled = true;
    (void)kw;
    if (strcmp(name, "annotate") == 0 || strcmp(name, "unchecked_cast") == 0)
        return n >= 2 ? args[1] : cs_ts_fail(c, CS_ERR_FORMAT, "%s needs two arguments", name);
    if (strcmp(name, "uninitialized") == 0)
        return cs_ts_new(c, TV_NONE);
    if (strcmp(name, "getattr") == 0)
        return builtin_getattr(c, args, n);
    if ((strcmp(name, "int") == 0 || strcmp(name, "float") == 0 || strcmp(name, "bool") == 0) && n == 1)
        return builtin_int(c, name, args[0]);
    if (strcmp(name, "range") == 0)
        return builtin_range(c, args, n);
    if ((strcmp(name, "len") == 0 || strcmp(name, "torch.len") == 0 || strcmp(name, "torch.dim") == 0) && n == 1)
        return builtin_len_dim(c, name + (strncmp(name, "torch.", 6) == 0 ? 6 : 0), args[0]);
    if (strcmp(name, "ops.prim.NumToTensor") == 0 || strcmp(name, "torch.Int") == 0 ||
        strcmp(name, "torch.Float") == 0)
        return n >= 1 ? args[0] : NULL;
    if (strcmp(name, "torch.device") == 0 || strcmp(name, "ops.prim.device") == 0 || strcmp(name, "torch.cpu") == 0 ||
        strcmp(name, "ops.prim.data") == 0) { /* one device: "cpu"; x.cpu() and x.data are x */
        if (strcmp(name, "torch.cpu") == 0 || strcmp(name, "ops.prim.data") == 0)
            return n > 0 ? args[0] : cs_ts_fail(c, CS_ERR_FORMAT, "%s needs an argument", name);
        tv *s = cs_ts_new(c, TV_STR);
        if (s)
            s->s = "cpu";
        return s;
    }
    if (strcmp(name, "isinstance") == 0 && n == 2) { /* isinstance(x, T) / (T1, T2): by the value's kind */
        const tv *t = args[1];
        int nt = t->kind == TV_TUPLE ? t->n : 1;
        bool any = false;
        for (int k = 0; k < nt; k++) {
            const tv *ty = t->kind == TV_TUPLE ? t->items[k] : t;
            const char *tn = ty->kind == TV_NS && ty->s ? ty->s : "";
            const char *dot = strrchr(tn, '.');
            tn = dot ? dot + 1 : tn;
            tv_kind v = args[0]->kind;
            any |= (!strcmp(tn, "list") && v == TV_LIST) || (!strcmp(tn, "tuple") && v == TV_TUPLE) ||
                   (!strcmp(tn, "Tensor") && v == TV_TENSOR) || (!strcmp(tn, "int") && v == TV_INT) ||
                   (!strcmp(tn, "float") && v == TV_FLOAT) || (!strcmp(tn, "str") && v == TV_STR) ||
                   (!strcmp(tn, "dict") && v == TV_DICT) || (!strcmp(tn, "bool") && v == TV_BOOL);
            if (ty->kind != TV_NS)
                return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "isinstance with a type convscope does not know");
        }
        return cs_ts_bool(c, any);
    }
    if (strcmp(name, "ops.prim.type") == 0 && n == 1 && args[0]->kind == TV_STR) /* device.type: "cpu" */
        return args[0];
    if ((strcmp(name, "torch.all") == 0 || strcmp(name, "torch.any") == 0) && n == 1 &&
        (args[0]->kind == TV_LIST || args[0]->kind == TV_TUPLE)) { /* all()/any() of load-time bools */
        bool all = name[6] == 'a' && name[7] == 'l', r = all;
        for (int k = 0; k < args[0]->n; k++) {
            bool known, t = cs_ts_truthy(args[0]->items[k], &known);
            if (!known)
                return cs_ts_unknown(c);
            r = all ? r && t : r || t;
        }
        return cs_ts_bool(c, r);
    }
    if (strcmp(name, "torch.find") == 0 && n >= 2 && args[0]->kind == TV_STR && args[1]->kind == TV_STR) {
        const char *hit = strstr(args[0]->s, args[1]->s); /* str.find (start/end: the whole string here) */
        return cs_ts_int(c, hit ? (int64_t)(hit - args[0]->s) : -1);
    }
    if ((strcmp(name, "torch.remainder") == 0 || strcmp(name, "torch.fmod") == 0) && n == 2 &&
        args[0]->kind == TV_INT && args[1]->kind == TV_INT && !args[0]->dyn && !args[1]->dyn && args[1]->i != 0 &&
        !(args[0]->i == INT64_MIN && args[1]->i == -1)) { /* Python's % takes the divisor's sign, fmod the dividend's */
        int64_t r = args[0]->i % args[1]->i;
        if (name[6] == 'r' && r != 0 && (r < 0) != (args[1]->i < 0))
            r += args[1]->i;
        return cs_ts_int(c, r);
    }
    if (strcmp(name, "ops.prim.requires_grad") == 0 || strcmp(name, "ops.prim.is_nested") == 0 ||
        strcmp(name, "ops.prim.is_cuda") == 0 || strcmp(name, "ops.prim.is_sparse") == 0 ||
        strcmp(name, "torch.is_grad_enabled") == 0 || strcmp(name, "torch.is_autocast_enabled") == 0) /* inference: no grad, no nested tensors */
        return cs_ts_bool(c, false);
    if ((strcmp(name, "torch.__and__") == 0 || strcmp(name, "torch.__or__") == 0) && n == 2 &&
        args[0]->kind == TV_BOOL && args[1]->kind == TV_BOOL)
        return cs_ts_bool(c, name[8] == 'a' ? args[0]->i && args[1]->i : args[0]->i || args[1]->i);
    if (strcmp(name, "ops.prim.dtype") == 0 && n == 1) /* activations are float32 (torch code 6) */
        return cs_ts_int(c, args[0]->kind == TV_TENSOR && args[0]->qdt == CS_DT_U8 ? 13 : 6);
    if (strcmp(name, "ops.prim.is_quantized") == 0 && n == 1)
        return cs_ts_bool(c, args[0]->kind == TV_TENSOR && args[0]->qdt);
    if (strcmp(name, "ops.prim.RaiseException") == 0) {
        c->raised = true;
        return cs_ts_new(c, TV_NONE);
    }
    if (strcmp(name, "torch.warn") == 0 || strcmp(name, "print") == 0)
        return cs_ts_new(c, TV_NONE);
    if (strcmp(name, "str") == 0 && n == 1 && (args[0]->kind == TV_INT || args[0]->kind == TV_BOOL) &&
        !args[0]->dyn) { /* str(i): feature-map names of detection backbones ("0", "1"...) */
        char buf[32];
        if (args[0]->kind == TV_BOOL)
            snprintf(buf, sizeof buf, "%s", args[0]->i ? "True" : "False");
        else
            snprintf(buf, sizeof buf, "%lld", (long long)args[0]->i);
        tv *s = cs_ts_new(c, TV_STR);
        if (s && !(s->s = cs_ts_strdup(c, buf)))
            return NULL;
        return s;
    }
    if (strcmp(name, "torch.format") == 0 || strcmp(name, "str") == 0) {
        tv *s = cs_ts_new(c, TV_STR);
        if (s)
            s->s = n > 0 && args[0]->kind == TV_STR ? args[0]->s : "";
        return s;
    }
    if ((strcmp(name, "torch.__is__") == 0 || strcmp(name, "torch.__isnot__") == 0) && n == 2) {
        bool same = (args[0]->kind == TV_NONE) == (args[1]->kind == TV_NONE);
        if (args[0]->kind != TV_NONE && args[1]->kind != TV_NONE)
            same = args[0] == args[1];
        return cs_ts_bool(c, strcmp(name, "torch.__is__") == 0 ? same : !same);
    }
    if ((strcmp(name, "torch.eq") == 0 || strcmp(name, "torch.ne") == 0) && n == 2 && args[0]->kind == TV_STR &&
        args[1]->kind == TV_STR)
        return cs_ts_bool(c, (strcmp(args[0]->s, args[1]->s) == 0) == (name[7] == 'q'));
    tv *l = cs_ts_list_builtin(c, name, args, n, handled);
    if (*handled || c->err->status)
        return l;
    *handled = true;
    if (strcmp(name, "torch.__not__") == 0 && n == 1) {
        bool known, t = cs_ts_truthy(args[0], &known);
        return known ? cs_ts_bool(c, !t) : cs_ts_unknown(c);
    }
    if (strncmp(name, "torch.", 6) == 0 && n >= 1 && n <= 2 && args[0]->kind != TV_TENSOR &&
        (n == 1 || args[1]->kind != TV_TENSOR)) {
        tv *r = scalar_op(c, name + 6, args[0], n == 2 ? args[1] : NULL);
        if (r || c->err->status)
            return r;
    }
    *handled = false;
    return NULL;
}


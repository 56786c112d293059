/* torchscript_eval.c — the interpreter of TorchScript's Python subset: frames, calls of methods, free functions
 * and aten/ops namespaces, expressions and statements (if/for unrolled on load-time values). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchscript_internal.h"

typedef enum { X_NORMAL, X_RETURN, X_RAISE, X_ERROR } xres;

typedef struct frame {
    const char **names;
    tv **vals;
    int n, cap;
    tv *ret;
    const ts_file *file;
} frame;

static tv *eval(ts_ctx *c, frame *f, const ts_node *e);

/* ---- frames ---- */

static tv *lookup(const frame *f, const char *name)
{
    for (int k = f->n - 1; k >= 0; k--)
        if (strcmp(f->names[k], name) == 0)
            return f->vals[k];
    return NULL;
}

static bool bind(ts_ctx *c, frame *f, const char *name, tv *v)
{
    if (!v)
        return false;
    for (int k = f->n - 1; k >= 0; k--)
        if (strcmp(f->names[k], name) == 0) {
            f->vals[k] = v;
            return true;
        }
    if (f->n == f->cap) {
        int cap = f->cap ? f->cap * 2 : 16;
        const char **n = realloc(f->names, (size_t)cap * sizeof *n);
        if (n)
            f->names = n;
        tv **a = realloc(f->vals, (size_t)cap * sizeof *a);
        if (a)
            f->vals = a;
        if (!n || !a) {
            cs_error_set(c->err, CS_ERR_NOMEM, "%s: out of memory", c->path);
            return false;
        }
        f->cap = cap;
    }
    f->names[f->n] = name;
    f->vals[f->n++] = v;
    return true;
}

static void frame_free(frame *f)
{
    free(f->names);
    free(f->vals);
}

/* ---- calls ---- */

static xres exec_block(ts_ctx *c, frame *f, const ts_node *b);

/* Binds params of def d (skipping `self` when given) to args/kwargs/defaults and runs its body. */
tv *cs_ts_call_def(ts_ctx *c, const ts_file *file, const ts_node *d, tv *self, tv **args, char **kw, int n)
{
    if (c->depth >= TS_MAX_CALL_DEPTH)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "calls nested deeper than %d (recursion?)", TS_MAX_CALL_DEPTH);
    c->steps += 15; /* a call (frame, bindings) costs about 16 statements of the TS_MAX_STEPS budget */
    frame fr = {.file = file};
    int n_params = d->n - 1, pos = 0;
    const char *saved_file = c->file;
    int saved_line = c->line;
    bool ok = true;
    for (int k = 0; ok && k < n_params; k++) {
        const ts_node *p = d->kids[k];
        tv *v = NULL;
        if (k == 0 && self) {
            v = self;
        } else {
            for (int j = 0; j < n && !v; j++)
                if (kw[j] && strcmp(kw[j], p->name) == 0)
                    v = args[j];
            while (!v && pos < n && kw[pos])
                pos++;
            if (!v && pos < n)
                v = args[pos++];
            if (!v && p->n > 0) {
                c->file = file->path;
                v = eval(c, &fr, p->kids[0]);
            }
            if (!v && c->err->status == CS_OK)
                cs_ts_fail(c, CS_ERR_FORMAT, "call to %s misses argument '%s'", d->name, p->name);
        }
        ok = v && bind(c, &fr, p->name, v);
    }
    tv *ret = NULL;
    if (ok) {
        c->depth++;
        c->file = file->path;
        xres x = exec_block(c, &fr, d->kids[d->n - 1]);
        c->depth--;
        if (x == X_RAISE)
            cs_ts_fail(c, CS_ERR_UNSUPPORTED, "the model raises an exception for these load-time values");
        else if (x != X_ERROR)
            ret = fr.ret ? fr.ret : cs_ts_new(c, TV_NONE);
    }
    frame_free(&fr);
    c->file = saved_file;
    c->line = saved_line;
    return ret;
}

tv *cs_ts_call_method(ts_ctx *c, tv *m, const char *name, tv **args, char **kw, int n)
{
    const ts_file *file;
    const ts_node *cls = cs_ts_class_of(c, m->obj, &file);
    if (!cls)
        return NULL;
    const ts_node *d = cs_ts_method_of(cls, name);
    if (!d)
        return cs_ts_fail(c, CS_ERR_FORMAT, "class %s has no method %s", m->obj->name, name);
    bool is_root = m->obj == c->root;
    if (strcmp(name, "forward") != 0 || is_root || strcmp(m->s, c->cpath) == 0)
        return cs_ts_call_def(c, file, d, m, args, kw, n);
    int layer = cs_ts_module_layer(c, m, cls);
    if (layer < 0)
        return NULL;
    bool leaf = !cs_ts_is_container(m->obj);
    int s_layer = c->cur_layer, s_cont = c->container;
    const char *s_path = c->cpath;
    bool s_in = c->in_layer;
    c->cur_layer = layer;
    c->cpath = m->s;
    if (leaf)
        c->in_layer = true;
    else
        c->container = layer, c->in_layer = false;
    tv *r = cs_ts_call_def(c, file, d, m, args, kw, n);
    cs_ts_record_outputs(c, layer, r);
    c->cur_layer = s_layer;
    c->container = s_cont;
    c->cpath = s_path;
    c->in_layer = s_in;
    return r;
}

/* Free function __torch__.a.b.f: module file a/b.py, def f. */
static tv *call_free(ts_ctx *c, const char *qual, tv **args, char **kw, int n)
{
    const char *dot = strrchr(qual, '.');
    char module[512];
    snprintf(module, sizeof module, "%.*s", (int)(dot - qual), qual);
    ts_file *f = cs_ts_load_file(c, module);
    const ts_node *d = f ? cs_ts_find_def(f, TS_DEF, dot + 1) : NULL;
    if (!f)
        return NULL;
    const ts_node *cls = d ? NULL : cs_ts_find_def(f, TS_CLASS, dot + 1);
    if (cls && !cs_ts_method_of(cls, "forward")) { /* a NamedTuple (InceptionOutputs(x, aux)): its fields */
        tv *t = cs_ts_new(c, TV_TUPLE);
        for (int k = 0; t && k < n; k++)
            if (!cs_ts_push_item(c, t, args[k]))
                return NULL;
        return t;
    }
    if (!d)
        return cs_ts_fail(c, CS_ERR_FORMAT, "function %s not found", qual);
    int saved = cs_ts_enter_functional(c, dot + 1);
    if (saved == -3)
        return NULL;
    tv *r = cs_ts_call_def(c, f, d, NULL, args, kw, n);
    cs_ts_leave_functional(c, saved, r);
    return r;
}

/* __torch__.a.b.C.__new__(C): a fresh instance of script class C (ImageList...), attributes set by its code. */
static tv *new_object(ts_ctx *c, const char *name)
{
    const char *end = name + strlen(name) - strlen(".__new__"), *dot = end - 1;
    while (dot > name && *dot != '.')
        dot--;
    cs_pv *pv = cs_ts_alloc(c, sizeof *pv);
    tv *v = pv ? cs_ts_new(c, TV_MODULE) : NULL;
    if (!v)
        return NULL;
    memset(pv, 0, sizeof *pv);
    pv->kind = CS_PV_OBJECT;
    char buf[600];
    snprintf(buf, sizeof buf, "%.*s", (int)(dot - name), name);
    pv->module = cs_ts_strdup(c, buf);
    snprintf(buf, sizeof buf, "%.*s", (int)(end - dot - 1), dot + 1);
    pv->name = cs_ts_strdup(c, buf);
    v->obj = pv;
    v->s = "";
    return pv->module && pv->name ? v : NULL;
}

static tv *call_ns(ts_ctx *c, const char *name, tv **args, char **kw, int n)
{
    size_t len = strlen(name);
    if (strncmp(name, "__torch__.", 10) == 0 && len > 18 && strcmp(name + len - 8, ".__new__") == 0)
        return new_object(c, name);
    if (strcmp(name, "torch.size") == 0 && n >= 1 && args[0]->kind == TV_TENSOR)
        return cs_ts_size(c, args[0], n > 1 ? args[1] : NULL);
    bool handled;
    tv *r = cs_ts_builtin(c, name, args, kw, n, &handled);
    if (handled)
        return r;
    if (strncmp(name, "__torch__.", 10) == 0)
        return call_free(c, name, args, kw, n);
    if (strncmp(name, "ops.torchvision.", 16) == 0) { /* torchvision's registered ops: torchvision.nms... */
        int saved = cs_ts_enter_functional(c, name + 16);
        if (saved == -3)
            return NULL;
        r = cs_ts_aten(c, name + 4, args, kw, n);
        cs_ts_leave_functional(c, saved, r);
        return r;
    }
    if (strncmp(name, "ops.prepacked.", 14) == 0 && strstr(name, "_run")) {
        int saved = cs_ts_enter_functional(c, name + 14);
        if (saved == -3)
            return NULL;
        r = cs_ts_prepacked(c, name + 14, args, kw, n);
        cs_ts_leave_functional(c, saved, r);
        return r;
    }
    if (strncmp(name, "ops.quantized.", 14) == 0) {
        bool pack = strstr(name, "_prepack") || strstr(name, "_unpack");
        int saved = pack ? -2 : cs_ts_enter_functional(c, name + 14);
        if (saved == -3)
            return NULL;
        r = cs_ts_quantized(c, name + 14, args, kw, n);
        cs_ts_leave_functional(c, saved, r);
        return r;
    }
    const char *aten = strncmp(name, "torch.", 6) == 0 ? name + 6
                       : strncmp(name, "ops.aten.", 9) == 0 ? name + 9
                                                             : NULL;
    if (aten && !strchr(aten, '.')) {
        int saved = cs_ts_enter_functional(c, aten);
        if (saved == -3)
            return NULL;
        r = cs_ts_aten(c, aten, args, kw, n);
        cs_ts_leave_functional(c, saved, r);
        return r;
    }
    return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "unsupported TorchScript call %s", name);
}

static tv *eval_call(ts_ctx *c, frame *f, const ts_node *e)
{
    int n = e->n - 1;
    tv **args = calloc((size_t)(n > 0 ? n : 1), sizeof *args);
    if (!args)
        return cs_ts_fail(c, CS_ERR_NOMEM, "out of memory");
    tv *r = NULL;
    for (int k = 0; k < n; k++)
        if (!(args[k] = eval(c, f, e->kids[k + 1])))
            goto out;
    char **kw = e->kw + 1;
    const ts_node *fn = e->kids[0];
    c->line = e->line;
    if (fn->kind == TS_ATTR) {
        tv *base = eval(c, f, fn->kids[0]);
        if (!base)
            goto out;
        c->line = e->line;
        if (base->kind == TV_MODULE) {
            r = cs_ts_call_method(c, base, fn->name, args, kw, n);
            goto out;
        }
        if (base->kind == TV_NS) {
            char q[600];
            snprintf(q, sizeof q, "%s.%s", base->s, fn->name);
            r = call_ns(c, q, args, kw, n);
            goto out;
        }
        if (base->kind == TV_TENSOR) { /* x.method(...) */
            tv **a2 = calloc((size_t)n + 1, sizeof *a2);
            char **k2 = calloc((size_t)n + 1, sizeof *k2);
            if (a2 && k2) {
                a2[0] = base;
                memcpy(a2 + 1, args, (size_t)n * sizeof *a2);
                memcpy(k2 + 1, kw, (size_t)n * sizeof *k2);
                char q[300];
                snprintf(q, sizeof q, "torch.%s", fn->name);
                r = call_ns(c, q, a2, k2, n + 1);
            }
            free(a2);
            free(k2);
            goto out;
        }
        r = cs_ts_fail(c, CS_ERR_UNSUPPORTED, "method call .%s on a non-module value", fn->name);
        goto out;
    }
    tv *callee = eval(c, f, fn);
    if (callee && callee->kind == TV_NS)
        r = call_ns(c, callee->s, args, kw, n);
    else if (callee)
        r = cs_ts_fail(c, CS_ERR_UNSUPPORTED, "call of a value that is not a function");
out:
    free(args);
    return r;
}

/* ---- expressions ---- */

static tv *eval_attr(ts_ctx *c, frame *f, const ts_node *e)
{
    tv *base = eval(c, f, e->kids[0]);
    if (!base)
        return NULL;
    if (base->kind == TV_MODULE)
        return cs_ts_module_attr(c, base, e->name);
    if (base->kind == TV_NS) {
        if (strcmp(base->s, "CONSTANTS") == 0) {
            char *end;
            long k = e->name[0] == 'c' ? strtol(e->name + 1, &end, 10) : -1;
            if (k < 0 || *end || !c->constants || (c->constants->kind != CS_PV_TUPLE) || k >= c->constants->n)
                return cs_ts_fail(c, CS_ERR_FORMAT, "CONSTANTS.%s does not exist in constants.pkl", e->name);
            char name[64];
            snprintf(name, sizeof name, "CONSTANTS.c%ld", k);
            return cs_ts_from_pv(c, c->constants->items[k], name);
        }
        tv *v = cs_ts_new(c, TV_NS);
        char q[600];
        snprintf(q, sizeof q, "%s.%s", base->s, e->name);
        if (v && !(v->s = cs_ts_strdup(c, q)))
            return NULL;
        return v;
    }
    return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "attribute .%s of a non-module value", e->name);
}

static tv *eval_seq(ts_ctx *c, frame *f, const ts_node *e)
{
    tv *l = cs_ts_new(c, e->kind == TS_TUPLE ? TV_TUPLE : e->kind == TS_DICT ? TV_DICT : TV_LIST);
    for (int k = 0; l && k < e->n; k++)
        if (!cs_ts_push_item(c, l, eval(c, f, e->kids[k])))
            return NULL;
    return l;
}

static tv *eval_index(ts_ctx *c, frame *f, const ts_node *e)
{
    tv *a = eval(c, f, e->kids[0]);
    if (!a)
        return NULL;
    if (a->kind == TV_NS)
        return a; /* a type: List[int] */
    tv *i = eval(c, f, e->kids[1]);
    if (!i)
        return NULL;
    if ((a->kind == TV_LIST || a->kind == TV_TUPLE) && i->kind == TV_INT && !i->dyn) {
        int64_t k = i->i < 0 ? i->i + a->n : i->i;
        if (k < 0 || k >= a->n)
            return cs_ts_fail(c, CS_ERR_FORMAT, "index %lld out of range", (long long)i->i);
        return a->items[k];
    }
    if (a->kind == TV_DICT) {
        tv *v = cs_ts_dict_get(a, i);
        return v ? v : cs_ts_fail(c, CS_ERR_FORMAT, "dict has no such key%s%s", i->kind == TV_STR ? " " : "",
                                  i->kind == TV_STR ? i->s : "");
    }
    if (a->kind == TV_TENSOR && a->s && strcmp(a->s, CS_TS_SIZE_LIST) == 0 && i->kind == TV_INT) {
        int node, ins[2] = {a->value, i->dyn ? i->value : cs_ts_const_ints(c, &i->i, 1, true)};
        int out = ins[1] < 0 ? -1 : cs_ts_emit(c, "Gather", ins, 2, &node); /* x.size()[k] of unknown rank */
        if (out < 0 || !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", 0))
            return out < 0 ? NULL : cs_ts_oom(c);
        tv *v = cs_ts_new(c, TV_INT);
        if (v)
            v->dyn = true, v->value = out;
        return v;
    }
    return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: subscript of a run-time value");
}

static tv *eval_binop(ts_ctx *c, frame *f, const ts_node *e)
{
    tv *a = eval(c, f, e->kids[0]);
    if (!a)
        return NULL;
    bool known, t;
    if (strcmp(e->name, "and") == 0 || strcmp(e->name, "or") == 0) {
        t = cs_ts_truthy(a, &known);
        if (!known)
            return cs_ts_unknown(c);
        if (strcmp(e->name, "and") == 0 ? !t : t)
            return a;
        return eval(c, f, e->kids[1]);
    }
    tv *b = eval(c, f, e->kids[1]);
    if (!b)
        return NULL;
    if (strcmp(e->name, "is") == 0 || strcmp(e->name, "is not") == 0) {
        bool same = (a->kind == TV_NONE) == (b->kind == TV_NONE) && (a->kind == TV_NONE || a == b);
        return cs_ts_bool(c, e->name[2] ? !same : same);
    }
    static const char *const ops[][2] = {{"==", "eq"}, {"!=", "ne"}, {"<", "lt"}, {">", "gt"},    {"<=", "le"},
                                         {">=", "ge"}, {"+", "add"}, {"-", "sub"}, {"*", "mul"}, {"/", "div"},
                                         {"//", "floordiv"}};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
        if (strcmp(e->name, ops[k][0]) == 0) {
            tv *args[2] = {a, b};
            char q[32];
            snprintf(q, sizeof q, "torch.%s", ops[k][1]);
            return call_ns(c, q, args, (char *[]){NULL, NULL}, 2);
        }
    return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "operator '%s'", e->name);
}

static tv *eval_name(ts_ctx *c, frame *f, const ts_node *e)
{
    tv *v = lookup(f, e->name);
    if (v)
        return v;
    v = cs_ts_new(c, TV_NS); /* a global: torch, ops, __torch__, CONSTANTS, int, annotate, List... */
    if (v && !(v->s = cs_ts_strdup(c, e->name)))
        return NULL;
    return v;
}

static tv *eval(ts_ctx *c, frame *f, const ts_node *e)
{
    if (!e || c->err->status)
        return NULL;
    c->line = e->line;
    tv *v;
    switch (e->kind) {
    case TS_NAME: return eval_name(c, f, e);
    case TS_INT: return cs_ts_int(c, e->i);
    case TS_FLOAT:
        if ((v = cs_ts_new(c, TV_FLOAT)))
            v->f = e->f;
        return v;
    case TS_STR:
        if ((v = cs_ts_new(c, TV_STR)))
            v->s = e->name;
        return v;
    case TS_NONE: return cs_ts_new(c, TV_NONE);
    case TS_TRUE: return cs_ts_bool(c, true);
    case TS_FALSE: return cs_ts_bool(c, false);
    case TS_ATTR: return eval_attr(c, f, e);
    case TS_CALL: return eval_call(c, f, e);
    case TS_TUPLE:
    case TS_LIST:
    case TS_DICT: return eval_seq(c, f, e);
    case TS_INDEX: return eval_index(c, f, e);
    case TS_NEG:
        if (!(v = eval(c, f, e->kids[0])))
            return NULL;
        return call_ns(c, "torch.neg", &v, (char *[]){NULL}, 1);
    case TS_NOT: {
        if (!(v = eval(c, f, e->kids[0])))
            return NULL;
        bool known, t = cs_ts_truthy(v, &known);
        return known ? cs_ts_bool(c, !t) : cs_ts_unknown(c);
    }
    case TS_BINOP: return eval_binop(c, f, e);
    default: break;
    }
    return cs_ts_fail(c, CS_ERR_FORMAT, "unexpected syntax");
}

/* ---- statements ---- */

static bool assign(ts_ctx *c, frame *f, const ts_node *target, tv *v)
{
    if (!v)
        return false;
    if (target->kind == TS_NAME)
        return bind(c, f, target->name, v);
    if (target->kind == TS_TUPLE) {
        if (v->kind == TV_UNKNOWN && v->s && strcmp(v->s, CS_TS_LAZY_SPLIT) == 0 &&
            !(v = cs_ts_split_lazy(c, v, target->n)))
            return false;
        if ((v->kind != TV_TUPLE && v->kind != TV_LIST) || v->n != target->n) {
            cs_ts_fail(c, CS_ERR_UNSUPPORTED, "tuple unpacking of %d values from a non-matching value", target->n);
            return false;
        }
        for (int k = 0; k < target->n; k++)
            if (!assign(c, f, target->kids[k], v->items[k]))
                return false;
        return true;
    }
    if (target->kind == TS_ATTR) { /* self.x = v, met in __setstate__ */
        tv *base = eval(c, f, target->kids[0]);
        if (base && base->kind == TV_MODULE)
            return cs_ts_state_set(c, base->obj, target->name, v);
    }
    cs_ts_fail(c, CS_ERR_UNSUPPORTED, "assignment to this kind of target");
    return false;
}

static bool block_raises(const ts_node *b)
{
    for (int k = 0; b && k < b->n; k++) {
        const ts_node *s = b->kids[k];
        if (s->kind == TS_EXPR && s->kids[0]->kind == TS_CALL && s->kids[0]->kids[0]->kind == TS_ATTR &&
            strcmp(s->kids[0]->kids[0]->name, "RaiseException") == 0)
            return true;
    }
    return false;
}

static bool frame_copy(ts_ctx *c, frame *dst, const frame *src)
{
    *dst = (frame){.file = src->file};
    for (int k = 0; k < src->n; k++)
        if (!bind(c, dst, src->names[k], src->vals[k]))
            return false;
    return true;
}

static bool tensor_like(const tv *v)
{
    return v->kind == TV_TENSOR || ((v->kind == TV_INT || v->kind == TV_BOOL) && v->dyn);
}

static bool same_static(const tv *a, const tv *b)
{
    if (a->kind != b->kind || a->dyn || b->dyn)
        return false;
    return a->kind == TV_NONE || ((a->kind == TV_INT || a->kind == TV_BOOL) && a->i == b->i) ||
           (a->kind == TV_FLOAT && a->f == b->f) || (a->kind == TV_STR && strcmp(a->s, b->s) == 0);
}

/* The value of `name` after a run-time 'if': the same value, or Choose(cond, then, else) of two tensors/ints. */
static tv *merge_value(ts_ctx *c, int cond, const char *name, tv *a, tv *b)
{
    if (a == b || same_static(a, b))
        return a;
    if (a->kind == TV_BOOL && b->kind == TV_BOOL && !a->dyn && !b->dyn) { /* x = True / x = False: the condition */
        int v = a->i ? cond : cs_ts_emit(c, "Not", &cond, 1, NULL);
        tv *r = v < 0 ? NULL : cs_ts_new(c, TV_BOOL);
        if (r)
            r->dyn = true, r->value = v;
        return r;
    }
    bool ia = a->kind == TV_INT && !a->dyn, ib = b->kind == TV_INT && !b->dyn;
    if (!(tensor_like(a) || ia) || !(tensor_like(b) || ib) || (ia && ib))
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: an 'if' on a run-time value gives '%s' "
                          "values of different kinds in its branches", name);
    int ins[3] = {cond, ia ? cs_ts_const_ints(c, &a->i, 1, true) : a->value,
                  ib ? cs_ts_const_ints(c, &b->i, 1, true) : b->value};
    int node, out = ins[1] < 0 || ins[2] < 0 ? -1 : cs_ts_emit(c, "Choose", ins, 3, &node);
    if (out < 0 || cs_ts_ours(c, node) < 0)
        return out < 0 ? NULL : cs_ts_oom(c);
    if (a->kind == TV_INT || b->kind == TV_INT) {
        tv *v = a->kind == b->kind ? cs_ts_new(c, TV_INT) : cs_ts_tensor(c, out, 0);
        if (v && v->kind == TV_INT)
            v->dyn = true, v->value = out;
        return v;
    }
    tv *r = cs_ts_result(c, out, a->rank == b->rank ? a->rank : -1);
    if (r)
        r->dt = a->dt == b->dt ? a->dt : CS_DT_UNDEFINED;
    return r;
}

/* 'if' on a run-time tensor: both branches run at load time (neither may write in place or mutate a list),
 * and each name they bind differently becomes Choose(cond, then, else). A branch that raises is never taken. */
static xres exec_if_runtime(ts_ctx *c, frame *f, const ts_node *s, const tv *cond)
{
    frame fa, fb;
    ts_loop_run before; /* what the branches may not change: tensors and lists that exist before the 'if' */
    if (!cs_ts_loop_track(c, &before, f->vals, f->n) || !frame_copy(c, &fa, f) || !frame_copy(c, &fb, f)) {
        frame_free(&fa);
        cs_ts_loop_free(&before);
        return X_ERROR;
    }
    xres xa = exec_block(c, &fa, s->kids[1]);
    bool changed = false;
    for (int k = 0; k < before.nt; k++)
        changed |= before.t[k]->value != before.tval[k];
    for (int k = 0; k < before.nl; k++)
        changed |= before.l[k]->n != before.ln[k];
    xres xb = xa == X_ERROR || changed ? X_ERROR : s->n > 2 ? exec_block(c, &fb, s->kids[2]) : X_NORMAL;
    for (int k = 0; k < before.nt; k++)
        changed |= before.t[k]->value != before.tval[k];
    for (int k = 0; k < before.nl; k++)
        changed |= before.l[k]->n != before.ln[k];
    cs_ts_loop_free(&before);
    xres r = X_NORMAL;
    c->line = s->line;
    if ((xa == X_ERROR || xb == X_ERROR) && !changed) {
        r = X_ERROR;
    } else if (changed) {
        c->err->status = CS_OK; /* the branch's own complaint, if any, is this one */
        cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: an 'if' on a run-time value writes a tensor in "
                   "place or changes a list in a branch");
        r = X_ERROR;
    } else if (xa == X_RETURN || xb == X_RETURN) {
        cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: return inside an 'if' on a run-time value");
        r = X_ERROR;
    } else if (xa == X_RAISE || xb == X_RAISE) { /* an input check: the other branch is the one that runs */
        const frame *keep = xa == X_RAISE ? &fb : &fa;
        for (int k = 0; xa != xb && k < keep->n; k++)
            if (!bind(c, f, keep->names[k], keep->vals[k]))
                r = X_ERROR;
        r = xa == xb ? X_RAISE : r;
    } else {
        for (int pass = 0; pass < 2 && r == X_NORMAL; pass++) {
            const frame *src = pass ? &fb : &fa, *oth = pass ? &fa : &fb;
            for (int k = 0; k < src->n && r == X_NORMAL; k++) {
                tv *va = lookup(&fa, src->names[k]), *vb = lookup(&fb, src->names[k]), *m;
                if (!va || !vb || (pass && lookup(oth, src->names[k])))
                    continue; /* bound on one path only (unusable after the 'if'), or merged in the first pass */
                if (!(m = merge_value(c, cond->value, src->names[k], va, vb)) || !bind(c, f, src->names[k], m))
                    r = X_ERROR;
            }
        }
    }
    frame_free(&fa);
    frame_free(&fb);
    return r;
}

static xres exec_if(ts_ctx *c, frame *f, const ts_node *s)
{
    tv *cond = eval(c, f, s->kids[0]);
    if (!cond)
        return X_ERROR;
    bool known, t = cs_ts_truthy(cond, &known);
    const ts_node *other = s->n > 2 ? s->kids[2] : NULL;
    if (!known) { /* unknown at load time: one side just raises (an input check), or both run */
        if (block_raises(s->kids[1]))
            t = false;
        else if (block_raises(other))
            t = true;
        else if (tensor_like(cond))
            return exec_if_runtime(c, f, s, cond);
        else {
            c->line = s->line;
            cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: 'if' on a value only known at run time");
            return X_ERROR;
        }
    }
    return t ? exec_block(c, f, s->kids[1]) : other ? exec_block(c, f, other) : X_NORMAL;
}

/* The loop variable: the iteration number (a body input) plus the range's start. */
static bool bind_loop_var(ts_ctx *c, frame *f, const ts_node *s, const tv *range, int iter)
{
    tv *i = cs_ts_new(c, TV_INT), *lo = range->items[0];
    if (i)
        i->dyn = true, i->value = iter;
    if (i && !(lo->kind == TV_INT && !lo->dyn && lo->i == 0))
        i = cs_ts_dyn_int_op(c, "add", i, lo);
    return assign(c, f, s->kids[0], i);
}

/* Runs the body once; what it leaves in names/tvs (trial: the changes, real: the body outputs). */
static bool loop_body(ts_ctx *c, frame *f, const ts_node *s, const tv *range, ts_loop_run *r, int iter)
{
    cs_ts_loop_begin(c, &r->m);
    if (!bind_loop_var(c, f, s, range, iter))
        return false;
    xres x = exec_block(c, f, s->kids[2]);
    if (x != X_NORMAL && x != X_ERROR)
        cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: return or raise inside a 'for' over a run-time "
                   "count");
    return x == X_NORMAL && cs_ts_loop_lists_same(c, r);
}

/* A body output as an IR value: tensors and run-time ints as they are, static ints as i64 scalars. */
static int carried_value(ts_ctx *c, const tv *v)
{
    return v->kind == TV_INT && !v->dyn ? cs_ts_const_ints(c, &v->i, 1, true) : cs_ts_operand(c, v);
}

/* 'for' over range(n) with n known at run time: a trial run of the body finds the names it rebinds and the
 * tensors it writes in place (the loop state), then the body is lowered once more into an ONNX Loop. */
static xres exec_for_runtime(ts_ctx *c, frame *f, const ts_node *s, const tv *range)
{
    ts_loop_run r;
    frame saved = {0};
    int nc = 0, *idx = NULL, *ph = NULL, *init = NULL, *outs = NULL, *bout = NULL;
    bool ok = cs_ts_loop_track(c, &r, f->vals, f->n) && frame_copy(c, &saved, f), s_in = c->in_layer;
    c->in_layer = true; /* functional calls in the body make no layers of their own */
    int iter = ok ? cs_ts_placeholder(c, "loop_iter", CS_DT_I64) : -1;
    ok = iter >= 0 && loop_body(c, f, s, range, &r, iter);
    idx = ok ? calloc((size_t)(saved.n + r.nt) * 5 + 3, sizeof *idx) : NULL; /* carried: k < saved.n a name, else a tv */
    for (int k = 0; idx && k < saved.n; k++) {
        tv *now = lookup(f, saved.names[k]), *old = saved.vals[k];
        bool loop_var = s->kids[0]->kind == TS_NAME && strcmp(s->kids[0]->name, saved.names[k]) == 0;
        bool ints = old->kind == TV_INT && !old->dyn && now->kind == TV_INT; /* a counter: k = k + 2 */
        if (!loop_var && now != old && (tensor_like(old) || ints) && (tensor_like(now) || (ints && now->i != old->i)))
            idx[nc++] = k;
    }
    for (int k = 0; idx && k < r.nt; k++)
        if (r.t[k]->value != r.tval[k])
            idx[nc++] = saved.n + k;
    ok = ok && idx && cs_ts_loop_rollback(c, &r.m);
    cs_ts_loop_restore(&r);
    for (int k = 0; k < saved.n; k++) /* the frame as before the trial (bind only overwrites or appends) */
        f->vals[k] = saved.vals[k];
    f->n = saved.n;
    if (ok) {
        ph = idx + nc, init = ph + nc + 2, outs = init + nc, bout = outs + nc;
        ph[0] = iter, ph[1] = cs_ts_placeholder(c, "loop_cond", CS_DT_BOOL);
        ok = ph[1] >= 0;
    }
    for (int k = 0; ok && k < nc; k++) { /* each state read through a body input */
        tv *old = idx[k] < saved.n ? saved.vals[idx[k]] : r.t[idx[k] - saved.n], *p;
        ok = (init[k] = carried_value(c, old)) >= 0 &&
             (ph[k + 2] = cs_ts_placeholder(c, "loop_state", old->kind == TV_TENSOR ? old->dt : CS_DT_I64)) >= 0;
        if (ok && idx[k] >= saved.n) {
            cs_ts_same_shape(c, old->value, ph[k + 2]); /* written in place: same shape */
            old->value = ph[k + 2];
        } else if (ok && (ok = (p = cs_ts_new(c, old->kind == TV_TENSOR ? TV_TENSOR : TV_INT)) != NULL)) {
            p->value = ph[k + 2], p->dyn = p->kind == TV_INT, p->rank = old->rank, p->dt = old->dt;
            ok = bind(c, f, saved.names[idx[k]], p);
        }
    }
    ok = ok && loop_body(c, f, s, range, &r, iter);
    for (int k = 0; ok && k < nc; k++) {
        const tv *now = idx[k] < saved.n ? lookup(f, saved.names[idx[k]]) : r.t[idx[k] - saved.n];
        ok = (bout[k] = carried_value(c, now)) >= 0;
    }
    ok = ok && cs_ts_loop_end(c, &r.m, range->value, ph, init, bout, nc, outs) >= 0;
    for (int k = 0; ok && k < nc; k++) { /* the states after the loop */
        tv *old = idx[k] < saved.n ? saved.vals[idx[k]] : r.t[idx[k] - saved.n], *v;
        if (idx[k] >= saved.n) {
            old->value = outs[k];
            cs_ts_same_shape(c, init[k], outs[k]);
        } else if ((ok = (v = cs_ts_new(c, old->kind == TV_TENSOR ? TV_TENSOR : TV_INT)) != NULL)) {
            v->value = outs[k], v->dyn = v->kind == TV_INT, v->dt = old->dt;
            v->rank = old->kind == TV_TENSOR && lookup(f, saved.names[idx[k]])->rank == old->rank ? old->rank : -1;
            ok = bind(c, f, saved.names[idx[k]], v);
        }
    }
    for (int k = 0; ok && k < f->n; k++) { /* names the body made or left body values in: unusable after it */
        bool state = false;
        for (int j = 0; j < nc; j++)
            state |= idx[j] < saved.n && strcmp(saved.names[idx[j]], f->names[k]) == 0;
        if (!state && (k >= saved.n || f->vals[k] != saved.vals[k]))
            ok = (f->vals[k] = cs_ts_unknown(c)) != NULL;
    }
    c->in_layer = s_in;
    c->line = s->line;
    free(idx);
    frame_free(&saved);
    cs_ts_loop_free(&r);
    if (!ok && !c->err->status)
        cs_ts_oom(c);
    return ok ? X_NORMAL : X_ERROR;
}

static xres exec_for(ts_ctx *c, frame *f, const ts_node *s)
{
    tv *it = eval(c, f, s->kids[1]);
    if (!it)
        return X_ERROR;
    if (it->kind == TV_UNKNOWN && it->s && strcmp(it->s, CS_TS_DYN_RANGE) == 0)
        return exec_for_runtime(c, f, s, it);
    if (it->kind != TV_LIST && it->kind != TV_TUPLE) {
        c->line = s->line;
        cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: 'for' over a value only known at run time");
        return X_ERROR;
    }
    for (int k = 0; k < it->n; k++) {
        if (!assign(c, f, s->kids[0], it->items[k]))
            return X_ERROR;
        xres x = exec_block(c, f, s->kids[2]);
        if (x != X_NORMAL)
            return x;
    }
    return X_NORMAL;
}

/* while COND: BODY, unrolled while COND is known at load time (scripted list loops), at most TS_MAX_LOOP times. */
static xres exec_while(ts_ctx *c, frame *f, const ts_node *s)
{
    for (int64_t k = 0;; k++) {
        tv *cond = eval(c, f, s->kids[0]);
        if (!cond)
            return X_ERROR;
        bool known, t = cs_ts_truthy(cond, &known);
        if (!known || k >= TS_MAX_LOOP) {
            c->line = s->line;
            if (known)
                cs_ts_fail(c, CS_ERR_UNSUPPORTED, "'while' runs more than %d times at load time", TS_MAX_LOOP);
            else
                cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: 'while' on a value only known at run time");
            return X_ERROR;
        }
        if (!t)
            return X_NORMAL;
        xres x = exec_block(c, f, s->kids[1]);
        if (x != X_NORMAL)
            return x;
    }
}

static xres exec_stmt(ts_ctx *c, frame *f, const ts_node *s)
{
    c->line = s->line;
    if (++c->steps > TS_MAX_STEPS) {
        cs_ts_fail(c, CS_ERR_UNSUPPORTED, "the script runs more than %lld statements at load time (a loop or "
                   "recursion too large to unroll)", (long long)TS_MAX_STEPS);
        return X_ERROR;
    }
    switch (s->kind) {
    case TS_PASS: return X_NORMAL;
    case TS_EXPR:
        if (!eval(c, f, s->kids[0]))
            return X_ERROR;
        break;
    case TS_ASSIGN: {
        c->want_n = s->kids[0]->kind == TS_TUPLE ? s->kids[0]->n : 0; /* for split by size */
        tv *v = eval(c, f, s->kids[1]);
        c->want_n = 0;
        if (!assign(c, f, s->kids[0], v))
            return X_ERROR;
        break;
    }
    case TS_RETURN:
        f->ret = s->n ? eval(c, f, s->kids[0]) : cs_ts_new(c, TV_NONE);
        return f->ret ? X_RETURN : X_ERROR;
    case TS_IF: return exec_if(c, f, s);
    case TS_FOR: return exec_for(c, f, s);
    case TS_WHILE: return exec_while(c, f, s);
    case TS_WITH: /* contexts (torch.no_grad) change nothing at inference: the body runs */
        return eval(c, f, s->kids[0]) ? exec_block(c, f, s->kids[1]) : X_ERROR;
    default: cs_ts_fail(c, CS_ERR_UNSUPPORTED, "unsupported statement"); return X_ERROR;
    }
    if (c->raised) {
        c->raised = false;
        return X_RAISE;
    }
    return X_NORMAL;
}

static xres exec_block(ts_ctx *c, frame *f, const ts_node *b)
{
    for (int k = 0; b && k < b->n; k++) {
        xres x = exec_stmt(c, f, b->kids[k]);
        if (c->err->status)
            return X_ERROR;
        if (x != X_NORMAL)
            return x;
    }
    return X_NORMAL;
}


tv *cs_ts_eval_in(ts_ctx *c, const ts_file *file, const ts_node *e)
{
    frame fr = {.file = file};
    tv *v = eval(c, &fr, e);
    frame_free(&fr);
    return v;
}

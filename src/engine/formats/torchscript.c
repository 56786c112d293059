/* torchscript.c — loads a TorchScript archive (torch.jit.trace / torch.jit.script) by interpreting its
 * serialized code at load time over the pickled module tree, emitting IR nodes for tensor work.
 * Hand-written because no C library reads TorchScript; nothing from the file is ever executed natively. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model.h"
#include "torchscript_internal.h"

#define TS_MAX_CALL_DEPTH 64
#define TS_MAX_LOOP 100000
/* Load-time budgets shared by the whole script, not per call path: statements executed and bytes of values. */
#define TS_MAX_STEPS 500000
#define TS_MAX_ARENA_BYTES ((size_t)256 << 20)

typedef enum { X_NORMAL, X_RETURN, X_RAISE, X_ERROR } xres;

typedef struct frame {
    const char **names;
    tv **vals;
    int n, cap;
    tv *ret;
    const ts_file *file;
} frame;

/* ---- arena ---- */

static void *arena_keep(ts_ctx *c, void *p)
{
    if (!p)
        return NULL;
    if (c->n_arena == c->cap_arena) {
        int cap = c->cap_arena ? c->cap_arena * 2 : 256;
        void **a = realloc(c->arena, (size_t)cap * sizeof *a);
        if (!a) {
            free(p);
            return NULL;
        }
        c->arena = a;
        c->cap_arena = cap;
    }
    c->arena[c->n_arena++] = p;
    return p;
}

void *cs_ts_keep(ts_ctx *c, void *p)
{
    return arena_keep(c, p);
}

void *cs_ts_alloc(ts_ctx *c, size_t bytes)
{
    if (bytes > TS_MAX_ARENA_BYTES - c->arena_bytes) {
        cs_ts_fail(c, CS_ERR_UNSUPPORTED, "load-time values need more than %zu MiB (a list or loop too large)",
                   TS_MAX_ARENA_BYTES >> 20);
        return NULL;
    }
    c->arena_bytes += bytes;
    void *p = arena_keep(c, malloc(bytes ? bytes : 1));
    if (!p)
        cs_error_set(c->err, CS_ERR_NOMEM, "%s: out of memory", c->path);
    return p;
}

tv *cs_ts_new(ts_ctx *c, tv_kind kind)
{
    tv *v = cs_ts_alloc(c, sizeof *v);
    if (!v)
        return NULL;
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->value = -1;
    v->rank = -1;
    return v;
}

char *cs_ts_strdup(ts_ctx *c, const char *s)
{
    return arena_keep(c, strdup(s ? s : ""));
}

tv *cs_ts_int(ts_ctx *c, int64_t i)
{
    tv *v = cs_ts_new(c, TV_INT);
    if (v)
        v->i = i;
    return v;
}

tv *cs_ts_tensor(ts_ctx *c, int value, int rank)
{
    if (value < 0)
        return NULL;
    tv *v = cs_ts_new(c, TV_TENSOR);
    if (v) {
        v->value = value;
        v->rank = rank;
    }
    return v;
}

static bool push_item(ts_ctx *c, tv *list, tv *item)
{
    tv **a = item ? cs_ts_alloc(c, (size_t)(list->n + 1) * sizeof *a) : NULL;
    if (!a || !item)
        return false;
    if (list->n)
        memcpy(a, list->items, (size_t)list->n * sizeof *a);
    a[list->n++] = item;
    list->items = a;
    return true;
}

tv *cs_ts_fail(ts_ctx *c, cs_status st, const char *fmt, ...)
{
    if (c->err->status != CS_OK)
        return NULL; /* keep the first, innermost message */
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cs_error_set(c->err, st, "%s: %s at %s:%d", c->path, msg, c->file ? c->file : "?", c->line);
    return NULL;
}

/* ---- files and classes ---- */

static ts_file *load_file(ts_ctx *c, const char *module)
{
    char rel[600];
    size_t k = (size_t)snprintf(rel, sizeof rel, "code/%s", module);
    if (k >= sizeof rel - 4) {
        cs_ts_fail(c, CS_ERR_FORMAT, "module name too long");
        return NULL;
    }
    for (char *p = rel + 5; *p; p++)
        if (*p == '.')
            *p = '/';
    strcat(rel, ".py");
    for (int i = 0; i < c->n_files; i++)
        if (strcmp(c->fnames[i], rel) == 0)
            return c->files[i];
    unsigned char *src = NULL;
    size_t len = 0;
    if (cs_zip_read_rel(c->ar.zip, rel, (size_t)64 << 20, &src, &len, c->err))
        return NULL;
    if (strlen((char *)src) != len) {
        free(src);
        cs_ts_fail(c, CS_ERR_FORMAT, "code file %s holds a NUL byte", rel);
        return NULL;
    }
    ts_file *f = cs_ts_parse(rel, (char *)src, c->err);
    free(src);
    if (!f) {
        cs_error_prefix(c->err, "%s: ", c->path);
        return NULL;
    }
    char **fn = realloc(c->fnames, (size_t)(c->n_files + 1) * sizeof *fn);
    if (fn)
        c->fnames = fn;
    ts_file **fs = realloc(c->files, (size_t)(c->n_files + 1) * sizeof *fs);
    if (fs)
        c->files = fs;
    char *name = strdup(rel);
    if (!fn || !fs || !name) {
        free(name);
        cs_ts_file_free(f);
        cs_error_set(c->err, CS_ERR_NOMEM, "%s: out of memory", c->path);
        return NULL;
    }
    c->fnames[c->n_files] = name;
    c->files[c->n_files++] = f;
    return f;
}

static const ts_node *find_def(const ts_file *f, ts_kind kind, const char *name)
{
    for (int k = 0; f && k < f->n_defs; k++)
        if (f->defs[k]->kind == kind && strcmp(f->defs[k]->name, name) == 0)
            return f->defs[k];
    return NULL;
}

static const ts_node *class_of(ts_ctx *c, const cs_pv *obj, const ts_file **file)
{
    ts_file *f = load_file(c, obj->module);
    const ts_node *cls = f ? find_def(f, TS_CLASS, obj->name) : NULL;
    if (f && !cls)
        cs_ts_fail(c, CS_ERR_FORMAT, "class %s.%s not found in its code file", obj->module, obj->name);
    *file = f;
    return cls;
}

static const ts_node *method_of(const ts_node *cls, const char *name)
{
    for (int k = 0; k < cls->n; k++)
        if (cls->kids[k]->kind == TS_DEF && strcmp(cls->kids[k]->name, name) == 0)
            return cls->kids[k];
    return NULL;
}

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

/* ---- module attributes ---- */

static int tensor_const(ts_ctx *c, const cs_pv *pv, const char *name)
{
    for (int k = 0; k < c->n_t; k++)
        if (c->tpv[k] == pv)
            return c->tval[k];
    cs_tensor *t = cs_pickle_tensor(pv, name, c->err);
    if (!t) {
        cs_error_prefix(c->err, "%s: ", c->path);
        return -1;
    }
    int v = cs_graph_find_value(c->g, name) < 0 ? cs_graph_add_constant(c->g, name, t) : -1;
    if (v < 0 && cs_graph_find_value(c->g, name) >= 0) { /* name taken: make a unique one */
        int nv = cs_graph_new_value(c->g, name);
        if (nv >= 0) {
            c->g->values[nv].data = t;
            c->g->values[nv].dtype = t->dtype;
            c->g->values[nv].rank = t->rank;
            memcpy(c->g->values[nv].dims, t->dims, sizeof t->dims);
        } else {
            cs_tensor_free(t);
        }
        v = nv;
    }
    const cs_pv **a = realloc(c->tpv, (size_t)(c->n_t + 1) * sizeof *a);
    if (a)
        c->tpv = a;
    int *b = realloc(c->tval, (size_t)(c->n_t + 1) * sizeof *b);
    if (b)
        c->tval = b;
    if (v < 0 || !a || !b) {
        cs_error_set(c->err, CS_ERR_NOMEM, "%s: out of memory", c->path);
        return -1;
    }
    c->tpv[c->n_t] = pv;
    c->tval[c->n_t++] = v;
    return v;
}

int cs_ts_pv_tensor(ts_ctx *c, const cs_pv *pv, const char *name)
{
    return tensor_const(c, pv, name);
}

static tv *from_pv(ts_ctx *c, const cs_pv *pv, const char *path, int depth);

static tv *from_pv_list(ts_ctx *c, const cs_pv *pv, const char *path, int depth)
{
    tv *l = cs_ts_new(c, pv->kind == CS_PV_TUPLE ? TV_TUPLE : TV_LIST);
    for (int k = 0; l && k < pv->n; k++) {
        char sub[600];
        snprintf(sub, sizeof sub, "%s.%d", path, k);
        if (!push_item(c, l, from_pv(c, pv->items[k], sub, depth + 1)))
            return NULL;
    }
    return l;
}

static tv *from_pv(ts_ctx *c, const cs_pv *pv, const char *path, int depth)
{
    if (depth > 32)
        return cs_ts_fail(c, CS_ERR_FORMAT, "attribute '%s' nested too deeply", path);
    if (++c->steps > TS_MAX_STEPS) /* objects shared through the pickle memo expand once per reference */
        return cs_ts_fail(c, CS_ERR_FORMAT, "attribute '%s' expands to more than %d values (shared pickle objects)",
                          path, TS_MAX_STEPS);
    tv *v = NULL;
    switch (pv->kind) {
    case CS_PV_NONE: return cs_ts_new(c, TV_NONE);
    case CS_PV_BOOL:
    case CS_PV_INT:
        if ((v = cs_ts_new(c, pv->kind == CS_PV_BOOL ? TV_BOOL : TV_INT)))
            v->i = pv->i;
        return v;
    case CS_PV_FLOAT:
        if ((v = cs_ts_new(c, TV_FLOAT)))
            v->f = pv->f;
        return v;
    case CS_PV_STR:
        if ((v = cs_ts_new(c, TV_STR)))
            v->s = cs_ts_strdup(c, pv->s);
        return v;
    case CS_PV_TUPLE:
    case CS_PV_LIST: return from_pv_list(c, pv, path, depth);
    case CS_PV_TENSOR: {
        int val = tensor_const(c, pv, path);
        tv *t = val < 0 ? NULL : cs_ts_tensor(c, val, pv->rank);
        if (t && pv->qscheme) /* a quantized constant: its integers and their scale(s) */
            t->qdt = pv->dtype, t->qscale = pv->qscale, t->qzp = pv->qzp, t->qpv = pv;
        return t;
    }
    case CS_PV_OBJECT:
        if ((v = cs_ts_new(c, TV_MODULE))) {
            v->obj = pv;
            v->s = cs_ts_strdup(c, path);
        }
        return v;
    default: break;
    }
    return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "attribute '%s' has a pickled value convscope cannot use", path);
}

tv *cs_ts_from_pv(ts_ctx *c, const cs_pv *pv, const char *path)
{
    return from_pv(c, pv, path, 0);
}

static tv *eval(ts_ctx *c, frame *f, const ts_node *e);
static tv *call_def(ts_ctx *c, const ts_file *file, const ts_node *d, tv *self, tv **args, char **kw, int n);

/* ---- attributes set by a class's __setstate__ (objects pickled with a tuple state: quantized modules) ---- */

static bool state_set(ts_ctx *c, const cs_pv *obj, const char *name, tv *v)
{
    const cs_pv **o = realloc(c->sobj, (size_t)(c->n_s + 1) * sizeof *o);
    if (o)
        c->sobj = o;
    const char **nm = realloc(c->sname, (size_t)(c->n_s + 1) * sizeof *nm);
    if (nm)
        c->sname = nm;
    tv **vv = realloc(c->sval, (size_t)(c->n_s + 1) * sizeof *vv);
    if (vv)
        c->sval = vv;
    if (!o || !nm || !vv) {
        cs_ts_fail(c, CS_ERR_NOMEM, "out of memory");
        return false;
    }
    c->sobj[c->n_s] = obj, c->sname[c->n_s] = name, c->sval[c->n_s++] = v;
    return true;
}

static tv *state_get(ts_ctx *c, const cs_pv *obj, const char *name, bool *ran)
{
    *ran = false;
    for (int k = c->n_s - 1; k >= 0; k--)
        if (c->sobj[k] == obj) {
            if (!c->sname[k])
                *ran = true;
            else if (strcmp(c->sname[k], name) == 0)
                return c->sval[k];
        }
    return NULL;
}

/* Attribute `name` of a module whose pickled state is not a dict: its __setstate__ runs once (no layers made). */
static tv *setstate_attr(ts_ctx *c, const tv *m, const char *name)
{
    if (!m->obj->state || m->obj->state->kind == CS_PV_DICT)
        return NULL;
    bool ran;
    tv *v = state_get(c, m->obj, name, &ran);
    if (v || ran)
        return v;
    const ts_file *file;
    const ts_node *cls = class_of(c, m->obj, &file);
    const ts_node *d = cls ? method_of(cls, "__setstate__") : NULL;
    if (!state_set(c, m->obj, NULL, NULL) || !d)
        return NULL;
    tv *st = from_pv(c, m->obj->state, m->s, 0);
    char *kw[1] = {NULL};
    bool s_in = c->in_layer;
    c->in_layer = true;
    tv *r = st ? call_def(c, file, d, (tv *)m, &st, kw, 1) : NULL;
    c->in_layer = s_in;
    return r ? state_get(c, m->obj, name, &ran) : NULL;
}

static tv *module_attr(ts_ctx *c, const tv *m, const char *name)
{
    if (strcmp(name, "training") == 0) { /* inference: always eval mode */
        tv *b = cs_ts_new(c, TV_BOOL);
        return b;
    }
    tv *sv = setstate_attr(c, m, name);
    if (sv || c->err->status)
        return sv;
    char path[600];
    snprintf(path, sizeof path, "%s%s%s", m->s, *m->s ? "." : "", name);
    const cs_pv *pv = cs_pv_dict_get(m->obj->state, name);
    if (pv)
        return from_pv(c, pv, path, 0);
    const ts_file *file;
    const ts_node *cls = class_of(c, m->obj, &file);
    if (!cls)
        return NULL;
    for (int k = 0; k < cls->n; k++) /* class constants: stride : Final[...] = (1, 1) */
        if (cls->kids[k]->kind == TS_ASSIGN && strcmp(cls->kids[k]->name, name) == 0) {
            frame fr = {.file = file};
            tv *v = eval(c, &fr, cls->kids[k]->kids[0]);
            frame_free(&fr);
            return v;
        }
    return cs_ts_fail(c, CS_ERR_FORMAT, "module '%s' (%s) has no attribute '%s'", *m->s ? m->s : "<root>",
                      m->obj->name, name);
}

/* ---- layers ---- */

static bool is_container(const cs_pv *obj)
{
    const cs_pv *st = obj->state;
    for (int k = 1; st && st->kind == CS_PV_DICT && k < st->n; k += 2)
        if (st->items[k]->kind == CS_PV_OBJECT)
            return true;
    return false;
}

static bool name_in(char **list, int n, const char *name)
{
    for (int k = 0; k < n; k++)
        if (strcmp(list[k], name) == 0)
            return true;
    return false;
}

static bool add_module_weights(ts_ctx *c, int layer, const tv *m, const ts_node *cls)
{
    const cs_pv *st = m->obj->state;
    for (int k = 0; st && st->kind == CS_PV_DICT && k + 1 < st->n; k += 2) {
        const cs_pv *key = st->items[k], *val = st->items[k + 1];
        if (key->kind != CS_PV_STR || val->kind != CS_PV_TENSOR)
            continue;
        char name[600];
        snprintf(name, sizeof name, "%s%s%s", m->s, *m->s ? "." : "", key->s);
        int v = tensor_const(c, val, name);
        if (v < 0)
            return false;
        cs_layout lay = strcmp(key->s, "weight") != 0 ? CS_LAYOUT_UNKNOWN
                        : val->rank == 4             ? CS_LAYOUT_OIHW
                        : val->rank == 2             ? CS_LAYOUT_OI
                                                     : CS_LAYOUT_UNKNOWN;
        if (!cs_layer_add_weight_ref(c->g, layer, name, v, lay)) {
            cs_error_set(c->err, CS_ERR_NOMEM, "%s: out of memory", c->path);
            return false;
        }
        cs_layer *l = &c->g->layers[layer];
        bool buffer = name_in(cls->buffers, cls->n_buffers, key->s) ||
                      (!name_in(cls->params, cls->n_params, key->s) &&
                       (strcmp(key->s, "running_mean") == 0 || strcmp(key->s, "running_var") == 0 ||
                        strcmp(key->s, "num_batches_tracked") == 0));
        l->weights[l->n_weights - 1].is_buffer = buffer;
    }
    return true;
}

static int module_layer(ts_ctx *c, const tv *m, const ts_node *cls)
{
    for (int k = 0; k < c->n_m; k++)
        if (c->mobj[k] == m->obj)
            return c->mlayer[k];
    int l = cs_graph_add_layer(c->g, m->s, m->obj->name, c->container);
    const cs_pv **a = realloc(c->mobj, (size_t)(c->n_m + 1) * sizeof *a);
    if (a)
        c->mobj = a;
    int *b = realloc(c->mlayer, (size_t)(c->n_m + 1) * sizeof *b);
    if (b)
        c->mlayer = b;
    if (l < 0 || !a || !b) {
        cs_error_set(c->err, CS_ERR_NOMEM, "%s: out of memory", c->path);
        return -1;
    }
    c->mobj[c->n_m] = m->obj;
    c->mlayer[c->n_m++] = l;
    return add_module_weights(c, l, m, cls) ? l : -1;
}

static void record_outputs(ts_ctx *c, int layer, const tv *r)
{
    if (!r || layer < 0)
        return;
    if (r->kind == TV_TENSOR) {
        cs_layer_add_output(c->g, layer, r->value);
    } else if (r->kind == TV_TUPLE || r->kind == TV_LIST) {
        for (int k = 0; k < r->n; k++)
            record_outputs(c, layer, r->items[k]);
    }
}

static int find_layer_name(const cs_graph *g, const char *name)
{
    for (int i = 0; i < g->n_layers; i++)
        if (strcmp(g->layers[i].name, name) == 0)
            return i;
    return -1;
}

int cs_ts_enter_functional(ts_ctx *c, const char *name)
{
    if (c->in_layer)
        return -2;
    char base[600], full[640];
    snprintf(base, sizeof base, "%s%s%s", c->cpath, *c->cpath ? "." : "", name);
    snprintf(full, sizeof full, "%s", base);
    for (int k = 1; find_layer_name(c->g, full) >= 0 && k < 100000; k++)
        snprintf(full, sizeof full, "%s_%d", base, k);
    int l = cs_graph_add_layer(c->g, full, name, c->container);
    if (l < 0) {
        cs_error_set(c->err, CS_ERR_NOMEM, "%s: out of memory", c->path);
        return -3;
    }
    int saved = c->cur_layer;
    c->cur_layer = l;
    c->in_layer = true;
    return saved;
}

void cs_ts_leave_functional(ts_ctx *c, int saved, tv *result)
{
    if (saved == -2 || saved == -3)
        return;
    record_outputs(c, c->cur_layer, result);
    c->cur_layer = saved;
    c->in_layer = false;
}

/* ---- calls ---- */

static xres exec_block(ts_ctx *c, frame *f, const ts_node *b);

/* Binds params of def d (skipping `self` when given) to args/kwargs/defaults and runs its body. */
static tv *call_def(ts_ctx *c, const ts_file *file, const ts_node *d, tv *self, tv **args, char **kw, int n)
{
    if (c->depth >= TS_MAX_CALL_DEPTH)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "calls nested deeper than %d (recursion?)", TS_MAX_CALL_DEPTH);
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

static tv *call_method(ts_ctx *c, tv *m, const char *name, tv **args, char **kw, int n)
{
    const ts_file *file;
    const ts_node *cls = class_of(c, m->obj, &file);
    if (!cls)
        return NULL;
    const ts_node *d = method_of(cls, name);
    if (!d)
        return cs_ts_fail(c, CS_ERR_FORMAT, "class %s has no method %s", m->obj->name, name);
    bool is_root = m->obj == c->root;
    if (strcmp(name, "forward") != 0 || is_root || strcmp(m->s, c->cpath) == 0)
        return call_def(c, file, d, m, args, kw, n);
    int layer = module_layer(c, m, cls);
    if (layer < 0)
        return NULL;
    bool leaf = !is_container(m->obj);
    int s_layer = c->cur_layer, s_cont = c->container;
    const char *s_path = c->cpath;
    bool s_in = c->in_layer;
    c->cur_layer = layer;
    c->cpath = m->s;
    if (leaf)
        c->in_layer = true;
    else
        c->container = layer, c->in_layer = false;
    tv *r = call_def(c, file, d, m, args, kw, n);
    record_outputs(c, layer, r);
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
    ts_file *f = load_file(c, module);
    const ts_node *d = f ? find_def(f, TS_DEF, dot + 1) : NULL;
    if (!f)
        return NULL;
    if (!d)
        return cs_ts_fail(c, CS_ERR_FORMAT, "function %s not found", qual);
    int saved = cs_ts_enter_functional(c, dot + 1);
    if (saved == -3)
        return NULL;
    tv *r = call_def(c, f, d, NULL, args, kw, n);
    cs_ts_leave_functional(c, saved, r);
    return r;
}

/* ---- builtins (non-tensor) ---- */

static bool truthy(const tv *v, bool *known)
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

static tv *boolean(ts_ctx *c, bool b)
{
    tv *v = cs_ts_new(c, TV_BOOL);
    if (v)
        v->i = b;
    return v;
}

static tv *unknown(ts_ctx *c)
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
        return unknown(c);
    bool arith = !strcmp(op, "add") || !strcmp(op, "sub") || !strcmp(op, "mul") || !strcmp(op, "floordiv");
    if ((a->kind == TV_INT && a->dyn) || (b && b->kind == TV_INT && b->dyn)) {
        if (arith && b && a->kind == TV_INT && b->kind == TV_INT)
            return cs_ts_dyn_int_op(c, op, a, b); /* run-time sizes: computed in the graph */
        return strncmp(op, "add", 3) && strncmp(op, "sub", 3) && strncmp(op, "mul", 3) ? unknown(c) : NULL;
    }
    double x, y = 0;
    if (!num(a, &x) || (b && !num(b, &y)))
        return NULL;
    bool ints = a->kind != TV_FLOAT && (!b || b->kind != TV_FLOAT);
    static const char *const cmp[] = {"eq", "ne", "lt", "gt", "le", "ge"};
    for (int k = 0; k < 6; k++)
        if (strcmp(op, cmp[k]) == 0) {
            bool r = k == 0 ? x == y : k == 1 ? x != y : k == 2 ? x < y : k == 3 ? x > y : k == 4 ? x <= y : x >= y;
            return boolean(c, r);
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
    return module_attr(c, args[0], args[1]->s);
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
    if (a->kind == TV_TENSOR) { /* int(NumToTensor(size)) and friends: a runtime scalar */
        tv *v = cs_ts_new(c, TV_INT);
        if (v)
            v->dyn = true, v->value = a->value;
        return v;
    }
    double d;
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
        return boolean(c, d != 0);
    return cs_ts_int(c, (int64_t)d);
}

static tv *builtin_len_dim(ts_ctx *c, const char *fn, tv *a)
{
    if (strcmp(fn, "dim") == 0)
        return a->kind == TV_TENSOR && a->rank >= 0 ? cs_ts_int(c, a->rank) : unknown(c);
    if (a->kind == TV_LIST || a->kind == TV_TUPLE)
        return cs_ts_int(c, a->n);
    if (a->kind == TV_STR)
        return cs_ts_int(c, (int64_t)strlen(a->s));
    return unknown(c);
}

static tv *builtin_range(ts_ctx *c, tv **args, int n)
{
    int64_t lo = 0, hi = 0, step = 1;
    for (int k = 0; k < n; k++)
        if (args[k]->kind != TV_INT || args[k]->dyn)
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: range() over a run-time value");
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

/* Interpreter-level builtins by qualified name; *handled false when the name is not one. */
static tv *builtin(ts_ctx *c, const char *name, tv **args, char **kw, int n, bool *handled)
{
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
    if (strcmp(name, "ops.prim.is_quantized") == 0 && n == 1)
        return boolean(c, args[0]->kind == TV_TENSOR && args[0]->qdt);
    if (strcmp(name, "ops.prim.RaiseException") == 0) {
        c->raised = true;
        return cs_ts_new(c, TV_NONE);
    }
    if (strcmp(name, "torch.warn") == 0 || strcmp(name, "print") == 0)
        return cs_ts_new(c, TV_NONE);
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
        return boolean(c, strcmp(name, "torch.__is__") == 0 ? same : !same);
    }
    if ((strcmp(name, "torch.eq") == 0 || strcmp(name, "torch.ne") == 0) && n == 2 && args[0]->kind == TV_STR &&
        args[1]->kind == TV_STR)
        return boolean(c, (strcmp(args[0]->s, args[1]->s) == 0) == (name[7] == 'q'));
    tv *l = cs_ts_list_builtin(c, name, args, n, handled);
    if (*handled || c->err->status)
        return l;
    *handled = true;
    if (strcmp(name, "torch.__not__") == 0 && n == 1) {
        bool known, t = truthy(args[0], &known);
        return known ? boolean(c, !t) : unknown(c);
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

static tv *call_ns(ts_ctx *c, const char *name, tv **args, char **kw, int n)
{
    if (strcmp(name, "torch.size") == 0 && n >= 1 && args[0]->kind == TV_TENSOR)
        return cs_ts_size(c, args[0], n > 1 ? args[1] : NULL);
    bool handled;
    tv *r = builtin(c, name, args, kw, n, &handled);
    if (handled)
        return r;
    if (strncmp(name, "__torch__.", 10) == 0)
        return call_free(c, name, args, kw, n);
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
            r = call_method(c, base, fn->name, args, kw, n);
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
        return module_attr(c, base, e->name);
    if (base->kind == TV_NS) {
        if (strcmp(base->s, "CONSTANTS") == 0) {
            char *end;
            long k = e->name[0] == 'c' ? strtol(e->name + 1, &end, 10) : -1;
            if (k < 0 || *end || !c->constants || (c->constants->kind != CS_PV_TUPLE) || k >= c->constants->n)
                return cs_ts_fail(c, CS_ERR_FORMAT, "CONSTANTS.%s does not exist in constants.pkl", e->name);
            char name[64];
            snprintf(name, sizeof name, "CONSTANTS.c%ld", k);
            return from_pv(c, c->constants->items[k], name, 0);
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
    tv *l = cs_ts_new(c, e->kind == TS_TUPLE ? TV_TUPLE : TV_LIST);
    for (int k = 0; l && k < e->n; k++)
        if (!push_item(c, l, eval(c, f, e->kids[k])))
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
    return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: subscript of a run-time value");
}

static tv *eval_binop(ts_ctx *c, frame *f, const ts_node *e)
{
    tv *a = eval(c, f, e->kids[0]);
    if (!a)
        return NULL;
    bool known, t;
    if (strcmp(e->name, "and") == 0 || strcmp(e->name, "or") == 0) {
        t = truthy(a, &known);
        if (!known)
            return unknown(c);
        if (strcmp(e->name, "and") == 0 ? !t : t)
            return a;
        return eval(c, f, e->kids[1]);
    }
    tv *b = eval(c, f, e->kids[1]);
    if (!b)
        return NULL;
    if (strcmp(e->name, "is") == 0 || strcmp(e->name, "is not") == 0) {
        bool same = (a->kind == TV_NONE) == (b->kind == TV_NONE) && (a->kind == TV_NONE || a == b);
        return boolean(c, e->name[2] ? !same : same);
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
    case TS_TRUE: return boolean(c, true);
    case TS_FALSE: return boolean(c, false);
    case TS_ATTR: return eval_attr(c, f, e);
    case TS_CALL: return eval_call(c, f, e);
    case TS_TUPLE:
    case TS_LIST: return eval_seq(c, f, e);
    case TS_INDEX: return eval_index(c, f, e);
    case TS_NEG:
        if (!(v = eval(c, f, e->kids[0])))
            return NULL;
        return call_ns(c, "torch.neg", &v, (char *[]){NULL}, 1);
    case TS_NOT: {
        if (!(v = eval(c, f, e->kids[0])))
            return NULL;
        bool known, t = truthy(v, &known);
        return known ? boolean(c, !t) : unknown(c);
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
            return state_set(c, base->obj, target->name, v);
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

static xres exec_if(ts_ctx *c, frame *f, const ts_node *s)
{
    tv *cond = eval(c, f, s->kids[0]);
    if (!cond)
        return X_ERROR;
    bool known, t = truthy(cond, &known);
    const ts_node *other = s->n > 2 ? s->kids[2] : NULL;
    if (!known) { /* unknown at load time: fine only when one side just raises (an input check) */
        if (block_raises(s->kids[1]))
            t = false;
        else if (block_raises(other))
            t = true;
        else {
            c->line = s->line;
            cs_ts_fail(c, CS_ERR_UNSUPPORTED, "data-dependent construct: 'if' on a value only known at run time");
            return X_ERROR;
        }
    }
    return t ? exec_block(c, f, s->kids[1]) : other ? exec_block(c, f, other) : X_NORMAL;
}

static xres exec_for(ts_ctx *c, frame *f, const ts_node *s)
{
    tv *it = eval(c, f, s->kids[1]);
    if (!it)
        return X_ERROR;
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

static xres exec_stmt(ts_ctx *c, frame *f, const ts_node *s)
{
    c->line = s->line;
    if (++c->steps > TS_MAX_STEPS) {
        cs_ts_fail(c, CS_ERR_UNSUPPORTED, "the script runs more than %d statements at load time (a loop or "
                   "recursion too large to unroll)", TS_MAX_STEPS);
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

/* ---- entry ---- */

static bool add_outputs(ts_ctx *c, const tv *r)
{
    if (r->kind == TV_TENSOR)
        return cs_graph_add_output(c->g, r->value);
    if (r->kind == TV_TUPLE || r->kind == TV_LIST) {
        for (int k = 0; k < r->n; k++)
            if (!add_outputs(c, r->items[k]))
                return false;
        return true;
    }
    cs_ts_fail(c, CS_ERR_UNSUPPORTED, "forward returns something other than tensors");
    return false;
}

static cs_status run_forward(ts_ctx *c)
{
    tv *root = cs_ts_new(c, TV_MODULE);
    if (!root)
        return c->err->status;
    root->obj = c->root;
    root->s = "";
    const ts_file *file;
    const ts_node *cls = class_of(c, c->root, &file);
    const ts_node *d = cls ? method_of(cls, "forward") : NULL;
    if (!d)
        return cls ? cs_error_set(c->err, CS_ERR_FORMAT, "%s: root module %s has no forward", c->path, c->root->name)
                   : c->err->status;
    int n = d->n - 2; /* params minus self, minus body */
    tv **args = calloc((size_t)(n > 0 ? n : 1), sizeof *args);
    char **kw = calloc((size_t)(n > 0 ? n : 1), sizeof *kw);
    if (!args || !kw) {
        free(args);
        free(kw);
        return cs_error_set(c->err, CS_ERR_NOMEM, "%s: out of memory", c->path);
    }
    bool ok = true;
    for (int k = 0; ok && k < n; k++) {
        int v = cs_graph_value(c->g, d->kids[k + 1]->name);
        ok = v >= 0 && cs_graph_add_input(c->g, v) && (args[k] = cs_ts_tensor(c, v, -1));
        if (ok)
            c->g->values[v].dtype = CS_DT_F32;
    }
    tv *r = ok ? call_def(c, file, d, root, args, kw, n) : NULL;
    free(args);
    free(kw);
    if (!r)
        return c->err->status ? c->err->status : cs_error_set(c->err, CS_ERR_NOMEM, "%s: out of memory", c->path);
    return add_outputs(c, r) ? CS_OK : c->err->status;
}

static void ctx_free(ts_ctx *c)
{
    for (int k = 0; k < c->n_files; k++) {
        free(c->fnames[k]);
        cs_ts_file_free(c->files[k]);
    }
    free(c->fnames);
    free(c->files);
    for (int k = 0; k < c->n_arena; k++)
        free(c->arena[k]);
    free(c->arena);
    free(c->tpv);
    free(c->tval);
    free(c->mobj);
    free(c->mlayer);
    free(c->sobj);
    free(c->sname);
    free(c->sval);
    cs_torch_archive_close(&c->ar);
}

/* Input shape hints: channels of the first conv / features of the first linear reached from the input. */
static void guess_input_shapes(ts_ctx *c)
{
    for (int k = 0; k < c->g->n_inputs; k++) {
        cs_value *in = &c->g->values[c->g->inputs[k]];
        for (int n = 0; n < c->g->n_nodes && in->rank < 0; n++) {
            const cs_node *nd = &c->g->nodes[n];
            if (nd->n_inputs < 2 || nd->inputs[0] != c->g->inputs[k] || nd->inputs[1] < 0)
                continue;
            const cs_tensor *w = c->g->values[nd->inputs[1]].data;
            if (strcmp(nd->op, "Conv") == 0 && w && w->rank >= 3) {
                in->rank = w->rank;
                for (int d = 0; d < w->rank; d++)
                    in->dims[d] = -1;
                in->dims[1] = w->dims[1] * cs_attrs_int(&nd->attrs, "group", 1);
                in->layout = w->rank == 4 ? CS_LAYOUT_NCHW : w->rank == 3 ? CS_LAYOUT_NCW : CS_LAYOUT_UNKNOWN;
            }
        }
    }
}

cs_status cs_torchscript_load(const char *path, cs_graph **out, cs_error *err)
{
    *out = NULL;
    ts_ctx c = {.path = path, .err = err, .cur_layer = -1, .container = -1, .cpath = ""};
    cs_error_clear(err);
    if (cs_torch_archive_open(&c.ar, path, "data.pkl", err))
        return err->status;
    if (cs_zip_find_rel(c.ar.zip, "constants.pkl") >= 0 &&
        !(c.constants = cs_torch_archive_pickle(&c.ar, "constants.pkl", "constants", false, err))) {
        ctx_free(&c);
        return err->status;
    }
    c.root = cs_torch_archive_pickle(&c.ar, "data.pkl", "data", false, err);
    cs_status st = c.root ? CS_OK : err->status;
    if (!st && c.root->kind != CS_PV_OBJECT)
        st = cs_error_set(err, CS_ERR_FORMAT, "%s: data.pkl does not hold a module object", path);
    if (!st && !(c.g = cs_graph_new(path, "torchscript")))
        st = cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", path);
    if (!st) {
        c.g->opset = 13;
        st = run_forward(&c);
    }
    if (!st)
        guess_input_shapes(&c);
    if (st) {
        cs_graph_free(c.g);
        c.g = NULL;
    }
    ctx_free(&c);
    *out = c.g;
    return st;
}

/* torchscript_module.c — the module side of the TorchScript reader: code files and classes of the archive,
 * module attributes from the pickled tree (tensors become graph constants; __setstate__ for tuple states),
 * and the layers that nn.Module calls and functional calls become. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchscript_internal.h"

/* ---- files and classes ---- */

ts_file *cs_ts_load_file(ts_ctx *c, const char *module)
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

const ts_node *cs_ts_find_def(const ts_file *f, ts_kind kind, const char *name)
{
    for (int k = 0; f && k < f->n_defs; k++)
        if (f->defs[k]->kind == kind && strcmp(f->defs[k]->name, name) == 0)
            return f->defs[k];
    return NULL;
}

const ts_node *cs_ts_class_of(ts_ctx *c, const cs_pv *obj, const ts_file **file)
{
    ts_file *f = cs_ts_load_file(c, obj->module);
    const ts_node *cls = f ? cs_ts_find_def(f, TS_CLASS, obj->name) : NULL;
    if (f && !cls)
        cs_ts_fail(c, CS_ERR_FORMAT, "class %s.%s not found in its code file", obj->module, obj->name);
    *file = f;
    return cls;
}

const ts_node *cs_ts_method_of(const ts_node *cls, const char *name)
{
    for (int k = 0; k < cls->n; k++)
        if (cls->kids[k]->kind == TS_DEF && strcmp(cls->kids[k]->name, name) == 0)
            return cls->kids[k];
    return NULL;
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
        if (!cs_ts_push_item(c, l, from_pv(c, pv->items[k], sub, depth + 1)))
            return NULL;
    }
    return l;
}

static tv *from_pv(ts_ctx *c, const cs_pv *pv, const char *path, int depth)
{
    if (depth > 32)
        return cs_ts_fail(c, CS_ERR_FORMAT, "attribute '%s' nested too deeply", path);
    if (++c->steps > TS_MAX_STEPS) /* objects shared through the pickle memo expand once per reference */
        return cs_ts_fail(c, CS_ERR_FORMAT, "attribute '%s' expands to more than %lld values (shared pickle objects)",
                          path, (long long)TS_MAX_STEPS);
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
    case CS_PV_DICT: /* return_layers and other str -> x maps */
        if ((v = from_pv_list(c, pv, path, depth)))
            v->kind = TV_DICT;
        return v;
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


/* ---- attributes set by a class's __setstate__ (objects pickled with a tuple state: quantized modules) ---- */

bool cs_ts_state_set(ts_ctx *c, const cs_pv *obj, const char *name, tv *v)
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

/* Attribute `name` as assigned by code (self.x = v in forward or __setstate__); for a module whose pickled state
 * is not a dict, its __setstate__ runs once first (no layers made). NULL when neither gives it. */
static tv *setstate_attr(ts_ctx *c, const tv *m, const char *name)
{
    bool ran;
    tv *v = state_get(c, m->obj, name, &ran); /* also what forward assigned (self._state = ...) before */
    if (v || ran || !m->obj->state || m->obj->state->kind == CS_PV_DICT)
        return v;
    const ts_file *file;
    const ts_node *cls = cs_ts_class_of(c, m->obj, &file);
    const ts_node *d = cls ? cs_ts_method_of(cls, "__setstate__") : NULL;
    if (!cs_ts_state_set(c, m->obj, NULL, NULL) || !d)
        return NULL;
    tv *st = from_pv(c, m->obj->state, m->s, 0);
    char *kw[1] = {NULL};
    bool s_in = c->in_layer;
    c->in_layer = true;
    tv *r = st ? cs_ts_call_def(c, file, d, (tv *)m, &st, kw, 1) : NULL;
    c->in_layer = s_in;
    return r ? state_get(c, m->obj, name, &ran) : NULL;
}

tv *cs_ts_module_attr(ts_ctx *c, const tv *m, const char *name)
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
    const ts_node *cls = cs_ts_class_of(c, m->obj, &file);
    if (!cls)
        return NULL;
    for (int k = 0; k < cls->n; k++) /* class constants: stride : Final[...] = (1, 1) */
        if (cls->kids[k]->kind == TS_ASSIGN && strcmp(cls->kids[k]->name, name) == 0) {
            return cs_ts_eval_in(c, file, cls->kids[k]->kids[0]);
        }
    return cs_ts_fail(c, CS_ERR_FORMAT, "module '%s' (%s) has no attribute '%s'", *m->s ? m->s : "<root>",
                      m->obj->name, name);
}

/* ---- layers ---- */

bool cs_ts_is_container(const cs_pv *obj)
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

int cs_ts_module_layer(ts_ctx *c, const tv *m, const ts_node *cls)
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

void cs_ts_record_outputs(ts_ctx *c, int layer, const tv *r)
{
    if (!r || layer < 0)
        return;
    if (r->kind == TV_TENSOR) {
        cs_layer_add_output(c->g, layer, r->value);
    } else if (r->kind == TV_TUPLE || r->kind == TV_LIST || r->kind == TV_DICT) {
        for (int k = r->kind == TV_DICT; k < r->n; k += 1 + (r->kind == TV_DICT))
            cs_ts_record_outputs(c, layer, r->items[k]);
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
    cs_ts_record_outputs(c, c->cur_layer, result);
    c->cur_layer = saved;
    c->in_layer = false;
}


/* torchscript.c — loads a TorchScript archive (torch.jit.trace / torch.jit.script) by interpreting its
 * serialized code at load time over the pickled module tree, emitting IR nodes for tensor work: the entry point
 * and the load-time value arena. The module tree is torchscript_module.c, the interpreter torchscript_eval.c and
 * torchscript_builtin.c, the aten lowering torchscript_aten*.c over the kit of torchscript_lower.c.
 * Hand-written because no C library reads TorchScript; nothing from the file is ever executed natively. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model.h"
#include "torchscript_internal.h"

/* ---- arena ---- */

int64_t cs_ts_max_steps = TS_MAX_STEPS_DEFAULT;

void cs_torchscript_set_step_budget(int64_t steps)
{
    cs_ts_max_steps = steps > 0 ? steps : TS_MAX_STEPS_DEFAULT;
}

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

bool cs_ts_push_item(ts_ctx *c, tv *list, tv *item)
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

/* ---- entry ---- */

static bool add_outputs(ts_ctx *c, const tv *r, bool nested)
{
    if (nested && r->kind == TV_NONE) /* an absent optional output (no aux logits) */
        return true;
    if (r->kind == TV_TENSOR)
        return cs_graph_add_output(c->g, r->value);
    if (r->kind == TV_TUPLE || r->kind == TV_LIST || r->kind == TV_DICT) { /* a dict: its values, in order */
        for (int k = r->kind == TV_DICT; k < r->n; k += 1 + (r->kind == TV_DICT))
            if (!add_outputs(c, r->items[k], true))
                return false;
        return true;
    }
    cs_ts_fail(c, CS_ERR_UNSUPPORTED, "forward returns something other than tensors");
    return false;
}

static tv *forward_arg(ts_ctx *c, const char *name);

/* A List[Tensor] forward argument (detection models' images): a list of one graph input, named as the argument. */
static tv *forward_list_arg(ts_ctx *c, const char *name)
{
    tv *t = forward_arg(c, name), *l = t ? cs_ts_new(c, TV_LIST) : NULL;
    return l && cs_ts_push_item(c, l, t) ? l : NULL;
}

/* A forward argument: a graph input (f32, of the --ts-arg shape when given), or the number --ts-arg fixes. */
static tv *forward_arg(ts_ctx *c, const char *name)
{
    const char *given = cs_model_ts_arg(name);
    if (given && given[0] != '[') {
        char *end;
        double d = strtod(given, &end);
        if (end == given || *end)
            return cs_ts_fail(c, CS_ERR_FORMAT, "--ts-arg %s=%s is neither a number nor a [shape]", name, given);
        bool is_int = !strpbrk(given, ".eE") && d >= -9e15 && d <= 9e15;
        tv *v = is_int ? cs_ts_int(c, (int64_t)d) : cs_ts_new(c, TV_FLOAT);
        if (v && !is_int)
            v->f = d;
        return v;
    }
    int v = cs_graph_value(c->g, name);
    if (v < 0 || !cs_graph_add_input(c->g, v)) {
        cs_error_set(c->err, CS_ERR_NOMEM, "%s: out of memory", c->path);
        return NULL;
    }
    cs_value *val = &c->g->values[v];
    val->dtype = CS_DT_F32;
    int rank = -1;
    for (const char *p = given ? given + 1 : NULL; p && *p && *p != ']' && rank < CS_MAX_RANK;) {
        char *end;
        long long dim = strtoll(p, &end, 10);
        if (end == p || dim < -1)
            return cs_ts_fail(c, CS_ERR_FORMAT, "--ts-arg %s=%s: a shape is [d0,d1,...] of sizes", name, given);
        rank = rank < 0 ? 1 : rank + 1;
        val->dims[rank - 1] = dim;
        p = *end == ',' ? end + 1 : end;
    }
    if (rank > 0)
        val->rank = rank;
    return cs_ts_tensor(c, v, rank);
}

static cs_status run_forward(ts_ctx *c)
{
    tv *root = cs_ts_new(c, TV_MODULE);
    if (!root)
        return c->err->status;
    root->obj = c->root;
    root->s = "";
    const ts_file *file;
    const ts_node *cls = cs_ts_class_of(c, c->root, &file);
    const ts_node *d = cls ? cs_ts_method_of(cls, "forward") : NULL;
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
    for (int k = 0; ok && k < n; k++) { /* a parameter with a default (targets=None) keeps it unless --ts-arg sets it */
        const ts_node *prm = d->kids[k + 1];
        if (prm->n > 0 && prm->kids[0] && !cs_model_ts_arg(prm->name)) {
            n = k;
            break;
        }
        ok = (args[k] = prm->i == 1 ? forward_list_arg(c, prm->name) : forward_arg(c, prm->name)) != NULL;
    }
    tv *r = ok ? cs_ts_call_def(c, file, d, root, args, kw, n) : NULL;
    free(args);
    free(kw);
    if (!r)
        return c->err->status ? c->err->status : cs_error_set(c->err, CS_ERR_NOMEM, "%s: out of memory", c->path);
    return add_outputs(c, r, false) ? CS_OK : c->err->status;
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
    free(c->shp);
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


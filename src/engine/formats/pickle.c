/* pickle.c — the pickle VM for the opcodes PyTorch writes (protocols 2-5), building cs_pv values.
 * Hand-written because no packaged C library reads pickles without executing Python. */
#include "pickle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PV_BUDGET ((size_t)1 << 30) /* bytes of values one arena may hold */
#define PV_MAX_STACK 100000
#define PV_MAX_MEMO 10000000

typedef struct vm {
    cs_pickle *p;
    const unsigned char *buf;
    size_t len, pos;
    const cs_pickle_opts *opts;
    const char *what;
    cs_error *err;
    cs_pv **stack;
    int sp, cap;
    int *marks;
    int n_marks, cap_marks;
    cs_pv **memo;
    size_t n_memo;
    size_t memo_count; /* slots set, the index MEMOIZE uses */
    cs_pv *mark_pv; /* sentinel never exposed */
} vm;

cs_pickle *cs_pickle_new(void)
{
    cs_pickle *p = calloc(1, sizeof *p);
    if (p)
        p->budget = PV_BUDGET;
    return p;
}

void cs_pickle_free(cs_pickle *p)
{
    if (!p)
        return;
    for (int k = 0; k < p->n_all; k++) {
        cs_pv *v = p->all[k];
        free(v->s);
        free(v->items);
        free(v->module);
        free(v->name);
        free(v->bytes);
        free(v);
    }
    free(p->all);
    free(p);
}

cs_pv *cs_pickle_new_value(cs_pickle *p, cs_pv_kind kind)
{
    if (p->budget < sizeof(cs_pv))
        return NULL;
    if (p->n_all == p->cap_all) {
        int cap = p->cap_all ? p->cap_all * 2 : 64;
        cs_pv **a = realloc(p->all, (size_t)cap * sizeof *a);
        if (!a)
            return NULL;
        p->all = a;
        p->cap_all = cap;
    }
    cs_pv *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->kind = kind;
    p->budget -= sizeof(cs_pv);
    p->all[p->n_all++] = v;
    return v;
}

static cs_status fail(vm *m, const char *fmt, const char *arg)
{
    char reason[600];
    snprintf(reason, sizeof reason, fmt, arg ? arg : "");
    return cs_error_set(m->err, CS_ERR_FORMAT, "%s: pickle offset %zu: %s", m->what, m->pos, reason);
}

static cs_status nomem(vm *m)
{
    return cs_error_set(m->err, CS_ERR_NOMEM, "%s: pickle offset %zu: out of memory or over the value budget",
                        m->what, m->pos);
}

static bool pv_push_item(cs_pickle *p, cs_pv *c, cs_pv *item)
{
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 4;
        if (p->budget < (size_t)cap * sizeof(cs_pv *))
            return false;
        cs_pv **a = realloc(c->items, (size_t)cap * sizeof *a);
        if (!a)
            return false;
        p->budget -= (size_t)(cap - c->cap) * sizeof(cs_pv *);
        c->items = a;
        c->cap = cap;
    }
    c->items[c->n++] = item;
    return true;
}

/* ---- stack ---- */

static cs_status push(vm *m, cs_pv *v)
{
    if (!v)
        return nomem(m);
    if (m->sp >= PV_MAX_STACK)
        return fail(m, "stack deeper than the limit%s", NULL);
    if (m->sp == m->cap) {
        int cap = m->cap ? m->cap * 2 : 64;
        cs_pv **a = realloc(m->stack, (size_t)cap * sizeof *a);
        if (!a)
            return nomem(m);
        m->stack = a;
        m->cap = cap;
    }
    m->stack[m->sp++] = v;
    return CS_OK;
}

static cs_pv *pop(vm *m)
{
    int floor = m->n_marks ? m->marks[m->n_marks - 1] : 0;
    if (m->sp <= floor) {
        fail(m, "stack underflow%s", NULL);
        return NULL;
    }
    return m->stack[--m->sp];
}

static cs_pv *top(vm *m)
{
    int floor = m->n_marks ? m->marks[m->n_marks - 1] : 0;
    if (m->sp <= floor) {
        fail(m, "stack underflow%s", NULL);
        return NULL;
    }
    return m->stack[m->sp - 1];
}

/* Pops back to the last mark; returns the index of the first item above it, or -1. */
static int pop_mark(vm *m)
{
    if (m->n_marks == 0) {
        fail(m, "no mark on the stack%s", NULL);
        return -1;
    }
    return m->marks[--m->n_marks];
}

/* ---- reading ---- */

static bool need(vm *m, size_t n)
{
    if (m->len - m->pos < n) {
        fail(m, "truncated pickle%s", NULL);
        return false;
    }
    return true;
}

static uint64_t rd_le(vm *m, int n)
{
    uint64_t v = 0;
    for (int k = 0; k < n; k++)
        v |= (uint64_t)m->buf[m->pos + (size_t)k] << (8 * k);
    m->pos += (size_t)n;
    return v;
}

static cs_pv *new_str(vm *m, const unsigned char *s, size_t n)
{
    if (m->p->budget < n + 1)
        return NULL;
    cs_pv *v = cs_pickle_new_value(m->p, CS_PV_STR);
    if (!v)
        return NULL;
    v->s = malloc(n + 1);
    if (!v->s)
        return NULL;
    memcpy(v->s, s, n);
    v->s[n] = 0;
    v->len = n;
    m->p->budget -= n + 1;
    return v;
}

static cs_status op_str(vm *m, int lenbytes)
{
    if (!need(m, (size_t)lenbytes))
        return m->err->status;
    uint64_t n = rd_le(m, lenbytes);
    if (n > m->len - m->pos)
        return fail(m, "string runs past the end%s", NULL);
    cs_pv *v = new_str(m, m->buf + m->pos, (size_t)n);
    m->pos += (size_t)n;
    return push(m, v);
}

static cs_pv *new_int(vm *m, int64_t i)
{
    cs_pv *v = cs_pickle_new_value(m->p, CS_PV_INT);
    if (v)
        v->i = i;
    return v;
}

static cs_status op_long(vm *m, int lenbytes)
{
    if (!need(m, (size_t)lenbytes))
        return m->err->status;
    uint64_t n = rd_le(m, lenbytes);
    if (n > 16)
        return fail(m, "integer wider than 128 bits%s", NULL);
    if (!need(m, (size_t)n))
        return m->err->status;
    if (n > 8) { /* kept as its low 64 bits, len = byte count (torch's legacy magic number) */
        cs_pv *w = new_int(m, (int64_t)rd_le(m, 8));
        m->pos += (size_t)n - 8;
        if (w)
            w->len = (size_t)n;
        return push(m, w);
    }
    uint64_t u = rd_le(m, (int)n);
    if (n > 0 && n < 8 && (u >> (8 * n - 1)) & 1)
        u |= ~(uint64_t)0 << (8 * n);
    return push(m, new_int(m, (int64_t)u));
}

/* Reads a text line (for GLOBAL, INT, FLOAT) into out. */
static bool read_line(vm *m, char *out, size_t cap)
{
    size_t k = 0;
    while (m->pos < m->len && m->buf[m->pos] != '\n') {
        if (k + 1 >= cap) {
            fail(m, "text field too long%s", NULL);
            return false;
        }
        out[k++] = (char)m->buf[m->pos++];
    }
    if (m->pos >= m->len) {
        fail(m, "unterminated text field%s", NULL);
        return false;
    }
    m->pos++;
    out[k] = 0;
    return true;
}

/* ---- globals ---- */

static const char *const allowed_globals[] = {
    "torch._utils _rebuild_tensor_v2", "torch._utils _rebuild_tensor", "torch._utils _rebuild_parameter",
    "torch._utils _rebuild_parameter_with_state", "collections OrderedDict", "builtins set",
    "__builtin__ set", "builtins frozenset", "__builtin__ frozenset", "torch device",
    "torch.jit._pickle build_intlist", "torch.jit._pickle build_doublelist", "torch.jit._pickle build_boollist",
    "torch.jit._pickle build_tensorlist", "torch.jit._pickle restore_type_tag", "torch Size",
    "torch.serialization _get_layout", "torch float32", "torch float16", "torch float64", "torch int64",
    "torch int32", "torch uint8", "torch int8", "torch bool", "torch bfloat16", "torch strided",
    "torch.storage UntypedStorage", "torch UntypedStorage", "_codecs encode", "torch._utils _rebuild_qtensor",
    "torch per_tensor_affine", "torch per_channel_affine", "torch per_channel_affine_float_qparams",
    "torch per_tensor_symmetric", "torch per_channel_symmetric", "torch quint8", "torch qint8", "torch qint32", NULL};

/* Modules whose names never denote an inert class, even in checkpoint mode. */
static const char *const denied_modules[] = {"os", "posix", "nt", "subprocess", "sys", "builtins",
                                             "__builtin__", "socket", "shutil", "importlib", "pickle",
                                             "runpy", "code", "ctypes", "pty", "webbrowser", "io",
                                             "functools", "operator", "codecs", "marshal", "types",
                                             "multiprocessing", "signal", "tempfile", "pathlib", NULL};

cs_dtype cs_pickle_storage_dtype(const char *name)
{
    static const struct {
        const char *n;
        cs_dtype d;
    } t[] = {{"FloatStorage", CS_DT_F32}, {"DoubleStorage", CS_DT_F64}, {"HalfStorage", CS_DT_F16},
             {"BFloat16Storage", CS_DT_BF16}, {"LongStorage", CS_DT_I64}, {"IntStorage", CS_DT_I32},
             {"ShortStorage", CS_DT_I16}, {"CharStorage", CS_DT_I8}, {"ByteStorage", CS_DT_U8},
             {"BoolStorage", CS_DT_BOOL}, {"UntypedStorage", CS_DT_U8}, {"QInt8Storage", CS_DT_I8},
             {"QUInt8Storage", CS_DT_U8}, {"QInt32Storage", CS_DT_I32}};
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++)
        if (strcmp(t[k].n, name) == 0)
            return t[k].d;
    return CS_DT_UNDEFINED;
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static bool is_identifier_path(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!(*s == '_' || *s == '.' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

static bool global_allowed(const vm *m, const char *module, const char *name)
{
    char full[512];
    snprintf(full, sizeof full, "%s %s", module, name);
    for (int k = 0; allowed_globals[k]; k++)
        if (strcmp(full, allowed_globals[k]) == 0)
            return true;
    if (strcmp(module, "torch") == 0 && cs_pickle_storage_dtype(name) != CS_DT_UNDEFINED)
        return true;
    if (!is_identifier_path(module) || !is_identifier_path(name) || strchr(name, '.'))
        return false;
    if (has_prefix(module, "__torch__") && (module[9] == 0 || module[9] == '.'))
        return true; /* TorchScript classes: inert objects */
    bool upper = name[0] >= 'A' && name[0] <= 'Z';
    if (has_prefix(module, "torch.nn.modules.") && upper)
        return true;
    if (m->opts && m->opts->allow_user_classes && upper) {
        char first[128];
        size_t k = strcspn(module, ".");
        snprintf(first, sizeof first, "%.*s", (int)(k < 127 ? k : 127), module);
        for (int d = 0; denied_modules[d]; d++)
            if (strcmp(first, denied_modules[d]) == 0)
                return false;
        return !has_prefix(module, "torch.") || has_prefix(module, "torch.nn.");
    }
    return false;
}

static cs_status push_global(vm *m, const char *module, const char *name)
{
    if (!global_allowed(m, module, name)) {
        char full[520];
        if ((strcmp(module, "torch._utils") == 0 && strcmp(name, "_rebuild_qtensor") == 0) ||
            (strcmp(module, "torch") == 0 && name[0] == 'Q' && strstr(name, "Storage")))
            return cs_error_set(m->err, CS_ERR_UNSUPPORTED,
                                "%s: quantized tensors (pickle global '%s %s') are not supported", m->what, module, name);
        snprintf(full, sizeof full, "%s %s", module, name);
        return cs_error_set(m->err, CS_ERR_FORMAT, "%s: refusing pickle global '%s' (not on the allowlist)",
                            m->what, full);
    }
    cs_pv *v = cs_pickle_new_value(m->p, CS_PV_GLOBAL);
    if (!v)
        return nomem(m);
    v->module = strdup(module);
    v->name = strdup(name);
    if (!v->module || !v->name)
        return nomem(m);
    return push(m, v);
}

static cs_status op_global(vm *m)
{
    char module[256], name[256];
    if (!read_line(m, module, sizeof module) || !read_line(m, name, sizeof name))
        return m->err->status;
    return push_global(m, module, name);
}

static cs_status op_stack_global(vm *m)
{
    cs_pv *name = pop(m), *module = name ? pop(m) : NULL;
    if (!module)
        return m->err->status;
    if (module->kind != CS_PV_STR || name->kind != CS_PV_STR || strlen(module->s) != module->len ||
        strlen(name->s) != name->len || module->len > 255 || name->len > 255)
        return fail(m, "STACK_GLOBAL needs two short strings%s", NULL);
    return push_global(m, module->s, name->s);
}

/* ---- calls (REDUCE / NEWOBJ / BUILD) ---- */

static bool global_is(const cs_pv *g, const char *module, const char *name)
{
    return g->kind == CS_PV_GLOBAL && strcmp(g->module, module) == 0 && strcmp(g->name, name) == 0;
}

static bool pv_int_list(const cs_pv *v, int max, int64_t *out, int *n)
{
    if (!v || (v->kind != CS_PV_TUPLE && v->kind != CS_PV_LIST) || v->n > max)
        return false;
    for (int k = 0; k < v->n; k++) {
        if (v->items[k]->kind != CS_PV_INT)
            return false;
        out[k] = v->items[k]->i;
    }
    *n = v->n;
    return true;
}

static cs_status rebuild_tensor(vm *m, const cs_pv *args, cs_pv **out)
{
    if (args->n < 4 || args->items[0]->kind != CS_PV_STORAGE || args->items[1]->kind != CS_PV_INT)
        return fail(m, "_rebuild_tensor needs (storage, offset, size, stride)%s", NULL);
    cs_pv *t = cs_pickle_new_value(m->p, CS_PV_TENSOR);
    if (!t)
        return nomem(m);
    int ns = 0, nt = 0;
    if (!pv_int_list(args->items[2], CS_MAX_RANK, t->dims, &ns) ||
        !pv_int_list(args->items[3], CS_MAX_RANK, t->strides, &nt) || ns != nt)
        return fail(m, "tensor sizes/strides are not matching int tuples of rank <= 8%s", NULL);
    t->rank = ns;
    t->i = args->items[1]->i;
    t->state = args->items[0];
    t->dtype = args->items[0]->dtype;
    *out = t;
    return CS_OK;
}

/* _rebuild_qtensor(storage, offset, size, stride, quantizer_params, requires_grad, hooks): quantizer_params is
 * (per_tensor_affine, scale, zero_point) or (per_channel_affine[_float_qparams], scales, zero_points, axis). */
static cs_status rebuild_qtensor(vm *m, const cs_pv *args, cs_pv **out)
{
    cs_status st = rebuild_tensor(m, args, out);
    if (st != CS_OK)
        return st;
    const cs_pv *q = args->n > 4 ? args->items[4] : NULL;
    if (!q || q->kind != CS_PV_TUPLE || q->n < 3 || q->items[0]->kind != CS_PV_GLOBAL)
        return fail(m, "_rebuild_qtensor needs quantizer parameters (scheme, scale, zero point)%s", NULL);
    const char *scheme = q->items[0]->name;
    if (strstr(scheme, "per_tensor") && q->items[1]->kind == CS_PV_FLOAT && q->items[2]->kind == CS_PV_INT) {
        (*out)->qscheme = CS_PV_Q_TENSOR;
        (*out)->qscale = q->items[1]->f;
        (*out)->qzp = q->items[2]->i;
        return CS_OK;
    }
    if (strstr(scheme, "per_channel") && q->n >= 4 && q->items[1]->kind == CS_PV_TENSOR &&
        q->items[2]->kind == CS_PV_TENSOR && q->items[3]->kind == CS_PV_INT && q->items[3]->i >= 0 &&
        q->items[3]->i < (*out)->rank) {
        (*out)->qscheme = CS_PV_Q_CHANNEL;
        (*out)->qscales = q->items[1];
        (*out)->qzps = q->items[2];
        (*out)->qaxis = (int)q->items[3]->i;
        return CS_OK;
    }
    return cs_error_set(m->err, CS_ERR_UNSUPPORTED, "%s: quantization scheme '%s' is not supported", m->what, scheme);
}

static cs_status apply(vm *m, cs_pv *fn, cs_pv *args, cs_pv **out)
{
    if (fn->kind != CS_PV_GLOBAL || args->kind != CS_PV_TUPLE)
        return fail(m, "REDUCE on something that is not an allowlisted global%s", NULL);
    if (global_is(fn, "torch._utils", "_rebuild_tensor_v2") || global_is(fn, "torch._utils", "_rebuild_tensor"))
        return rebuild_tensor(m, args, out);
    if (global_is(fn, "torch._utils", "_rebuild_qtensor"))
        return rebuild_qtensor(m, args, out);
    if (global_is(fn, "torch._utils", "_rebuild_parameter") ||
        global_is(fn, "torch._utils", "_rebuild_parameter_with_state")) {
        if (args->n < 1 || args->items[0]->kind != CS_PV_TENSOR)
            return fail(m, "_rebuild_parameter needs a tensor%s", NULL);
        *out = args->items[0];
        return CS_OK;
    }
    if (global_is(fn, "collections", "OrderedDict")) {
        *out = cs_pickle_new_value(m->p, CS_PV_DICT);
        return *out ? CS_OK : nomem(m);
    }
    bool listy = strcmp(fn->name, "set") == 0 || strcmp(fn->name, "frozenset") == 0 ||
                 has_prefix(fn->name, "build_") || global_is(fn, "torch", "Size");
    if (listy) {
        *out = cs_pickle_new_value(m->p, CS_PV_LIST);
        if (!*out)
            return nomem(m);
        cs_pv *src = args->n > 0 ? args->items[0] : NULL;
        if (src && (src->kind == CS_PV_LIST || src->kind == CS_PV_TUPLE))
            for (int k = 0; k < src->n; k++)
                if (!pv_push_item(m->p, *out, src->items[k]))
                    return nomem(m);
        return CS_OK;
    }
    if (global_is(fn, "torch.jit._pickle", "restore_type_tag") && args->n >= 1) {
        *out = args->items[0];
        return CS_OK;
    }
    if (global_is(fn, "torch", "device") || global_is(fn, "_codecs", "encode") ||
        global_is(fn, "torch.serialization", "_get_layout")) {
        *out = args->n > 0 ? args->items[0] : cs_pickle_new_value(m->p, CS_PV_NONE);
        return *out ? CS_OK : nomem(m);
    }
    char full[520];
    snprintf(full, sizeof full, "%s %s", fn->module, fn->name);
    return cs_error_set(m->err, CS_ERR_FORMAT, "%s: refusing to call pickle global '%s' (not an allowlisted callable)",
                        m->what, full);
}

static cs_status op_reduce(vm *m)
{
    cs_pv *args = pop(m), *fn = args ? pop(m) : NULL, *out = NULL;
    if (!fn)
        return m->err->status;
    cs_status st = apply(m, fn, args, &out);
    return st ? st : push(m, out);
}

static cs_status op_newobj(vm *m)
{
    cs_pv *args = pop(m), *cls = args ? pop(m) : NULL;
    if (!cls)
        return m->err->status;
    if (cls->kind != CS_PV_GLOBAL)
        return fail(m, "NEWOBJ of something that is not a class%s", NULL);
    if (global_is(cls, "collections", "OrderedDict"))
        return push(m, cs_pickle_new_value(m->p, CS_PV_DICT));
    bool ts_class = has_prefix(cls->module, "__torch__") && cls->name[0] == '_'; /* TorchScript's _DenseBlock */
    if ((cls->name[0] < 'A' || cls->name[0] > 'Z') && !ts_class)
        return cs_error_set(m->err, CS_ERR_FORMAT, "%s: refusing to instantiate pickle global '%s %s'",
                            m->what, cls->module, cls->name);
    cs_pv *o = cs_pickle_new_value(m->p, CS_PV_OBJECT);
    if (!o)
        return nomem(m);
    o->module = strdup(cls->module);
    o->name = strdup(cls->name);
    if (!o->module || !o->name)
        return nomem(m);
    return push(m, o);
}

static cs_status op_build(vm *m)
{
    cs_pv *state = pop(m), *obj = state ? top(m) : NULL;
    if (!obj)
        return m->err->status;
    if (obj->kind == CS_PV_OBJECT) {
        obj->state = state;
        return CS_OK;
    }
    if (obj->kind == CS_PV_TENSOR || obj->kind == CS_PV_DICT)
        return CS_OK; /* tensor python state / OrderedDict extras: ignored */
    return fail(m, "BUILD on a value that is not an object%s", NULL);
}

static cs_status op_persid(vm *m)
{
    cs_pv *pid = pop(m);
    if (!pid)
        return m->err->status;
    if (!m->opts || !m->opts->persistent)
        return fail(m, "persistent id without a storage resolver%s", NULL);
    cs_pv *v = m->opts->persistent(m->opts->user, m->p, pid, m->err);
    if (!v)
        return m->err->status ? m->err->status : nomem(m);
    return push(m, v);
}

/* ---- containers ---- */

static cs_status op_tuple_n(vm *m, int n)
{
    cs_pv *t = cs_pickle_new_value(m->p, CS_PV_TUPLE);
    if (!t)
        return nomem(m);
    cs_pv *it[3];
    for (int k = n - 1; k >= 0; k--)
        if (!(it[k] = pop(m)))
            return m->err->status;
    for (int k = 0; k < n; k++)
        if (!pv_push_item(m->p, t, it[k]))
            return nomem(m);
    return push(m, t);
}

static cs_status op_collect(vm *m, cs_pv_kind kind)
{
    int base = pop_mark(m);
    if (base < 0)
        return m->err->status;
    cs_pv *t = cs_pickle_new_value(m->p, kind);
    if (!t)
        return nomem(m);
    if (kind == CS_PV_DICT && (m->sp - base) % 2)
        return fail(m, "DICT with an odd number of items%s", NULL);
    for (int k = base; k < m->sp; k++)
        if (!pv_push_item(m->p, t, m->stack[k]))
            return nomem(m);
    m->sp = base;
    return push(m, t);
}

/* APPEND(S) / SETITEM(S) / ADDITEMS: moves items above the mark (or the top n) into the container below. */
static cs_status op_extend(vm *m, int base, bool dict)
{
    if (base < 1 || base > m->sp)
        return fail(m, "container missing under its items%s", NULL);
    int floor = m->n_marks ? m->marks[m->n_marks - 1] : 0;
    if (base - 1 < floor)
        return fail(m, "container missing under its items%s", NULL);
    cs_pv *c = m->stack[base - 1];
    if (dict ? c->kind != CS_PV_DICT : c->kind != CS_PV_LIST)
        return fail(m, dict ? "SETITEM(S) on a non-dict%s" : "APPEND(S) on a non-list%s", NULL);
    if (dict && (m->sp - base) % 2)
        return fail(m, "SETITEMS with an odd number of items%s", NULL);
    for (int k = base; k < m->sp; k++)
        if (!pv_push_item(m->p, c, m->stack[k]))
            return nomem(m);
    m->sp = base;
    return CS_OK;
}

static cs_status op_extend_mark(vm *m, bool dict)
{
    int base = pop_mark(m);
    return base < 0 ? m->err->status : op_extend(m, base, dict);
}

/* ---- memo ---- */

static cs_status memo_put(vm *m, uint64_t idx)
{
    cs_pv *v = top(m);
    if (!v)
        return m->err->status;
    if (idx >= PV_MAX_MEMO)
        return fail(m, "memo index over the limit%s", NULL);
    if (idx >= m->n_memo) {
        size_t n = idx + 1 > m->n_memo * 2 ? idx + 1 : m->n_memo * 2;
        cs_pv **a = realloc(m->memo, n * sizeof *a);
        if (!a)
            return nomem(m);
        memset(a + m->n_memo, 0, (n - m->n_memo) * sizeof *a);
        m->memo = a;
        m->n_memo = n;
    }
    if (!m->memo[idx])
        m->memo_count++;
    m->memo[idx] = v;
    return CS_OK;
}

static cs_status memo_get(vm *m, uint64_t idx)
{
    if (idx >= m->n_memo || !m->memo[idx])
        return fail(m, "memo lookup of an unset slot%s", NULL);
    return push(m, m->memo[idx]);
}

static cs_status op_memo(vm *m, int lenbytes, bool put)
{
    if (!need(m, (size_t)lenbytes))
        return m->err->status;
    uint64_t idx = rd_le(m, lenbytes);
    return put ? memo_put(m, idx) : memo_get(m, idx);
}

static cs_status op_text_memo(vm *m, bool put)
{
    char line[32];
    if (!read_line(m, line, sizeof line))
        return m->err->status;
    char *end;
    unsigned long long idx = strtoull(line, &end, 10);
    if (end == line || *end)
        return fail(m, "bad memo index '%s'", line);
    return put ? memo_put(m, idx) : memo_get(m, idx);
}

/* ---- scalars ---- */

static cs_status op_text_number(vm *m, bool is_float)
{
    char line[64];
    if (!read_line(m, line, sizeof line))
        return m->err->status;
    if (!is_float && (strcmp(line, "00") == 0 || strcmp(line, "01") == 0)) {
        cs_pv *b = cs_pickle_new_value(m->p, CS_PV_BOOL);
        if (b)
            b->i = line[1] == '1';
        return push(m, b);
    }
    char *end;
    if (is_float) {
        cs_pv *v = cs_pickle_new_value(m->p, CS_PV_FLOAT);
        if (v)
            v->f = strtod(line, &end);
        return push(m, v);
    }
    long long i = strtoll(line, &end, 10);
    if (end == line)
        return fail(m, "bad INT '%s'", line);
    return push(m, new_int(m, i));
}

static cs_status op_binfloat(vm *m)
{
    if (!need(m, 8))
        return m->err->status;
    uint64_t u = 0;
    for (int k = 0; k < 8; k++)
        u = (u << 8) | m->buf[m->pos++];
    cs_pv *v = cs_pickle_new_value(m->p, CS_PV_FLOAT);
    if (v)
        memcpy(&v->f, &u, sizeof v->f);
    return push(m, v);
}

static cs_status op_binint(vm *m, int n, bool is_signed)
{
    if (!need(m, (size_t)n))
        return m->err->status;
    uint64_t u = rd_le(m, n);
    int64_t i = is_signed ? (int64_t)(int32_t)(uint32_t)u : (int64_t)u;
    return push(m, new_int(m, i));
}

static cs_status op_simple(vm *m, cs_pv_kind kind, int64_t i)
{
    cs_pv *v = cs_pickle_new_value(m->p, kind);
    if (v)
        v->i = i;
    return push(m, v);
}

static cs_status op_mark(vm *m)
{
    if (m->n_marks == m->cap_marks) {
        int cap = m->cap_marks ? m->cap_marks * 2 : 16;
        if (cap > PV_MAX_STACK)
            return fail(m, "too many marks%s", NULL);
        int *a = realloc(m->marks, (size_t)cap * sizeof *a);
        if (!a)
            return nomem(m);
        m->marks = a;
        m->cap_marks = cap;
    }
    m->marks[m->n_marks++] = m->sp;
    return CS_OK;
}

static cs_status op_pop(vm *m)
{
    if (m->n_marks && m->marks[m->n_marks - 1] == m->sp) {
        m->n_marks--; /* POP of a mark */
        return CS_OK;
    }
    return pop(m) ? CS_OK : m->err->status;
}

static cs_status step(vm *m, unsigned char op, bool *stop)
{
    switch (op) {
    case 0x80: /* PROTO */
        if (!need(m, 1))
            return m->err->status;
        m->pos++;
        return CS_OK;
    case 0x95: /* FRAME */
        if (!need(m, 8))
            return m->err->status;
        m->pos += 8;
        return CS_OK;
    case '.': *stop = true; return CS_OK;
    case '(': return op_mark(m);
    case '0': return op_pop(m);
    case '1': {
        int base = pop_mark(m);
        if (base < 0)
            return m->err->status;
        m->sp = base;
        return CS_OK;
    }
    case '2': {
        cs_pv *v = top(m);
        return v ? push(m, v) : m->err->status;
    }
    case 'N': return op_simple(m, CS_PV_NONE, 0);
    case 0x88: return op_simple(m, CS_PV_BOOL, 1);
    case 0x89: return op_simple(m, CS_PV_BOOL, 0);
    case 'I': return op_text_number(m, false);
    case 'L': return op_text_number(m, false);
    case 'F': return op_text_number(m, true);
    case 'J': return op_binint(m, 4, true);
    case 'K': return op_binint(m, 1, false);
    case 'M': return op_binint(m, 2, false);
    case 0x8a: return op_long(m, 1);
    case 0x8b: return op_long(m, 4);
    case 'G': return op_binfloat(m);
    case 'X': return op_str(m, 4);
    case 0x8c: return op_str(m, 1);
    case 0x8d: return op_str(m, 8);
    case 'T': return op_str(m, 4);
    case 'U': return op_str(m, 1);
    case 'B': return op_str(m, 4);
    case 'C': return op_str(m, 1);
    case 0x8e: return op_str(m, 8);
    case ')': return op_simple(m, CS_PV_TUPLE, 0);
    case 0x85: return op_tuple_n(m, 1);
    case 0x86: return op_tuple_n(m, 2);
    case 0x87: return op_tuple_n(m, 3);
    case 't': return op_collect(m, CS_PV_TUPLE);
    case ']': return op_simple(m, CS_PV_LIST, 0);
    case 'l': return op_collect(m, CS_PV_LIST);
    case 0x8f: return op_simple(m, CS_PV_LIST, 0); /* EMPTY_SET */
    case '}': return op_simple(m, CS_PV_DICT, 0);
    case 'd': return op_collect(m, CS_PV_DICT);
    case 0x91: return op_collect(m, CS_PV_LIST); /* FROZENSET */
    case 'a': return op_extend(m, m->sp - 1, false);
    case 'e': return op_extend_mark(m, false);
    case 0x90: return op_extend_mark(m, false); /* ADDITEMS */
    case 's': return op_extend(m, m->sp - 2, true);
    case 'u': return op_extend_mark(m, true);
    case 'c': return op_global(m);
    case 0x93: return op_stack_global(m);
    case 'R': return op_reduce(m);
    case 0x81: return op_newobj(m);
    case 'b': return op_build(m);
    case 'Q': return op_persid(m);
    case 'p': return op_text_memo(m, true);
    case 'g': return op_text_memo(m, false);
    case 'q': return op_memo(m, 1, true);
    case 'r': return op_memo(m, 4, true);
    case 'h': return op_memo(m, 1, false);
    case 'j': return op_memo(m, 4, false);
    case 0x94: return memo_put(m, m->memo_count);
    default: break;
    }
    char hex[8];
    snprintf(hex, sizeof hex, "0x%02x", op);
    return fail(m, "unsupported pickle opcode %s", hex);
}

cs_pv *cs_pickle_load(cs_pickle *p, const unsigned char *buf, size_t len, size_t *used,
                      const cs_pickle_opts *opts, const char *what, cs_error *err)
{
    cs_error local;
    vm m = {.p = p, .buf = buf, .len = len, .opts = opts, .what = what ? what : "pickle", .err = err ? err : &local};
    cs_error_clear(m.err);
    bool stop = false;
    cs_status st = CS_OK;
    while (!st && !stop) {
        if (m.pos >= m.len) {
            st = fail(&m, "pickle ends without STOP%s", NULL);
            break;
        }
        st = step(&m, m.buf[m.pos++], &stop);
    }
    cs_pv *result = NULL;
    if (!st) {
        if (m.sp != 1 || m.n_marks)
            fail(&m, "stack does not hold exactly one value at STOP%s", NULL);
        else
            result = m.stack[0];
    }
    if (used)
        *used = m.pos;
    free(m.stack);
    free(m.marks);
    free(m.memo);
    return result;
}

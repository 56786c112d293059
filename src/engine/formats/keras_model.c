/* keras_model.c — the Keras model topology: Sequential and Functional configs (Keras 2 and Keras 3
 * inbound_nodes), shared layers, nested models as layers (children linked to their parent layer). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras_internal.h"

#define KS_MAX_DEPTH 8
#define KS_MAX_OUT 8

typedef struct ks_call {
    int n;
    int v[KS_MAX_OUT];
} ks_call;

typedef struct ks_model ks_model;

typedef struct ks_lay {
    ks_layer_ctx lc;
    json_t *entry;         /* {"class_name", "config", "inbound_nodes"...} */
    ks_model *sub;         /* a nested model used as a layer */
    char vname[128];       /* Keras 3 weights path name: snake_case class name, numbered per class */
    bool is_input;
    ks_call *calls;        /* outputs per node, in this invocation of the enclosing model */
    int n_calls, cap_calls;
} ks_lay;

struct ks_model {
    ks_loader *ld;
    json_t *cfg;           /* the model's "config" */
    bool sequential;
    ks_lay *lays;
    int n;
    const char *chain[KS_MAX_DEPTH]; /* names of the enclosing model layers (for weight paths) */
    const char *vchain[KS_MAX_DEPTH]; /* their Keras 3 weights path names */
    int depth;
};

static cs_status model_fail(ks_loader *ld, cs_status st, const char *what, const char *why)
{
    return cs_error_set(ld->err, st, "%s: %s: %s", ld->path, what, why);
}

static void model_free(ks_model *m)
{
    for (int i = 0; m && i < m->n; i++) {
        ks_lay *L = &m->lays[i];
        for (int k = 0; k < L->lc.n_w; k++)
            cs_tensor_free(L->lc.w[k]);
        free(L->lc.w);
        free(L->lc.w_dtype);
        free(L->lc.w_val);
        free(L->calls);
        model_free(L->sub);
    }
    if (m)
        free(m->lays);
    free(m);
}

static bool is_model_class(const char *cls)
{
    return strcmp(cls, "Sequential") == 0 || strcmp(cls, "Functional") == 0 || strcmp(cls, "Model") == 0;
}

/* Copies the layer's scalar and int-list options into the source layer's attributes. */
static void copy_attrs(cs_attrs *a, json_t *cfg)
{
    const char *key;
    json_t *v;
    json_object_foreach(cfg, key, v) {
        if (json_is_integer(v) || json_is_boolean(v))
            cs_attrs_add_int(a, key, json_is_boolean(v) ? json_is_true(v) : json_integer_value(v));
        else if (json_is_real(v))
            cs_attrs_add_float(a, key, json_real_value(v));
        else if (json_is_string(v))
            cs_attrs_add_string(a, key, json_string_value(v));
        else if (json_is_array(v) && json_array_size(v) > 0 && json_array_size(v) <= 16) {
            int64_t ints[16];
            size_t n = json_array_size(v), k = 0;
            for (; k < n && json_is_integer(json_array_get(v, k)); k++)
                ints[k] = json_integer_value(json_array_get(v, k));
            if (k == n)
                cs_attrs_add_ints(a, key, ints, (int)n);
        }
    }
}

static cs_status model_setup(ks_loader *ld, json_t *cls_cfg, const char *cls, ks_model **out, const char **chain,
                             const char **vchain, int depth, int parent);

/* Keras's naming.to_snake_case: re.sub("(.)([A-Z][a-z]+)", r"\1_\2"), then re.sub("([a-z])([A-Z])", r"\1_\2"),
 * then lower(), after dropping non-word characters ("Conv2DTranspose" -> "conv2d_transpose"). */
static void snake_case(const char *cls, char *out, size_t cap)
{
    char a[128], b[256];
    size_t n = 0, m = 0;
    for (const char *p = cls; *p && n + 1 < sizeof a; p++)
        if (isalnum((unsigned char)*p) || *p == '_')
            a[n++] = *p;
    a[n] = 0;
    for (size_t i = 0; i < n && m + 3 < sizeof b;) {
        if (i + 2 < n + 1 && isupper((unsigned char)a[i + 1]) && islower((unsigned char)a[i + 2])) {
            b[m++] = a[i++];
            b[m++] = '_';
            b[m++] = a[i++];
            while (i < n && islower((unsigned char)a[i]) && m + 1 < sizeof b)
                b[m++] = a[i++];
        } else {
            b[m++] = a[i++];
        }
    }
    b[m] = 0;
    size_t k = 0;
    for (size_t i = 0; i < m && k + 3 < cap; i++) {
        out[k++] = (char)tolower((unsigned char)b[i]);
        if (islower((unsigned char)b[i]) && isupper((unsigned char)b[i + 1]))
            out[k++] = '_';
    }
    out[k] = 0;
}

/* Keras 3 saving_lib._save_container_state: a layer's weights live under its snake_case class name,
 * suffixed _1, _2... for later layers of the same class in the same model. */
static void v3_name(ks_model *m, int i, const char *cls)
{
    char base[96];
    int count = 0;
    snake_case(cls, base, sizeof base);
    for (int j = 0; j < i; j++) {
        char other[96];
        snake_case(m->lays[j].lc.cls, other, sizeof other);
        count += strcmp(other, base) == 0;
    }
    if (count == 0)
        snprintf(m->lays[i].vname, sizeof m->lays[i].vname, "%s", base);
    else
        snprintf(m->lays[i].vname, sizeof m->lays[i].vname, "%s_%d", base, count);
}

/* Creates the source layer for entry i, reads its weights (or sets up its nested model). */
static cs_status setup_layer(ks_model *m, int i, json_t *entry, int parent)
{
    ks_loader *ld = m->ld;
    ks_lay *L = &m->lays[i];
    json_t *cfg = json_object_get(entry, "config");
    const char *cls = json_string_value(json_object_get(entry, "class_name"));
    const char *name = json_string_value(json_object_get(cfg, "name"));
    if (!json_is_object(entry) || !cls || !json_is_object(cfg) || !name || !*name)
        return model_fail(ld, CS_ERR_FORMAT, "model_config", "a layer entry lacks class_name, config or name");
    L->entry = entry;
    L->is_input = strcmp(cls, "InputLayer") == 0;
    L->lc = (ks_layer_ctx){.ld = ld, .name = name, .cls = cls, .cfg = cfg,
                           .lw = {.g = ld->g, .layer = -1, .path = ld->path, .err = ld->err, .exact_names = true}};
    for (int k = 0; k < 8; k++)
        L->lc.cache[k] = -1;
    if (!L->is_input && !is_model_class(cls) && !ks_layer_emitter(cls))
        return cs_error_set(ld->err, CS_ERR_UNSUPPORTED, "%s: layer '%s': layer class '%s' is not supported",
                            ld->path, name, cls);
    if (cs_lower_layer(&L->lc.lw, name, cls, parent) != CS_OK)
        return ld->err->status;
    copy_attrs(&ld->g->layers[L->lc.lw.layer].attrs, cfg);
    if (m->depth + 1 > KS_MAX_DEPTH)
        return model_fail(ld, CS_ERR_UNSUPPORTED, name, "models nested too deeply");
    const char *chain[KS_MAX_DEPTH], *vchain[KS_MAX_DEPTH];
    memcpy(chain, m->chain, (size_t)m->depth * sizeof *chain);
    memcpy(vchain, m->vchain, (size_t)m->depth * sizeof *vchain);
    v3_name(m, i, cls);
    chain[m->depth] = name;
    vchain[m->depth] = L->vname;
    if (is_model_class(cls))
        return model_setup(ld, cfg, cls, &L->sub, chain, vchain, m->depth + 1, L->lc.lw.layer);
    cs_status st = ks_weights_read(ld, chain, vchain, m->depth + 1, &L->lc.w, &L->lc.w_dtype, &L->lc.n_w);
    if (st == CS_OK && !(L->lc.w_val = malloc((size_t)(L->lc.n_w + 1) * sizeof(int))))
        st = cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
    for (int k = 0; st == CS_OK && k < L->lc.n_w; k++)
        L->lc.w_val[k] = -1;
    return st;
}

static cs_status model_setup(ks_loader *ld, json_t *cfg, const char *cls, ks_model **out, const char **chain,
                             const char **vchain, int depth, int parent)
{
    ks_model *m = calloc(1, sizeof *m);
    *out = m;
    if (!m)
        return cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
    m->ld = ld;
    m->cfg = cfg;
    m->sequential = strcmp(cls, "Sequential") == 0;
    m->depth = depth;
    for (int i = 0; i < depth; i++) { /* the top model has no chain (NULL) */
        m->chain[i] = chain[i];
        m->vchain[i] = vchain[i];
    }
    json_t *layers = json_is_array(cfg) ? cfg : json_object_get(cfg, "layers");
    if (!json_is_array(layers) || json_array_size(layers) == 0 || json_array_size(layers) > 100000)
        return model_fail(ld, CS_ERR_FORMAT, "model_config", "the model has no list of layers");
    m->n = (int)json_array_size(layers);
    if (!(m->lays = calloc((size_t)m->n, sizeof *m->lays)))
        return cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
    cs_status st = CS_OK;
    for (int i = 0; st == CS_OK && i < m->n; i++)
        st = setup_layer(m, i, json_array_get(layers, (size_t)i), parent);
    for (int i = 0; st == CS_OK && i < m->n; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(m->lays[i].lc.name, m->lays[j].lc.name) == 0)
                return model_fail(ld, CS_ERR_FORMAT, m->lays[i].lc.name, "two layers have this name");
    return st;
}

static ks_lay *find_lay(ks_model *m, const char *name)
{
    for (int i = 0; name && i < m->n; i++)
        if (strcmp(m->lays[i].lc.name, name) == 0)
            return &m->lays[i];
    return NULL;
}

static cs_status push_call(ks_loader *ld, ks_lay *L, const int *outs, int n)
{
    if (L->n_calls == L->cap_calls) {
        int cap = L->cap_calls ? 2 * L->cap_calls : 4;
        ks_call *c = realloc(L->calls, (size_t)cap * sizeof *c);
        if (!c)
            return cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
        L->calls = c;
        L->cap_calls = cap;
    }
    ks_call *c = &L->calls[L->n_calls++];
    c->n = n;
    memcpy(c->v, outs, (size_t)n * sizeof *outs);
    for (int k = 0; k < n; k++)
        if (outs[k] >= 0 && !cs_layer_add_output(ld->g, L->lc.lw.layer, outs[k]))
            return cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
    return CS_OK;
}

static cs_status invoke_model(ks_model *m, const int *ins, int n_in, int *outs, int *n_out);

/* Names a layer call's output after the layer ("conv2d", "conv2d_call1") and fills in its layout. */
static void name_output(ks_loader *ld, ks_lay *L, int out, int in)
{
    cs_value *o = &ld->g->values[out];
    const cs_value *i = &ld->g->values[in];
    if (o->layout == CS_LAYOUT_UNKNOWN)
        o->layout = o->rank == i->rank ? i->layout : o->rank == 2 ? CS_LAYOUT_NC : CS_LAYOUT_UNKNOWN;
    char name[300];
    if (L->lc.call <= 1)
        snprintf(name, sizeof name, "%s", L->lc.name);
    else
        snprintf(name, sizeof name, "%s_call%d", L->lc.name, L->lc.call - 1);
    cs_graph_rename_value(ld->g, out, name);
}

/* One call of layer L on input values; records its outputs as L's next node. */
static cs_status call_layer(ks_model *m, ks_lay *L, const int *ins, int n_in)
{
    ks_loader *ld = m->ld;
    int outs[KS_MAX_OUT], n_out = 1;
    if (L->is_input) {
        outs[0] = ins[0];
        return push_call(ld, L, outs, 1);
    }
    if (L->sub) {
        cs_status st = invoke_model(L->sub, ins, n_in, outs, &n_out);
        return st == CS_OK ? push_call(ld, L, outs, n_out) : st;
    }
    ks_emit_fn fn = ks_layer_emitter(L->lc.cls);
    outs[0] = fn(&L->lc, ins, n_in);
    L->lc.call++;
    if (outs[0] < 0)
        return ld->err->status != CS_OK ? ld->err->status : cs_lower_fail(&L->lc.lw, CS_ERR_FORMAT, "cannot be built");
    for (int k = 0; k < n_in; k++)
        if (outs[0] == ins[k]) { /* a linear activation: give the layer its own output value */
            outs[0] = ks_node(&L->lc, "Identity", &ins[k], 1, ks_rank(&L->lc, ins[k]), ks_dims(&L->lc, ins[k]), NULL);
            if (outs[0] < 0)
                return ld->err->status;
            break;
        }
    name_output(ld, L, outs[0], ins[0]);
    return push_call(ld, L, outs, 1);
}

/* Resolves [layer, node, tensor] against the outputs produced so far; -2 when not yet available. */
static int resolve_ref(ks_model *m, const char *name, json_t *node, json_t *tensor)
{
    ks_lay *L = find_lay(m, name);
    int64_t ni = json_is_integer(node) ? json_integer_value(node) : -1;
    int64_t ti = json_is_integer(tensor) ? json_integer_value(tensor) : 0;
    if (!L || ni < 0 || ti < 0 || ti >= KS_MAX_OUT)
        return -1;
    if (ni >= L->n_calls)
        return -2;
    return ti < L->calls[ni].n ? L->calls[ni].v[ti] : -1;
}

/* Collects the keras_history references of a Keras 3 call's args, recursively. */
static int collect_v3(ks_model *m, json_t *x, int *ins, int *n, int depth)
{
    if (depth > 16)
        return -1;
    if (json_is_object(x)) {
        json_t *cfg = json_object_get(x, "config");
        json_t *h = json_object_get(cfg, "keras_history");
        const char *cn = json_string_value(json_object_get(x, "class_name"));
        if (cn && strcmp(cn, "__keras_tensor__") == 0) {
            if (!json_is_array(h) || json_array_size(h) != 3 || *n >= KS_MAX_CALL_IO)
                return -1;
            int v = resolve_ref(m, json_string_value(json_array_get(h, 0)), json_array_get(h, 1),
                                json_array_get(h, 2));
            if (v < 0)
                return v;
            ins[(*n)++] = v;
        }
        return 0;
    }
    for (size_t i = 0; json_is_array(x) && i < json_array_size(x); i++) {
        int r = collect_v3(m, json_array_get(x, i), ins, n, depth + 1);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Input values of inbound node `node`: 0 when all are available, -2 when some are not yet, -1 malformed. */
static int node_inputs(ks_model *m, json_t *node, int *ins, int *n)
{
    *n = 0;
    if (json_is_object(node))
        return collect_v3(m, json_object_get(node, "args"), ins, n, 0);
    if (!json_is_array(node) || json_array_size(node) == 0 || json_array_size(node) > KS_MAX_CALL_IO)
        return -1;
    for (size_t i = 0; i < json_array_size(node); i++) {
        json_t *ref = json_array_get(node, i);
        if (!json_is_array(ref) || json_array_size(ref) < 3)
            return -1;
        int v = resolve_ref(m, json_string_value(json_array_get(ref, 0)), json_array_get(ref, 1),
                            json_array_get(ref, 2));
        if (v < 0)
            return v;
        ins[(*n)++] = v;
    }
    return *n ? 0 : -1;
}

/* A ref list: [[name, node, tensor], ...] or a single [name, node, tensor]. */
static json_t *ref_at(json_t *list, size_t i, size_t *count)
{
    bool single = json_is_array(list) && json_is_string(json_array_get(list, 0));
    *count = single ? 1 : json_is_array(list) ? json_array_size(list) : 0;
    return single ? list : json_array_get(list, i);
}

static cs_status functional_io(ks_model *m, const int *ins, int n_in)
{
    size_t count;
    json_t *il = json_object_get(m->cfg, "input_layers");
    ref_at(il, 0, &count);
    if (count == 0 || (int)count != n_in)
        return model_fail(m->ld, CS_ERR_FORMAT, "model_config",
                          count == 0 ? "a functional model without input_layers" : "wrong number of model inputs");
    for (size_t i = 0; i < count; i++) {
        json_t *ref = ref_at(il, i, &count);
        ks_lay *L = find_lay(m, json_string_value(json_array_get(ref, 0)));
        if (!L || !L->is_input)
            return model_fail(m->ld, CS_ERR_FORMAT, "model_config", "input_layers names a layer that is no InputLayer");
        cs_status st = call_layer(m, L, &ins[i], 1);
        if (st != CS_OK)
            return st;
    }
    return CS_OK;
}

static cs_status run_functional(ks_model *m, const int *ins, int n_in, int *outs, int *n_out)
{
    cs_status st = functional_io(m, ins, n_in);
    for (bool progress = true; st == CS_OK && progress;) {
        progress = false;
        for (int i = 0; st == CS_OK && i < m->n; i++) {
            ks_lay *L = &m->lays[i];
            json_t *nodes = json_object_get(L->entry, "inbound_nodes");
            if (L->is_input || !json_is_array(nodes) || L->n_calls >= (int)json_array_size(nodes))
                continue;
            int cin[KS_MAX_CALL_IO], n;
            int r = node_inputs(m, json_array_get(nodes, (size_t)L->n_calls), cin, &n);
            if (r == -1)
                return cs_error_set(m->ld->err, CS_ERR_FORMAT, "%s: layer '%s': malformed inbound_nodes entry %d",
                                    m->ld->path, L->lc.name, L->n_calls);
            if (r == 0) {
                st = call_layer(m, L, cin, n);
                progress = true;
            }
        }
    }
    size_t count;
    json_t *ol = json_object_get(m->cfg, "output_layers");
    ref_at(ol, 0, &count);
    if (st == CS_OK && (count == 0 || count > KS_MAX_OUT))
        return model_fail(m->ld, CS_ERR_FORMAT, "model_config", "a functional model needs 1 to 8 output_layers");
    for (size_t i = 0; st == CS_OK && i < count; i++) {
        json_t *ref = ref_at(ol, i, &count);
        int v = resolve_ref(m, json_string_value(json_array_get(ref, 0)), json_array_get(ref, 1),
                            json_array_get(ref, 2));
        if (v < 0)
            return model_fail(m->ld, CS_ERR_FORMAT, "model_config",
                              "an output layer cannot be reached from the inputs (unresolvable inbound_nodes)");
        outs[i] = v;
    }
    *n_out = (int)count;
    return st;
}

static cs_status run_sequential(ks_model *m, const int *ins, int n_in, int *outs, int *n_out)
{
    if (n_in != 1)
        return model_fail(m->ld, CS_ERR_FORMAT, "model_config", "a Sequential model takes one input");
    int x = ins[0];
    cs_status st = CS_OK;
    for (int i = 0; st == CS_OK && i < m->n; i++) {
        ks_lay *L = &m->lays[i];
        if (L->is_input && i > 0)
            return model_fail(m->ld, CS_ERR_FORMAT, L->lc.name, "an InputLayer in the middle of a Sequential model");
        st = call_layer(m, L, &x, 1);
        if (st == CS_OK && L->calls[L->n_calls - 1].n != 1)
            return model_fail(m->ld, CS_ERR_FORMAT, L->lc.name, "a layer of a Sequential model must have one output");
        if (st == CS_OK)
            x = L->calls[L->n_calls - 1].v[0];
    }
    outs[0] = x;
    *n_out = 1;
    return st;
}

static cs_status invoke_model(ks_model *m, const int *ins, int n_in, int *outs, int *n_out)
{
    for (int i = 0; i < m->n; i++)
        m->lays[i].n_calls = 0; /* node indices are per invocation of this model */
    return m->sequential ? run_sequential(m, ins, n_in, outs, n_out) : run_functional(m, ins, n_in, outs, n_out);
}

/* ---- graph inputs ---- */

static cs_dtype dtype_of(const char *s)
{
    if (!s || strcmp(s, "float32") == 0)
        return CS_DT_F32;
    return strcmp(s, "int32") == 0 ? CS_DT_I32 : strcmp(s, "int64") == 0 ? CS_DT_I64 : CS_DT_UNDEFINED;
}

static bool any_channels_first(json_t *x, int depth)
{
    if (depth > 32)
        return false;
    const char *key;
    json_t *v;
    if (json_is_object(x)) {
        json_object_foreach(x, key, v) {
            if (strcmp(key, "data_format") == 0 && json_is_string(v) && strcmp(json_string_value(v), "channels_first") == 0)
                return true;
            if (any_channels_first(v, depth + 1))
                return true;
        }
    }
    for (size_t i = 0; json_is_array(x) && i < json_array_size(x); i++)
        if (any_channels_first(json_array_get(x, i), depth + 1))
            return true;
    return false;
}

/* Declares graph input `name` from a batch shape list ([null, 28, 28, 1]). */
static int add_input(ks_model *m, const char *name, json_t *shape, const char *dtype)
{
    ks_loader *ld = m->ld;
    size_t r = json_array_size(shape);
    if (!json_is_array(shape) || r < 1 || r > CS_MAX_RANK)
        return model_fail(ld, CS_ERR_FORMAT, name, "the input has no batch_input_shape / batch_shape"), -1;
    if (cs_graph_find_value(ld->g, name) >= 0)
        return model_fail(ld, CS_ERR_FORMAT, name, "two inputs have this name"), -1;
    int v = cs_graph_value(ld->g, name);
    if (v < 0 || !cs_graph_add_input(ld->g, v))
        return cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path), -1;
    cs_value *val = &ld->g->values[v];
    val->rank = (int)r;
    if ((val->dtype = dtype_of(dtype)) == CS_DT_UNDEFINED)
        return model_fail(ld, CS_ERR_UNSUPPORTED, name, "input dtype is not float32, int32 or int64"), -1;
    for (size_t i = 0; i < r; i++) {
        json_t *d = json_array_get(shape, i);
        if (!json_is_null(d) && (!json_is_integer(d) || json_integer_value(d) < 1 || json_integer_value(d) > (1 << 30)))
            return model_fail(ld, CS_ERR_FORMAT, name, "the input shape holds an invalid size"), -1;
        val->dims[i] = json_is_null(d) ? -1 : json_integer_value(d);
    }
    bool cf = any_channels_first(m->cfg, 0);
    val->layout = r == 4 ? (cf ? CS_LAYOUT_NCHW : CS_LAYOUT_NHWC) : r == 3 ? (cf ? CS_LAYOUT_NCW : CS_LAYOUT_NWC)
                  : r == 2 ? CS_LAYOUT_NC : CS_LAYOUT_UNKNOWN;
    return v;
}

static json_t *batch_shape(json_t *cfg)
{
    json_t *s = json_object_get(cfg, "batch_input_shape");
    return s ? s : json_object_get(cfg, "batch_shape");
}

static cs_status top_inputs(ks_model *m, int *ins, int *n)
{
    *n = 0;
    if (m->sequential) {
        ks_lay *L = &m->lays[0];
        json_t *s = batch_shape(L->lc.cfg);
        if (!s && json_is_object(m->cfg))
            s = json_object_get(m->cfg, "build_input_shape");
        char name[300];
        snprintf(name, sizeof name, L->is_input ? "%s" : "%s_input", L->lc.name);
        ins[0] = add_input(m, name, s, json_string_value(json_object_get(L->lc.cfg, "dtype")));
        *n = 1;
        return ins[0] < 0 ? m->ld->err->status : CS_OK;
    }
    size_t count;
    ref_at(json_object_get(m->cfg, "input_layers"), 0, &count);
    for (size_t i = 0; i < count && i < KS_MAX_OUT; i++) {
        json_t *ref = ref_at(json_object_get(m->cfg, "input_layers"), i, &count);
        ks_lay *L = find_lay(m, json_string_value(json_array_get(ref, 0)));
        if (!L || !L->is_input)
            return model_fail(m->ld, CS_ERR_FORMAT, "model_config", "input_layers names a layer that is no InputLayer");
        ins[i] = add_input(m, L->lc.name, batch_shape(L->lc.cfg), json_string_value(json_object_get(L->lc.cfg, "dtype")));
        if (ins[i] < 0)
            return m->ld->err->status;
        *n = (int)i + 1;
    }
    return CS_OK;
}

cs_status ks_build_model(ks_loader *ld, json_t *config)
{
    const char *cls = json_string_value(json_object_get(config, "class_name"));
    json_t *cfg = json_object_get(config, "config");
    if (!cls || !is_model_class(cls) || !(json_is_object(cfg) || json_is_array(cfg)))
        return model_fail(ld, CS_ERR_FORMAT, "model_config",
                          "the JSON is not a Keras model (expected class_name Sequential, Functional or Model)");
    ks_model *m = NULL;
    cs_status st = model_setup(ld, cfg, cls, &m, NULL, NULL, 0, -1);
    int ins[KS_MAX_OUT], outs[KS_MAX_OUT], n_in = 0, n_out = 0;
    if (st == CS_OK)
        st = top_inputs(m, ins, &n_in);
    if (st == CS_OK)
        st = invoke_model(m, ins, n_in, outs, &n_out);
    for (int i = 0; st == CS_OK && i < n_out; i++)
        if (!cs_graph_add_output(ld->g, outs[i]))
            st = cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
    model_free(m);
    return st;
}

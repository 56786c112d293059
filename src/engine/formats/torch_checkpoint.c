/* torch_checkpoint.c — torch.save checkpoints without code (a pickled nn.Module or a state_dict, zip or
 * the legacy pre-1.6 stream) as a weights-only graph: one layer per module with its named tensors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fileio.h"
#include "../graph.h"
#include "../model.h"
#include "pickle.h"
#include "torch_archive.h"

#define CKPT_MAX_DEPTH 64

typedef struct ckpt {
    cs_graph *g;
    const char *path;
    cs_error *err;
    const cs_pv **seen; /* containers already walked (open addressing), so memo-shared ones are walked once */
    size_t n_seen, cap_seen;
} ckpt;

/* True when container v was walked before (then it is skipped: its tensors are listed under their first name);
 * otherwise records it. *st is set when out of memory. */
static bool seen_before(ckpt *c, const cs_pv *v, cs_status *st)
{
    if (2 * (c->n_seen + 1) > c->cap_seen) {
        size_t cap = c->cap_seen ? 2 * c->cap_seen : 256;
        const cs_pv **a = calloc(cap, sizeof *a);
        if (!a) {
            *st = cs_error_set(c->err, CS_ERR_NOMEM, "%s: out of memory", c->path);
            return true;
        }
        for (size_t k = 0; k < c->cap_seen; k++)
            for (size_t h = ((uintptr_t)c->seen[k] >> 4) % cap; c->seen[k]; h = (h + 1) % cap)
                if (!a[h]) {
                    a[h] = c->seen[k];
                    break;
                }
        free(c->seen);
        c->seen = a;
        c->cap_seen = cap;
    }
    size_t h = ((uintptr_t)v >> 4) % c->cap_seen;
    for (; c->seen[h]; h = (h + 1) % c->cap_seen)
        if (c->seen[h] == v)
            return true;
    c->seen[h] = v;
    c->n_seen++;
    return false;
}

static bool name_is_buffer(const char *name)
{
    const char *dot = strrchr(name, '.');
    const char *leaf = dot ? dot + 1 : name;
    return strcmp(leaf, "running_mean") == 0 || strcmp(leaf, "running_var") == 0 ||
           strcmp(leaf, "num_batches_tracked") == 0;
}

static cs_layout weight_layout(const char *name, const cs_tensor *t)
{
    const char *dot = strrchr(name, '.');
    if (strcmp(dot ? dot + 1 : name, "weight") != 0)
        return CS_LAYOUT_UNKNOWN;
    return t->rank == 4 ? CS_LAYOUT_OIHW : t->rank == 2 ? CS_LAYOUT_OI : CS_LAYOUT_UNKNOWN;
}

static cs_status add_tensor(ckpt *c, int layer, const char *name, const cs_pv *v, bool buffer)
{
    cs_tensor *t = cs_pickle_tensor(v, name, c->err);
    if (!t) {
        cs_error_prefix(c->err, "%s: ", c->path);
        return c->err->status;
    }
    cs_layout lay = weight_layout(name, t);
    if (!cs_layer_add_weight(c->g, layer, name, t, lay, t->dtype))
        return cs_error_set(c->err, CS_ERR_NOMEM, "%s: out of memory", c->path);
    cs_layer *l = &c->g->layers[layer];
    l->weights[l->n_weights - 1].is_buffer = buffer;
    return CS_OK;
}

static void join(char *out, size_t cap, const char *prefix, const char *name)
{
    if (prefix && *prefix)
        snprintf(out, cap, "%s.%s", prefix, name);
    else
        snprintf(out, cap, "%s", name);
}

/* ---- pickled nn.Module objects ---- */

static cs_status walk_module(ckpt *c, const cs_pv *obj, const char *path, int parent, int depth);

static cs_status add_named_tensors(ckpt *c, int layer, const char *path, const cs_pv *dict, bool buffers)
{
    if (!dict || dict->kind != CS_PV_DICT)
        return CS_OK;
    for (int k = 0; k + 1 < dict->n; k += 2) {
        const cs_pv *key = dict->items[k], *v = dict->items[k + 1];
        if (key->kind != CS_PV_STR || v->kind != CS_PV_TENSOR)
            continue; /* None entries (bias=False) */
        char name[1024];
        join(name, sizeof name, path, key->s);
        cs_status st = add_tensor(c, layer, name, v, buffers);
        if (st)
            return st;
    }
    return CS_OK;
}

static cs_status walk_module(ckpt *c, const cs_pv *obj, const char *path, int parent, int depth)
{
    if (depth > CKPT_MAX_DEPTH)
        return cs_error_set(c->err, CS_ERR_FORMAT, "%s: modules nested deeper than %d", c->path, CKPT_MAX_DEPTH);
    cs_status again = CS_OK;
    if (seen_before(c, obj, &again))
        return again;
    const cs_pv *st = obj->state;
    const cs_pv *params = cs_pv_dict_get(st, "_parameters"), *bufs = cs_pv_dict_get(st, "_buffers");
    const cs_pv *mods = cs_pv_dict_get(st, "_modules");
    bool has_tensors = (params && params->n) || (bufs && bufs->n);
    int layer = parent;
    if (*path || has_tensors) {
        layer = cs_graph_add_layer(c->g, *path ? path : obj->name, obj->name, parent);
        if (layer < 0)
            return cs_error_set(c->err, CS_ERR_NOMEM, "%s: out of memory", c->path);
    }
    cs_status s = add_named_tensors(c, layer, path, params, false);
    if (!s)
        s = add_named_tensors(c, layer, path, bufs, true);
    for (int k = 0; !s && mods && mods->kind == CS_PV_DICT && k + 1 < mods->n; k += 2) {
        const cs_pv *key = mods->items[k], *child = mods->items[k + 1];
        if (key->kind != CS_PV_STR || child->kind != CS_PV_OBJECT)
            continue;
        char name[1024];
        join(name, sizeof name, path, key->s);
        s = walk_module(c, child, name, layer, depth + 1);
    }
    return s;
}

/* ---- state_dicts: flat "a.b.weight" names grouped into layers ---- */

static int find_layer(const cs_graph *g, const char *name)
{
    for (int i = g->n_layers - 1; i >= 0; i--)
        if (strcmp(g->layers[i].name, name) == 0)
            return i;
    return -1;
}

/* The layer for module path `mod` ("layer1.0.conv1"), creating containers for each prefix. */
static int layer_for(ckpt *c, const char *mod)
{
    int l = find_layer(c->g, mod);
    if (l >= 0)
        return l;
    int parent = -1;
    const char *dot = strrchr(mod, '.');
    if (dot) {
        char up[1024];
        snprintf(up, sizeof up, "%.*s", (int)(dot - mod), mod);
        parent = layer_for(c, up);
        if (parent < 0)
            return -1;
        if (strcmp(c->g->layers[parent].type, "params") == 0) {
            free(c->g->layers[parent].type);
            c->g->layers[parent].type = strdup("Module");
        }
    }
    return cs_graph_add_layer(c->g, mod, "params", parent);
}

/* Guesses a type for state_dict layers from their tensors' names and ranks. */
static void guess_type(cs_layer *l)
{
    if (strcmp(l->type, "params") != 0)
        return;
    const char *t = NULL;
    for (int k = 0; k < l->n_weights && !t; k++) {
        const char *dot = strrchr(l->weights[k].name, '.');
        const char *leaf = dot ? dot + 1 : l->weights[k].name;
        int r = l->weights[k].tensor->rank;
        if (strcmp(leaf, "running_mean") == 0)
            t = "BatchNorm";
        else if (strcmp(leaf, "weight") == 0)
            t = r == 4 ? "Conv2d" : r == 3 ? "Conv1d" : r == 2 ? "Linear" : NULL;
    }
    char *s = t ? strdup(t) : NULL;
    if (s) {
        free(l->type);
        l->type = s;
    }
}

static cs_status walk_dict(ckpt *c, const cs_pv *d, const char *prefix, int depth)
{
    if (depth > CKPT_MAX_DEPTH)
        return cs_error_set(c->err, CS_ERR_FORMAT, "%s: dicts nested deeper than %d", c->path, CKPT_MAX_DEPTH);
    cs_status again = CS_OK;
    if (seen_before(c, d, &again))
        return again;
    for (int k = 0; k + 1 < d->n; k += 2) {
        const cs_pv *key = d->items[k], *v = d->items[k + 1];
        if (key->kind != CS_PV_STR)
            continue;
        char name[1024];
        join(name, sizeof name, prefix, key->s);
        cs_status s = CS_OK;
        if (v->kind == CS_PV_TENSOR) {
            char mod[1024];
            const char *dot = strrchr(name, '.');
            snprintf(mod, sizeof mod, "%.*s", dot ? (int)(dot - name) : (int)strlen(name), name);
            int l = layer_for(c, mod);
            s = l < 0 ? cs_error_set(c->err, CS_ERR_NOMEM, "%s: out of memory", c->path)
                      : add_tensor(c, l, name, v, name_is_buffer(name));
        } else if (v->kind == CS_PV_DICT) {
            s = walk_dict(c, v, name, depth + 1);
        } else if (v->kind == CS_PV_OBJECT) {
            s = walk_module(c, v, name, -1, depth + 1);
        }
        if (s)
            return s;
    }
    return CS_OK;
}

static cs_status build(ckpt *c, const cs_pv *root)
{
    cs_status s;
    if (root->kind == CS_PV_OBJECT)
        s = walk_module(c, root, "", -1, 0);
    else if (root->kind == CS_PV_DICT)
        s = walk_dict(c, root, "", 0);
    else
        return cs_error_set(c->err, CS_ERR_UNSUPPORTED, "%s: checkpoint root is neither a module nor a dict", c->path);
    if (s)
        return s;
    for (int i = 0; i < c->g->n_layers; i++)
        guess_type(&c->g->layers[i]);
    if (c->g->n_layers == 0)
        return cs_error_set(c->err, CS_ERR_UNSUPPORTED, "%s: checkpoint holds no tensors", c->path);
    return CS_OK;
}

/* ---- the legacy (pre-1.6) stream: magic, protocol, sys_info, root, storage keys, storages ---- */

typedef struct legacy {
    const char *path;
    cs_pv **stor;
    int n, cap;
} legacy;

static cs_pv *legacy_persistent(void *user, cs_pickle *p, cs_pv *pid, cs_error *err)
{
    legacy *lg = user;
    cs_pv *s = cs_torch_storage_stub(p, pid, lg->path, err);
    if (!s)
        return NULL;
    for (int k = 0; k < lg->n; k++)
        if (strcmp(lg->stor[k]->s, s->s) == 0)
            return lg->stor[k]; /* the same storage seen again */
    if (lg->n == lg->cap) {
        int cap = lg->cap ? lg->cap * 2 : 16;
        cs_pv **a = realloc(lg->stor, (size_t)cap * sizeof *a);
        if (!a) {
            cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", lg->path);
            return NULL;
        }
        lg->stor = a;
        lg->cap = cap;
    }
    lg->stor[lg->n++] = s;
    return s;
}

static cs_status legacy_storages(legacy *lg, const unsigned char *buf, size_t len, size_t pos, const cs_pv *keys,
                                 cs_error *err)
{
    if (!keys || keys->kind != CS_PV_LIST)
        return cs_error_set(err, CS_ERR_FORMAT, "%s: legacy checkpoint without its storage key list", lg->path);
    for (int k = 0; k < keys->n; k++) {
        cs_pv *s = NULL;
        for (int j = 0; j < lg->n && !s; j++)
            if (cs_pv_is_str(keys->items[k], lg->stor[j]->s))
                s = lg->stor[j];
        if (!s)
            return cs_error_set(err, CS_ERR_FORMAT, "%s: legacy storage key %d names no storage", lg->path, k);
        if (len - pos < 8)
            return cs_error_set(err, CS_ERR_FORMAT, "%s: truncated legacy storage '%s'", lg->path, s->s);
        uint64_t numel = 0;
        for (int b = 0; b < 8; b++)
            numel |= (uint64_t)buf[pos + (size_t)b] << (8 * b);
        pos += 8;
        size_t es = cs_dtype_size(s->dtype);
        if (numel > (len - pos) / es || numel * es < s->nbytes)
            return cs_error_set(err, CS_ERR_FORMAT, "%s: legacy storage '%s' is shorter than it claims", lg->path,
                                s->s);
        if (s->bytes)
            return cs_error_set(err, CS_ERR_FORMAT, "%s: legacy storage '%s' listed twice", lg->path, s->s);
        s->nbytes = (size_t)numel * es;
        s->bytes = malloc(s->nbytes ? s->nbytes : 1);
        if (!s->bytes)
            return cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", lg->path);
        memcpy(s->bytes, buf + pos, s->nbytes);
        pos += s->nbytes;
    }
    return CS_OK;
}

static cs_pv *legacy_load(cs_pickle *pk, const char *path, cs_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0, pos = 0, used = 0;
    if (cs_read_file(path, (size_t)8 << 30, &buf, &len, err))
        return NULL;
    legacy lg = {.path = path};
    cs_pickle_opts plain = {.allow_user_classes = false};
    cs_pickle_opts main_opts = {.persistent = legacy_persistent, .user = &lg, .allow_user_classes = true};
    cs_pv *root = NULL, *v = NULL;
    for (int k = 0; k < 3; k++) { /* magic number, protocol version, system info */
        v = cs_pickle_load(pk, buf + pos, len - pos, &used, &plain, path, err);
        if (!v)
            goto out;
        pos += used;
        if (k == 0 && (v->kind != CS_PV_INT || v->len != 10 || (uint64_t)v->i != 0xa86a20f9469cfc6cULL)) {
            cs_error_set(err, CS_ERR_FORMAT, "%s: not a PyTorch file (no zip, no legacy magic number)", path);
            goto out;
        }
    }
    root = cs_pickle_load(pk, buf + pos, len - pos, &used, &main_opts, path, err);
    if (!root)
        goto out;
    pos += used;
    v = cs_pickle_load(pk, buf + pos, len - pos, &used, &plain, path, err);
    if (!v || legacy_storages(&lg, buf, len, pos + used, v, err))
        root = NULL;
out:
    free(lg.stor);
    free(buf);
    return root;
}

static bool is_zip(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char m[4] = {0};
    bool z = f && fread(m, 1, 4, f) == 4 && m[0] == 'P' && m[1] == 'K' && m[2] == 3 && m[3] == 4;
    if (f)
        fclose(f);
    return z;
}

cs_status cs_torch_checkpoint_load(const char *path, cs_graph **out, cs_error *err)
{
    *out = NULL;
    cs_torch_archive a = {0};
    cs_pickle *legacy_pk = NULL;
    cs_pv *root;
    if (is_zip(path)) {
        if (cs_torch_archive_open(&a, path, "data.pkl", err))
            return err->status;
        root = cs_torch_archive_pickle(&a, "data.pkl", "data", true, err);
    } else {
        legacy_pk = cs_pickle_new();
        root = legacy_pk ? legacy_load(legacy_pk, path, err) : NULL;
        if (!legacy_pk)
            cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", path);
    }
    cs_status s = root ? CS_OK : err->status;
    cs_graph *g = NULL;
    if (!s) {
        g = cs_graph_new(path, "torch");
        if (!g)
            s = cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", path);
    }
    if (!s) {
        g->weights_only = true;
        ckpt c = {.g = g, .path = path, .err = err};
        s = build(&c, root);
        free(c.seen);
        if (!s && root->kind == CS_PV_OBJECT) {
            char prod[300];
            snprintf(prod, sizeof prod, "torch.save of %s.%s", root->module, root->name);
            cs_graph_set_producer(g, prod);
        }
    }
    cs_torch_archive_close(&a);
    cs_pickle_free(legacy_pk);
    if (s) {
        cs_graph_free(g);
        return s;
    }
    *out = g;
    return CS_OK;
}

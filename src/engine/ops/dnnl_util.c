/* dnnl_util.c — oneDNN plumbing (see dnnl_util.h): one engine, a stream and scratch buffers per thread (freed
 * when the thread ends, one of them every primitive's scratchpad), reorders, packing, the primitive cache, sgemm. */
#include "dnnl_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_backend.h"
#include "fastpath.h"

static dnnl_engine_t engine;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;

static void engine_init(void)
{
    /* oneDNN's ITT task instrumentation (for VTune) costs a few percent per primitive call: off unless asked */
    setenv("ONEDNN_ITT_TASK_LEVEL", "0", 0);
    setenv("DNNL_ITT_TASK_LEVEL", "0", 0);
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success)
        engine = NULL;
}

dnnl_engine_t cs_dnnl_engine(void)
{
    pthread_once(&engine_once, engine_init);
    return engine;
}

/* ---- per-thread state ---- */

#define SCRATCHPAD_SLOT 2 /* the slot passed to primitives as their scratchpad (DNNL_ARG_SCRATCHPAD) */

typedef struct thread_state {
    dnnl_stream_t stream;
    void *scratch[3];
    size_t scratch_size[3];
} thread_state;

static pthread_key_t state_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void state_free(void *p)
{
    thread_state *ts = p;
    if (ts->stream)
        dnnl_stream_destroy(ts->stream);
    for (int i = 0; i < 3; i++)
        free(ts->scratch[i]);
    free(ts);
}

/* At exit the main thread's state is freed too, so leak checkers see nothing held. */
static void main_state_free(void)
{
    thread_state *ts = pthread_getspecific(state_key);
    if (ts) {
        pthread_setspecific(state_key, NULL);
        state_free(ts);
    }
}

static void key_init(void)
{
    pthread_key_create(&state_key, state_free);
    atexit(main_state_free);
}

static thread_state *state(void)
{
    pthread_once(&key_once, key_init);
    thread_state *ts = pthread_getspecific(state_key);
    if (!ts && (ts = calloc(1, sizeof *ts)) != NULL && pthread_setspecific(state_key, ts) != 0) {
        free(ts);
        ts = NULL;
    }
    if (ts && !ts->stream && cs_dnnl_engine() &&
        dnnl_stream_create(&ts->stream, cs_dnnl_engine(), dnnl_stream_default_flags) != dnnl_success)
        ts->stream = NULL;
    return ts;
}

dnnl_primitive_attr_t cs_dnnl_attr_new(void)
{
    dnnl_primitive_attr_t attr = NULL;
    if (dnnl_primitive_attr_create(&attr) != dnnl_success)
        return NULL;
    if (dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) != dnnl_success) {
        dnnl_primitive_attr_destroy(attr);
        return NULL;
    }
    return attr;
}

/* The primitive's scratchpad in the calling thread's scratch slot: *mem stays NULL when it needs none. */
static bool scratchpad_for(dnnl_primitive_t prim, dnnl_memory_t *mem)
{
    const_dnnl_primitive_desc_t pd = NULL;
    *mem = NULL;
    if (dnnl_primitive_get_primitive_desc(prim, &pd) != dnnl_success)
        return false;
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    size_t bytes = md ? dnnl_memory_desc_get_size(md) : 0;
    if (bytes == 0)
        return true;
    void *buf = cs_dnnl_scratch(SCRATCHPAD_SLOT, bytes);
    return buf && dnnl_memory_create(mem, md, cs_dnnl_engine(), buf) == dnnl_success;
}

bool cs_dnnl_execute(dnnl_primitive_t prim, int nargs, const dnnl_exec_arg_t *args)
{
    thread_state *ts = state();
    dnnl_exec_arg_t all[CS_DNNL_MAX_ARGS + 1];
    dnnl_memory_t pad = NULL;
    if (!ts || !ts->stream || nargs > CS_DNNL_MAX_ARGS || !scratchpad_for(prim, &pad))
        return false;
    memcpy(all, args, (size_t)nargs * sizeof *args);
    if (pad)
        all[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, pad};
    cs_threads_apply();
    bool ok = dnnl_primitive_execute(prim, ts->stream, nargs, all) == dnnl_success &&
              dnnl_stream_wait(ts->stream) == dnnl_success;
    dnnl_memory_destroy(pad);
    return ok;
}

void *cs_dnnl_scratch(int slot, size_t bytes)
{
    thread_state *ts = state();
    if (!ts)
        return NULL;
    if (ts->scratch_size[slot] < bytes) {
        free(ts->scratch[slot]);
        ts->scratch_size[slot] = 0;
        size_t size = (bytes + 63) / 64 * 64;
        if (!(ts->scratch[slot] = aligned_alloc(64, size)))
            return NULL;
        ts->scratch_size[slot] = size;
    }
    return ts->scratch[slot];
}

/* ---- reorders and packing ---- */

bool cs_dnnl_reorder_prim(const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to, dnnl_primitive_t *out)
{
    dnnl_primitive_desc_t pd;
    *out = NULL;
    dnnl_primitive_attr_t attr = cs_dnnl_engine() ? cs_dnnl_attr_new() : NULL;
    bool ok = attr && dnnl_reorder_primitive_desc_create(&pd, from, cs_dnnl_engine(), to, cs_dnnl_engine(), attr) ==
                          dnnl_success;
    dnnl_primitive_attr_destroy(attr);
    if (!ok)
        return false;
    ok = dnnl_primitive_create(out, pd) == dnnl_success;
    dnnl_primitive_desc_destroy(pd);
    return ok;
}

bool cs_dnnl_reorder_run(dnnl_primitive_t r, const dnnl_memory_desc_t *from, const void *src,
                         const dnnl_memory_desc_t *to, void *dst)
{
    dnnl_memory_t ms = NULL, md = NULL;
    bool ok = dnnl_memory_create(&ms, from, cs_dnnl_engine(), (void *)src) == dnnl_success &&
              dnnl_memory_create(&md, to, cs_dnnl_engine(), dst) == dnnl_success;
    if (ok) {
        dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, ms}, {DNNL_ARG_TO, md}};
        ok = cs_dnnl_execute(r, 2, args);
    }
    dnnl_memory_destroy(ms);
    dnnl_memory_destroy(md);
    return ok;
}

bool cs_dnnl_pack(const dnnl_memory_desc_t *from, const void *data, const dnnl_memory_desc_t *to, dnnl_memory_t *out)
{
    *out = NULL;
    size_t bytes = to ? dnnl_memory_desc_get_size(to) : 0;
    /* every run streams the packed weights once (ResNet-50: 95 MB): in huge pages a batch-1 run on one thread
     * was about 1.5% faster */
    void *dst = to ? cs_alloc_huge(bytes) : NULL;
    if (!dst || dnnl_memory_create(out, to, cs_dnnl_engine(), dst) != dnnl_success) {
        free(dst);
        return false;
    }
    dnnl_primitive_t r = NULL;
    bool ok = cs_dnnl_reorder_prim(from, to, &r) && cs_dnnl_reorder_run(r, from, data, to, dst);
    dnnl_primitive_destroy(r);
    if (!ok) {
        cs_dnnl_pack_free(*out);
        *out = NULL;
    }
    return ok;
}

void cs_dnnl_pack_free(dnnl_memory_t packed)
{
    void *data = NULL;
    if (packed && dnnl_memory_get_data_handle(packed, &data) != dnnl_success)
        data = NULL;
    dnnl_memory_destroy(packed);
    free(data);
}

const cs_tensor *cs_dnnl_const_input(const cs_graph *g, const cs_node *n, int i)
{
    int v = cs_graph_skip_identity(g, i < n->n_inputs ? n->inputs[i] : -1);
    return v >= 0 ? g->values[v].data : NULL;
}

bool cs_dnnl_act_alg(cs_act_kind act, float alpha, float beta, dnnl_alg_kind_t *alg, float *a, float *b)
{
    *a = 0, *b = 0;
    switch (act) {
    case CS_ACT_RELU: *alg = dnnl_eltwise_relu, *a = alpha; return true;
    case CS_ACT_CLIP: *alg = dnnl_eltwise_clip_v2, *a = alpha, *b = beta; return true;
    case CS_ACT_SILU: *alg = dnnl_eltwise_swish, *a = 1.0f; return true;
    case CS_ACT_HARDSWISH: *alg = dnnl_eltwise_hardswish; return true;
    case CS_ACT_GELU: *alg = dnnl_eltwise_gelu_erf; return true;
    case CS_ACT_SIGMOID: *alg = dnnl_eltwise_logistic; return true;
    case CS_ACT_TANH: *alg = dnnl_eltwise_tanh; return true;
    default: return false;
    }
}

/* ---- the cache ---- */

typedef struct cache_item {
    void *entry;
    void (*free_fn)(void *);
    struct cache_item *next;
} cache_item;

/* A queue in the order of use: a hit moves its item to the tail, so the runs of a plan, which ask for the
 * same entries in the same order every time, find each one at the head. */
struct cs_dnnl_cache {
    pthread_mutex_t mu;
    cache_item *head, *tail;
    _Atomic size_t packed_bytes; /* weights packed for this plan (each copy once) */
};

void cs_dnnl_cache_count_packed(cs_dnnl_cache *c, size_t bytes)
{
    if (c)
        atomic_fetch_add(&c->packed_bytes, bytes);
}

size_t cs_dnnl_cache_packed_bytes(const cs_dnnl_cache *c)
{
    return c ? atomic_load(&((cs_dnnl_cache *)c)->packed_bytes) : 0;
}

cs_dnnl_cache *cs_dnnl_cache_new(void)
{
    cs_dnnl_cache *c = calloc(1, sizeof *c);
    if (c)
        pthread_mutex_init(&c->mu, NULL);
    return c;
}

void cs_dnnl_cache_free(cs_dnnl_cache *c)
{
    if (!c)
        return;
    for (cache_item *it = c->head, *next; it; it = next) {
        next = it->next;
        it->free_fn(it->entry);
        free(it);
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void *cs_dnnl_cache_get(cs_dnnl_cache *c, const void *key, bool (*match)(const void *entry, const void *key),
                        void (*free_fn)(void *))
{
    if (!c)
        return NULL;
    void *found = NULL;
    pthread_mutex_lock(&c->mu);
    for (cache_item *it = c->head, *prev = NULL; it; prev = it, it = it->next) {
        if (it->free_fn != free_fn || !match(it->entry, key))
            continue;
        found = it->entry;
        if (it != c->tail) { /* to the tail */
            if (prev)
                prev->next = it->next;
            else
                c->head = it->next;
            it->next = NULL;
            c->tail->next = it;
            c->tail = it;
        }
        break;
    }
    pthread_mutex_unlock(&c->mu);
    return found;
}

bool cs_dnnl_cache_put(cs_dnnl_cache *c, void *entry, void (*free_fn)(void *))
{
    cache_item *it = c ? malloc(sizeof *it) : NULL;
    if (!it)
        return false;
    it->entry = entry;
    it->free_fn = free_fn;
    it->next = NULL;
    pthread_mutex_lock(&c->mu);
    if (c->tail)
        c->tail->next = it;
    else
        c->head = it;
    c->tail = it;
    pthread_mutex_unlock(&c->mu);
    return true;
}

/* ---- GEMM ---- */

void cs_dnnl_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                   int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc)
{
    cs_threads_apply();
    dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

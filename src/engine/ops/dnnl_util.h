/* dnnl_util.h — plumbing shared by the oneDNN kernels: the engine, a stream and scratch buffers per
 * thread, reorders, weight packing, the primitive cache and activation kinds as oneDNN algorithms. */
#ifndef CS_DNNL_UTIL_H
#define CS_DNNL_UTIL_H

#include <oneapi/dnnl/dnnl.h>
#include <stdbool.h>
#include <stddef.h>

#include "fusion.h"
#include "../graph.h"

struct cs_dnnl_cache;

/* The process's CPU engine (created once). */
dnnl_engine_t cs_dnnl_engine(void);
/* Attributes every primitive is made with: a scratchpad the caller provides (dnnl_scratchpad_mode_user), so
 * that threads running primitives at the same time never share one. Debian's oneDNN keeps the library-managed
 * scratchpad common to all primitives (its ONEDNN_ENABLE_CONCURRENT_EXEC is off): two sub-batches run at once
 * corrupted each other's convolutions through it. NULL when out of memory; free with dnnl_primitive_attr_destroy. */
dnnl_primitive_attr_t cs_dnnl_attr_new(void);
/* Executes prim on the calling thread's stream and waits, its scratchpad in the calling thread's own buffer;
 * applies the thread count first. At most CS_DNNL_MAX_ARGS arguments. */
#define CS_DNNL_MAX_ARGS 8
bool cs_dnnl_execute(dnnl_primitive_t prim, int nargs, const dnnl_exec_arg_t *args);
/* A per-thread scratch buffer (slot 0 or 1) of at least bytes, 64-byte aligned; NULL when out of memory. */
void *cs_dnnl_scratch(int slot, size_t bytes);

/* A reorder primitive from one layout to another. */
bool cs_dnnl_reorder_prim(const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to, dnnl_primitive_t *out);
/* Runs a reorder prepared by cs_dnnl_reorder_prim between two buffers. */
bool cs_dnnl_reorder_run(dnnl_primitive_t r, const dnnl_memory_desc_t *from, const void *src,
                         const dnnl_memory_desc_t *to, void *dst);
/* A new memory in layout `to` holding data (layout `from`), reordered once: packed weights, in memory backed by
 * transparent huge pages where it spans them. Free with cs_dnnl_pack_free (the memory owns no buffer). */
bool cs_dnnl_pack(const dnnl_memory_desc_t *from, const void *data, const dnnl_memory_desc_t *to, dnnl_memory_t *out);
void cs_dnnl_pack_free(dnnl_memory_t packed);
/* The graph constant behind n's input i, looked up through Identity nodes (exporters share initializers that way),
 * or NULL when the input is computed: weights the fast kernels pack once must be such constants. */
const cs_tensor *cs_dnnl_const_input(const cs_graph *g, const cs_node *n, int i);

/* oneDNN's eltwise algorithm and parameters for an activation; false when it has none. */
bool cs_dnnl_act_alg(cs_act_kind act, float alpha, float beta, dnnl_alg_kind_t *alg, float *a, float *b);

/* The entry put with free_fn (its kind) for which match(entry, key) holds, or NULL; cache may be NULL (a miss). */
void *cs_dnnl_cache_get(struct cs_dnnl_cache *c, const void *key, bool (*match)(const void *entry, const void *key),
                        void (*free_fn)(void *));
/* Counts bytes of weights packed for the cache's plan (see cs_dnnl_cache_packed_bytes). */
void cs_dnnl_cache_count_packed(struct cs_dnnl_cache *c, size_t bytes);
/* Adds an entry (owned, freed by free_fn with the cache); false when cache is NULL (the caller keeps it). */
bool cs_dnnl_cache_put(struct cs_dnnl_cache *c, void *entry, void (*free_fn)(void *));

#endif

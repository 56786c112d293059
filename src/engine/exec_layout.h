/* exec_layout.h — channels-last values (rank 4, logical N,C,H,W stored as N,H,W,C) that fast convolutions
 * produce and consume: which ops take them unconverted, views for elementwise ops, conversion back. */
#ifndef CS_EXEC_LAYOUT_H
#define CS_EXEC_LAYOUT_H

#include <stdbool.h>

#include "graph.h"
#include "tensor.h"

struct cs_bufpool;

typedef enum {
    CS_USE_CANONICAL = 0, /* needs row-major inputs */
    CS_USE_CONV,          /* input 0 and a fused residual may be channels-last */
    CS_USE_UNARY,         /* elementwise on input 0: the output keeps its layout */
    CS_USE_BINARY,        /* elementwise with broadcasting: through N,H,W,C views */
    CS_USE_GAP,           /* GlobalAveragePool: reduced directly */
    CS_USE_POOL           /* MaxPool/AveragePool: oneDNN pooling reads it (ops/dnnl_pool.c) */
} cs_layout_use;

cs_layout_use cs_layout_use_of(const cs_node *n);
/* True when t's channels-last bytes equal its canonical bytes. */
bool cs_layout_trivial(const cs_tensor *t);
/* A row-major copy of channels-last t (from pool); NULL with err set on failure. */
cs_tensor *cs_layout_to_canonical(struct cs_bufpool *pool, const cs_tensor *t, cs_error *err);
/* Views of a and b (at least one channels-last) under which numpy broadcasting computes the channels-last
 * result as N,H,W,C; false when no such views exist. */
bool cs_layout_binary_views(const cs_tensor *a, bool a_nhwc, const cs_tensor *b, bool b_nhwc, cs_tensor *va,
                            cs_tensor *vb);
/* Turns a result computed as N,H,W,C back into logical N,C,H,W dims (channels-last storage). */
void cs_layout_relabel(cs_tensor *t);
/* GlobalAveragePool of channels-last f32 x into a new [N,C,1,1]; NULL when x is not f32 rank 4 or on failure. */
cs_tensor *cs_layout_gap(struct cs_bufpool *pool, const cs_tensor *x, cs_error *err);
/* Whether x * s is channels-last f32 x [N,C,H,W] times one f32 factor per channel (s: [N or 1, C, 1, 1] or
 * [C, 1, 1]), as squeeze-and-excitation blocks scale their features. */
bool cs_layout_scale_fits(const cs_tensor *x, const cs_tensor *s);
/* y = x * s for such a pair (cs_layout_scale_fits), y channels-last like x, of x's shape; y may be x itself. */
void cs_layout_scale_channels(const cs_tensor *x, const cs_tensor *s, cs_tensor *y);

#endif

/* canon.h — one attribute vocabulary for every format: reads a layer group's IR nodes (which every reader
 * lowers to ONNX ops) and names their attributes canonically, with defaults filled in, pads resolved from
 * auto_pad for the actual input shape, constant-input attributes (Clip bounds, Pad pads) read, and the
 * attributes of decompositions (LayerNorm eps from its Add constant, GELU's form) recovered from the pattern.
 * Per-dimension attributes (Softmax/Concat/Hardmax axis, reduction axes, Pad pads) are stated in channels-first
 * order: a node that runs channels-last (Keras, its input NHWC or NWC) has them translated, so a Keras softmax
 * over its last axis and an ONNX one over axis 1 compare equal. */
#ifndef CS_DIFF_CANON_H
#define CS_DIFF_CANON_H

#include <stdbool.h>

#include "../graph.h"

#define CS_CANON_MAX 24
#define CS_CANON_VALS 8

typedef struct cs_canon_attr {
    char name[32];       /* canonical name: kernel_shape, strides, pads, epsilon, min, axis, ... */
    char native[48];     /* how the IR carries it when that differs ("Add constant", "input 1") */
    int node;            /* IR node carrying it (-1 none) */
    int input;           /* >= 0: it is that constant input of the node, not an attribute */
    bool is_string;
    char s[40];
    int count;           /* number of values in v (1 for a scalar) */
    double v[CS_CANON_VALS];
    int cl_rank;         /* > 0: a per-dimension attribute (axis, axes, Pad pads) of a node running channels-last
                            (NHWC, NWC), stated in channels-first order (NCHW) for a tensor of this rank */
} cs_canon_attr;

typedef struct cs_canon {
    cs_canon_attr items[CS_CANON_MAX];
    int n;
} cs_canon;

/* Canonical attributes of the IR nodes of `layers` (first occurrence of each name wins). `vals` (may be NULL)
 * holds runtime tensors by value index: computed inputs (a Pad's pads) and input shapes (auto_pad, axis sign). */
void cs_canon_collect(const cs_graph *g, const int *layers, int n, cs_tensor *const *vals, cs_canon *out);
const cs_canon_attr *cs_canon_find(const cs_canon *c, const char *name);
bool cs_canon_equal(const cs_canon_attr *a, const cs_canon_attr *b);
/* "[2,2,2,2]", "0.001", "tanh" */
const char *cs_canon_str(const cs_canon_attr *a, char *buf, size_t size);
/* The canonical name of a format-native attribute name (kernel_size -> kernel_shape, eps -> epsilon), or the
 * name itself when it is already canonical. */
const char *cs_canon_name(const char *native);

/* `v` (a value for canonical attribute `ca`) in the node's own terms: a channels-first axis, axes or pads turned
 * back into the channels-last order the node runs in (a copy otherwise). */
void cs_canon_to_native(const cs_canon_attr *ca, const cs_canon_attr *v, cs_canon_attr *native);

/* True when the value is the op's default, filled in because the layer does not state it. */
bool cs_canon_is_default(const cs_graph *g, const cs_canon_attr *a);

/* The format-native name under which `native` (a layer's attributes as written) holds canonical attribute
 * `canon` when it names it differently ("padding" for pads), else NULL. */
const char *cs_canon_native_name(const cs_attrs *native, const char *canon);

#endif

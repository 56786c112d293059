/* lower.h — the lowering kit the readers share: one context (graph, current layer, source place, error) and
 * the few things every reader does to it — IR nodes linked to the layer, constants, a transpose, weight refs,
 * and failing with "PATH: PLACE: reason". CoreML and Keras build their graphs through it. */
#ifndef CS_FORMATS_LOWER_H
#define CS_FORMATS_LOWER_H

#include <stdbool.h>
#include <stdint.h>

#include "../graph.h"
#include "../status.h"
#include "../tensor.h"

typedef struct cs_lower {
    cs_graph *g;             /* the graph being built */
    int layer;               /* the layer receiving nodes, constants' names and weights; -1 none */
    const char *path;        /* the source file, for messages */
    char where[300];         /* the source place ("layer 'conv1' (convolution)"), "" none */
    cs_error *err;
    /* naming, as each format's users have always seen it: */
    bool exact_names;        /* constants are "LAYER/hint" when that name is free (else a fresh suffix) */
    bool layer_names_first;  /* a layer's first node carries the layer's name; later ones "LAYER/op_K"
                                with K the node's position in the layer (else K is its graph index) */
} cs_lower;

/* Sets the error to "PATH: PLACE: reason" ("PATH: reason" without a place) and returns st. */
cs_status cs_lower_fail(const cs_lower *lw, cs_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
cs_status cs_lower_nomem(const cs_lower *lw);

/* Appends a layer (parent -1 at top level), makes it current and names the place after it. */
cs_status cs_lower_layer(cs_lower *lw, const char *name, const char *type, int parent);
/* Makes an existing layer current (its place "layer 'NAME' (TYPE)"); -1: none. */
void cs_lower_enter(cs_lower *lw, int layer);

/* A new value with a unique name from "LAYER/hint"; -1 on failure (error set). */
int cs_lower_tmp(cs_lower *lw, const char *hint);
/* A constant value owning t (freed on failure; NULL t: -1 with the error already set by its maker). */
int cs_lower_const(cs_lower *lw, const char *hint, cs_tensor *t);
int cs_lower_const_i64(cs_lower *lw, const char *hint, const int64_t *v, int n);      /* rank 1 */
int cs_lower_const_f32(cs_lower *lw, const char *hint, const float *v, int rank, const int64_t *dims);
int cs_lower_const_scalar(cs_lower *lw, const char *hint, float v);                   /* rank 0 */

/* Appends node op (default domain) reading ins and writing outs (-1: absent), linked to the current layer;
 * returns the node index or -1. Fails on an input index below -1 or an output already produced. */
int cs_lower_node(cs_lower *lw, const char *op, const int *ins, int n_ins, const int *outs, int n_outs);
/* The same in another domain ("convscope" for the tool's own ops). */
int cs_lower_node_in(cs_lower *lw, const char *domain, const char *op, const int *ins, int n_ins, const int *outs,
                     int n_outs);
int cs_lower_node1(cs_lower *lw, const char *op, int in, int out);
/* A node with one new output value named after the layer; returns the value (-1 on failure), *node its node. */
int cs_lower_op(cs_lower *lw, const char *domain, const char *op, const int *ins, int n_ins, int *node);
cs_attrs *cs_lower_attrs(cs_lower *lw, int node);

/* Declares node's outputs' dtype and shape from its inputs' through the op's infer (ops/ops.h), so a reader
 * need not compute them; an op without infer leaves them as they are (CS_OK). A shape the op rejects fails. */
cs_status cs_lower_infer(cs_lower *lw, int node);

/* v transposed by perm (rank entries); the output's declared shape comes from Transpose's infer. */
int cs_lower_transpose(cs_lower *lw, int v, const int *perm, int rank);

/* Records constant `value` as the current layer's weight `name` in the source's layout; stored: the
 * precision in the file (0: as the value holds it). */
cs_status cs_lower_weight_ref(cs_lower *lw, const char *name, int value, cs_layout layout, cs_dtype stored);

#endif

/* kind.h — what a source layer does, in format-neutral terms (a Keras Conv2D, a PyTorch Conv2d,
 * an ONNX Conv and a CoreML convolution are all CS_KIND_CONV), so layers can be matched across formats. */
#ifndef CS_DIFF_KIND_H
#define CS_DIFF_KIND_H

#include <stdbool.h>

#include "../graph.h"

typedef enum {
    CS_KIND_OTHER = 0,
    CS_KIND_CONV,
    CS_KIND_DECONV,
    CS_KIND_DENSE,
    CS_KIND_BN,
    CS_KIND_NORM,      /* layer/instance/l2 normalisation, LRN */
    CS_KIND_ACT,       /* element-wise activation (sub-kind in cs_layer_act_name) */
    CS_KIND_SOFTMAX,
    CS_KIND_MAXPOOL,
    CS_KIND_AVGPOOL,
    CS_KIND_GLOBALPOOL,
    CS_KIND_RESHAPE,   /* flatten, reshape, view, squeeze */
    CS_KIND_TRANSPOSE,
    CS_KIND_ADD,
    CS_KIND_MUL,
    CS_KIND_CONCAT,
    CS_KIND_PAD,
    CS_KIND_UPSAMPLE,
    CS_KIND_IDENTITY,  /* dropout, identity: nothing at inference */
    CS_KIND_SHAPEOP,   /* shape arithmetic: Shape, Gather on shapes, Constant, Unsqueeze, Cast */
    CS_KIND_PREPROC,   /* a model's own input preprocessing */
    CS_KIND_CONTAINER, /* a block holding other layers (no nodes of its own) */
    CS_KIND_COUNT
} cs_layer_kind;

cs_layer_kind cs_layer_kind_of(const cs_graph *g, int layer);
const char *cs_layer_kind_name(cs_layer_kind kind);
/* For CS_KIND_ACT and fused activations: "relu", "sigmoid", ... ("" when none). */
const char *cs_layer_act_name(const cs_graph *g, int layer);
/* Kinds that two matched layers may have. */
bool cs_kinds_compatible(cs_layer_kind a, cs_layer_kind b);
/* An operation a faulty converter may put in another's place: a residual add kept as an identity.
 * Such layers may pair only weakly, by order. */
bool cs_kinds_swapped(cs_layer_kind a, cs_layer_kind b);
/* Two different activations of one family (relu, relu6, clip, hardtanh, leakyrelu, prelu, elu...). */
bool cs_acts_related(const char *a, const char *b);
/* Whether every node of the layer computes only shape arithmetic (from constants and Shape/Size); true for a
 * layer without nodes. */
bool cs_layer_only_shapes(const cs_graph *g, int layer);
/* Kinds that carry no computation of their own worth matching on their own. */
bool cs_kind_is_minor(cs_layer_kind kind);

#endif

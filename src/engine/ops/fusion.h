/* fusion.h — a chain of nodes the executor asks a fast-path kernel to compute in one call:
 * Conv [-> BatchNormalization] [-> Add residual] [-> activation], MatMul -> Add constant bias, or a subgraph that is one function of a
 * single input (GELU's Erf form, a decomposed layer normalisation), found at plan time (see exec_fuse.c). */
#ifndef CS_FUSION_H
#define CS_FUSION_H

#include <stdbool.h>

typedef enum {
    CS_ACT_NONE = 0,
    CS_ACT_RELU,        /* alpha: negative slope (LeakyRelu), 0 for Relu */
    CS_ACT_CLIP,        /* alpha = min, beta = max */
    CS_ACT_SILU,        /* x * sigmoid(x) */
    CS_ACT_HARDSWISH,   /* x * clip(x/6 + 1/2, 0, 1) */
    CS_ACT_GELU,        /* x * (1 + erf(x / sqrt 2)) / 2 */
    CS_ACT_SIGMOID,
    CS_ACT_TANH,
    CS_ACT_LAYERNORM    /* over the last axis: (x - mean) / sqrt(var + eps) [* gamma] [+ beta] (scale = eps) */
} cs_act_kind;

#define CS_FUSE_MAX 8

typedef struct cs_fusion {
    int head;            /* the Conv node, or the first node of an activation subgraph */
    int in_value;        /* activation subgraph: its one computed input x (act(x) is out_value); -1 for Conv */
    float scale;         /* GELU: the constant x is divided by (Div) or multiplied by (Mul) before Erf;
                          * layer normalisation: epsilon */
    int gamma_value, beta_value; /* layer normalisation: the constant scale and shift, -1 none */
    int bias_value;      /* MatMul: a constant row added to every row of the product (the Add folded in); -1 none */
    bool scale_divides;
    int bn_node;         /* BatchNormalization folded into the weights and bias; -1 none */
    int sum_value;       /* residual added to the result before the activation; -1 none */
    cs_act_kind act;
    float alpha, beta;
    int out_value;       /* the value the chain ends in (computed by the head when fused) */
    int tail_node;       /* the node that produces out_value in the unfused graph */
    int nodes[CS_FUSE_MAX]; /* follower nodes the fused call replaces, in execution order */
    int n_nodes;
} cs_fusion;

#endif

/* match_internal.h — the per-layer features and scoring shared by match.c and match_align.c.
 * Private to src/engine/diff/. */
#ifndef CS_MATCH_INTERNAL_H
#define CS_MATCH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../graph.h"
#include "kind.h"

#define MAX_TOKENS 12
#define MAX_WEIGHTS 8
#define MAX_FINGERPRINT (1 << 22)

typedef struct weight_print {
    int64_t numel;
    bool ok;         /* a float tensor was summarised */
    float absmax, min, max;
    double moment[4]; /* mean of x, x^2, |x|, x^3 over the tensor, each divided by absmax^k: order-independent,
                         so the print survives any layout change; equal value sets give equal moments */
} weight_print;

typedef struct layer_features {
    int layer;
    cs_layer_kind kind;
    char act[32];
    char tokens[MAX_TOKENS][32];
    int n_tokens;
    weight_print weights[MAX_WEIGHTS];
    int n_weights;
} layer_features;

void cs_features_build(const cs_graph *g, int layer, layer_features *f);
void cs_features_free(layer_features *f);
/* 4 every weight tensor matches exactly (as a value set), 3 some does, 2 approximately, 1 equal sizes, 0 none. */
int cs_weight_evidence(const layer_features *a, const layer_features *b);
/* Confidence in 0..1 that a and b are the same layer, or -1 when they cannot be. */
double cs_match_score(const layer_features *a, const layer_features *b, char *evidence, size_t size);

#endif

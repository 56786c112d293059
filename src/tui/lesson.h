/* lesson.h — what the teaching view says about one layer, computed without curses: the formula of its main
 * operation with this layer's attribute values, parameters and multiply-accumulates, and the receptive field. */
#ifndef CS_UI_LESSON_H
#define CS_UI_LESSON_H

#include <stdint.h>

#include "engine/graph.h"

typedef struct cs_lesson {
    int node;                  /* the layer's main IR node, -1 when it has none (weights only) */
    char op[48];               /* its IR op ("Conv") */
    char what[120];            /* one plain sentence: "slides 16 filters of 6x5x5 over the input" */
    char formula[2][160];      /* the formula with this layer's values; [1] may be "" */
    int64_t params;            /* trainable elements (buffers left out) */
    char params_how[160];      /* "2400 weights [16,6,5,5] + 16 bias" */
    int64_t macs;              /* multiply-accumulates for one sample, -1 when not counted */
    char macs_how[120];        /* "1600 outputs x 150 (6x5x5)" */
    char rf[256];              /* "16x16 pixels of the 28x28 input, stepping 2" or "the whole input" */
    int in_value, out_value;   /* the main node's first input and the layer's output (-1 when none) */
} cs_lesson;

/* Fills L for `layer` of g. out (may be NULL) is the layer's actual output, in_h the height of the model input
 * fed (0 when unknown): MACs count outputs, the receptive field compares with the input. */
void cs_lesson_build(const cs_graph *g, int layer, const cs_tensor *out, int64_t in_h, cs_lesson *L);

#endif

/* weights.h — compares the stored weights of a matched layer pair across formats: aligns layouts
 * (OIHW vs HWIO, transposed dense kernels), recomputes BatchNorm folding, and names what it finds. */
#ifndef CS_DIFF_WEIGHTS_H
#define CS_DIFF_WEIGHTS_H

#include <stdbool.h>

#include "../graph.h"

/* What a weight comparison found, in rising severity (the worst tensor of the pair wins). */
typedef enum {
    CS_W_IDENTICAL = 0,
    CS_W_IDENTICAL_LAYOUT,   /* identical after a layout change */
    CS_W_IDENTICAL_BN,       /* identical after BatchNorm folding */
    CS_W_FP16,               /* fp16 rounding */
    CS_W_QUANTIZED,          /* quantization */
    CS_W_DIFFERENT,
    CS_W_INCOMPARABLE
} cs_weight_status;

/* The words for a status ("identical after layout change", "different", ...). */
const char *cs_weight_status_name(cs_weight_status s);

typedef struct cs_weight_cmp {
    bool compared;       /* false when neither side has weights */
    cs_weight_status code; /* what status says, as a value to test (meaningful when compared) */
    char status[48];     /* identical | identical after layout change | identical after BN folding |
                            fp16 rounding | quantization | different | incomparable */
    char alignment[128]; /* what was done to line the tensors up */
    double max_abs, mean_abs;
    int n_tensors;
} cs_weight_cmp;

/* Sets out's status (the code and its words). */
void cs_weight_set_status(cs_weight_cmp *out, cs_weight_status s);

void cs_weights_compare(const cs_graph *a, const int *layers_a, int n_a, const cs_graph *b, const int *layers_b,
                        int n_b, cs_weight_cmp *out);

#endif

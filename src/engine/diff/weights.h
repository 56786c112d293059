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
    char relation[24];   /* the cause kind the weights imply ("" when they agree): weights_layout,
                            weights_scaled, weights_precision, weights_different, bias_missing */
    char relation_detail[160]; /* "H and W swapped", "columns permuted CHW->HWC (C=16,H=5,W=5)", "fp16" */
    char tensor_a[64], tensor_b[64]; /* the two tensors it is about (source names) */
} cs_weight_cmp;

/* Sets out's status (the code and its words). */
void cs_weight_set_status(cs_weight_cmp *out, cs_weight_status s);

void cs_weights_compare(const cs_graph *a, const int *layers_a, int n_a, const cs_graph *b, const int *layers_b,
                        int n_b, cs_weight_cmp *out);

/* How B's tensor relates to A's when they are not equal under the layouts' own relation: a named layout
 * change (any dim permutation, an axis reversed, dense columns permuted as a channels-last flatten), a
 * per-output-channel scale, or precision rounding (fp16, bf16, int8); else "weights_different" with statistics.
 * `kind` gets a cause kind name, `detail` a phrase; la names A's layout for naming dims. */
void cs_weights_explain(const cs_tensor *a, cs_layout la, const cs_tensor *b, cs_dtype b_stored, char *kind,
                        size_t kind_size, char *detail, size_t detail_size);

#endif

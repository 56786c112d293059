/* weight_cmp.h — what comparing a matched pair's stored weights found: a status as a value (with its words)
 * and the figures. Filled by weights.c and rnn_weights.c, read by verdict.c and the reports. */
#ifndef CS_DIFF_WEIGHT_CMP_H
#define CS_DIFF_WEIGHT_CMP_H

#include <stdbool.h>

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

#endif

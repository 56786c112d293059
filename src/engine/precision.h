/* precision.h — the arithmetic precision a graph computes in: fp32, fp16 (every floating-point node output
 * rounded to half precision, round-to-nearest-even, as Core ML computes fp16 activations), or as the model
 * declares (fp16 where an ML Program types a value fp16, fp32 elsewhere). */
#ifndef CS_PRECISION_H
#define CS_PRECISION_H

#include <stdbool.h>

#include "graph.h"

typedef enum {
    CS_PREC_FP32 = 0,   /* no rounding anywhere (fp16 casts in the model are computed in fp32 too) */
    CS_PREC_FP16 = 1,   /* every float node output rounded to fp16 */
    CS_PREC_MODEL = 2   /* outputs of values the model declares fp16 rounded to fp16 */
} cs_precision;

/* "fp32" | "fp16" | "model"; false for anything else. */
bool cs_precision_parse(const char *s, cs_precision *out);
/* The precision every model loaded afterwards computes in (default CS_PREC_MODEL). Set once by the CLI. */
void cs_precision_set_default(cs_precision p);
/* Gives a freshly loaded graph the default precision. */
void cs_precision_apply(cs_graph *g);
/* Whether value v of g is rounded to fp16 when computed. */
bool cs_precision_rounds(const cs_graph *g, int v);
/* Rounds the float tensors a node just produced (outs[k] is value node->outputs[k]) as the precision says. */
void cs_precision_round_outputs(const cs_graph *g, const cs_node *node, cs_tensor *const *outs);
/* "fp32", "fp16", "fp16 (declared by the model)", "fp32 (model declares no fp16)": what g actually ran in. */
const char *cs_precision_describe(const cs_graph *g);

#endif

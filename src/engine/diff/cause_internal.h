/* cause_internal.h — the hypothesis list shared by the probes (cause_hyp.c, cause_act.c) and the selection and
 * wording of a cause (cause.c). */
#ifndef CS_DIFF_CAUSE_INTERNAL_H
#define CS_DIFF_CAUSE_INTERNAL_H

#include <stddef.h>

#include "probe.h"

#define CS_MAX_HYPS 96

typedef struct cs_hyp {
    char kind[24];
    char attribute[32];
    char a[96], b[96];
    char what[160];   /* the hypothesis in words: "pads [1,1,3,3]", "relu in place of relu6" */
    char layer_a[128], layer_b[128]; /* the layers it is about */
    double res;       /* relative residual against what B computed (INFINITY when it could not run) */
    bool observed;    /* an attribute hypothesis whose value is B's own canonical value */
    bool b_side;      /* B's layer changed to reproduce A (not A's changed to reproduce B) */
    char also[120];   /* further attributes changed with it, as B has them ("nearest_mode floor") */
} cs_hyp;

typedef struct cs_hyps {
    cs_hyp h[CS_MAX_HYPS];
    int n;
    double baseline;  /* residual of A's unchanged layer against B's */
} cs_hyps;

/* snprintf that truncates silently (messages may be cut, never overflow). */
void cs_fmt(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

cs_hyp *cs_hyp_add(cs_hyps *hs, const char *kind, double res);

/* Each adds its hypotheses with measured residuals. */
void cs_hyp_attributes(const cs_probe *p, cs_hyps *hs);
void cs_hyp_activations(const cs_probe *p, cs_hyps *hs);
void cs_hyp_operands(const cs_probe *p, cs_hyps *hs);
void cs_hyp_layout(const cs_probe *p, cs_hyps *hs);
void cs_hyp_preprocessing(const cs_probe *p, cs_hyps *hs);
/* B's layer with one node changed (an elementwise op in place of another, two operands swapped) fitted to A. */
void cs_hyp_b_side(const cs_probe *p, cs_hyps *hs);

#endif

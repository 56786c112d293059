/* cause.h — what to fix: the named cause of a diff's first divergence. Weight relations and probes at the
 * first divergent pair (B's output fitted against hypotheses computed from A's input) name one of a fixed set
 * of kinds — a documented contract — with the two values, the evidence and one sentence to act on. */
#ifndef CS_DIFF_CAUSE_H
#define CS_DIFF_CAUSE_H

#include "cause_types.h"
#include "probe.h"

/* The kind names, in the documented order; *n receives the count. */
const char *const *cs_cause_kinds(int *n);

/* Fills *out for the pair (runs the hypotheses). */
void cs_cause_probe(const cs_probe *p, cs_cause *out);

/* The cause of r's first divergence (found=false when there is none). Never fails: a probe that cannot run
 * leaves the cause "unknown" with what was measured. */
void cs_cause_find(const cs_graph *a, const cs_graph *b, const cs_tensor *const *in_a, const cs_tensor *const *in_b,
                   const cs_diff_result *r, cs_cause *out);

#endif

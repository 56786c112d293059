/* verdict.h — what a diff result means, decided once for every client (CLI table and JSON, explorer rows and
 * detail, reports): each pair's verdict, whether a divergent layer is itself faulty or inherits its error, and
 * the run's overall verdict. Enums with name functions; no client re-derives these from the raw figures. */
#ifndef CS_DIFF_VERDICT_H
#define CS_DIFF_VERDICT_H

#include <stdbool.h>

#include "diff.h"

typedef enum {
    CS_PAIR_OK = 0,           /* within tolerance (or weights agree when nothing ran) */
    CS_PAIR_DIVERGE,          /* values compared, some element outside tolerance */
    CS_PAIR_SHAPES_DIFFER,    /* both outputs exist with different element counts: a divergence */
    CS_PAIR_B_FAILS,          /* B stopped with an error inside this pair: a divergence */
    CS_PAIR_NO_OUTPUT,        /* a side computes no value for the pair */
    CS_PAIR_INCOMPARABLE,     /* both exist but cannot be lined up */
    CS_PAIR_WEIGHTS_DIFFER    /* weights-only run: the stored weights differ */
} cs_pair_verdict;

cs_pair_verdict cs_pair_verdict_of(const cs_diff_result *r, int pair);
/* The word a report prints: "ok", "DIVERGE", "no output", "incomparable", "weights differ". */
const char *cs_pair_verdict_name(cs_pair_verdict v);
/* A verdict that counts as a divergence (DIVERGE, SHAPES_DIFFER, B_FAILS). */
bool cs_pair_verdict_diverges(cs_pair_verdict v);

/* Whether a pair's own layer is at fault: its B layer fed A's input activation (isolation). */
typedef enum {
    CS_BLAME_NONE = 0,        /* the pair does not diverge */
    CS_BLAME_FAULTY,          /* the isolated layer is outside tolerance: the layer itself is faulty */
    CS_BLAME_INHERITED,       /* the isolated layer agrees: the error comes from earlier layers */
    CS_BLAME_UNKNOWN          /* the layer could not be isolated */
} cs_blame;

cs_blame cs_pair_blame(const cs_diff_result *r, int pair);
/* "the layer itself is faulty", "inherited from earlier layers", "not isolated", "" */
const char *cs_blame_name(cs_blame b);

typedef enum { CS_VERDICT_MATCH = 0, CS_VERDICT_DIVERGE } cs_verdict;

/* The run's verdict: a divergent pair, B failing, or (weights only) a pair whose weights differ. */
cs_verdict cs_diff_verdict(const cs_diff_result *r);
const char *cs_verdict_name(cs_verdict v);

#endif

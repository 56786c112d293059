/* cause.h — what to fix: the named cause of a diff's first divergence. Weight relations and probes at the
 * first divergent pair (B's output fitted against hypotheses computed from A's input) name one of a fixed set
 * of kinds — a documented contract — with the two values, the evidence and one sentence to act on. */
#ifndef CS_DIFF_CAUSE_H
#define CS_DIFF_CAUSE_H

#include <stdbool.h>

typedef struct cs_cause {
    bool found;                /* false: nothing diverged (or no activations were compared) */
    char kind[24];             /* one of cs_cause_kinds() */
    char attribute[32];        /* canonical attribute name when kind is "attribute", else "" */
    char a[96], b[96];         /* the two values (A's, B's) where they can be named, else "" */
    double residual;           /* relative residual of the winning hypothesis (0 = exact; -1 when static) */
    char runner_up[96];        /* the second best hypothesis ("" when none) */
    double runner_up_residual; /* its relative residual (-1 when none) */
    char evidence[320];        /* the measurement behind the verdict */
    char summary[400];         /* one sentence a user can act on (CLI, explorer header and detail pane) */
} cs_cause;

/* The kind names, in the documented order; *n receives the count. */
const char *const *cs_cause_kinds(int *n);

#endif

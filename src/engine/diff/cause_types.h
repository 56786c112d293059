/* cause_types.h — the named cause of a diff's first divergence as a value (kind, the two values, evidence,
 * one sentence to act on): held by the diff result, filled by cause.c; no functions. */
#ifndef CS_DIFF_CAUSE_TYPES_H
#define CS_DIFF_CAUSE_TYPES_H

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

#endif

/* session_types.h — the types of the explorer's engine session (what a reader sees: files, rows, the view,
 * job parameters and states), apart from its API (session.h) so the session's private header can use them
 * without including the API it implements. */
#ifndef CS_SESSION_TYPES_H
#define CS_SESSION_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "diff/diff.h"
#include "graph.h"

typedef struct cs_session cs_session;

typedef struct cs_session_file {
    char path[1024];
    char format[32];
    char producer[96];
    int64_t bytes, params;
} cs_session_file;

/* One line of the layer walk: a matched pair, a layer standing alone, or a container (foldable). */
typedef struct cs_row {
    int pair;              /* index into diff->matching->pairs, -1 when none */
    const int *a, *b;      /* layer indices on each side (borrowed) */
    int n_a, n_b;
    int depth;             /* nesting depth (cs_layer.parent chain) */
    int parent;            /* row of the enclosing container, -1 at top level */
    bool container;        /* a block holding the rows below it with greater depth */
    bool divergent;        /* a compared pair outside tolerance */
    int single;            /* for single-model rows: the A layer whose captured output is used, else -1 */
} cs_row;

typedef enum { CS_PHASE_EMPTY = 0, CS_PHASE_BUSY, CS_PHASE_READY, CS_PHASE_FAILED } cs_phase;

/* What a reader sees; valid between cs_session_lock and cs_session_unlock. */
typedef struct cs_session_view {
    cs_phase phase;
    char progress[256];        /* "loading lenet5.onnx", "running the diff", or the error */
    const cs_graph *a, *b;     /* NULL while loading; b NULL for one model */
    const cs_session_file *fa, *fb;
    const cs_diff_result *diff; /* NULL for one model or before the first diff */
    const cs_row *rows;
    int n_rows;
    int first_divergent_row;    /* -1 when none */
    const char *input_spec;     /* what is fed ("blank" for zeros) */
    const char *input_notes;    /* preprocessing notes of A's input */
    const cs_tensor *input;     /* A's input tensor (for previews), NULL when none */
    double rtol, atol;
    const char *map_path;       /* "" when none */
} cs_session_view;

/* ---- jobs ---- */

typedef enum { CS_JOB_BENCH = 0, CS_JOB_EVAL, CS_JOB_ATTACK } cs_job_kind;
typedef enum { CS_JOB_QUEUED = 0, CS_JOB_RUNNING, CS_JOB_DONE, CS_JOB_CANCELLED, CS_JOB_FAILED } cs_job_state;

#define CS_JOB_LINES 12

typedef struct cs_job_params {
    cs_job_kind kind;
    char data[256];        /* dataset spec (eval, attack) */
    int64_t limit;         /* samples (eval, attack); 0 = default */
    int runs;              /* bench runs; 0 = default */
    char method[16];       /* fgsm | pgd | simba */
    double eps;            /* 0 = default */
    int steps;             /* 0 = default */
} cs_job_params;

typedef struct cs_job_info {
    int id;
    cs_job_params params;
    cs_job_state state;
    char title[128];
    int64_t done, total;
    double rate, eta_s, elapsed_s;
    char lines[CS_JOB_LINES][160]; /* streaming partial results then the summary, oldest first */
    int n_lines;
    char adv_dir[256];     /* attack: where adversarial examples are saved, removed with the session ("" when none) */
} cs_job_info;

#endif

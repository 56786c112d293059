/* diff_files.h — the user's files that steer a diff: the per-layer tolerance file ("LAYER RTOL ATOL")
 * and the layer map (text "A -> B[, B...]" or a JSON object), parsed here and applied by diff.c / match*.c. */
#ifndef CS_DIFF_FILES_H
#define CS_DIFF_FILES_H

#include "../status.h"

typedef struct cs_tol_override {
    char layer[128];      /* A layer name */
    double rtol, atol;
} cs_tol_override;

/* Reads "LAYER rtol atol" lines (# comments) into a malloc'd array. */
cs_status cs_diff_load_overrides(const char *path, cs_tol_override **out, int *n, cs_error *err);

/* One user pair: A's layer name and the names of B's layers it maps to. */
typedef struct cs_map_entry {
    char *a;
    char **b;
    int n_b;
    int line;             /* source line (0 for a JSON map) */
} cs_map_entry;

typedef struct cs_layer_map {
    cs_map_entry *entries;
    int n;
} cs_layer_map;

/* Parses a layer map file (a JSON object {"A": ["B", ...]} or lines "A -> B[, B...]", # comments). Names are
 * not checked against any model here; errors name path:line and the expected form. */
cs_status cs_layer_map_load(const char *path, cs_layer_map *out, cs_error *err);
void cs_layer_map_free(cs_layer_map *m);

#endif

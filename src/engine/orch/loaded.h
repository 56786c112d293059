/* loaded.h — a model opened once and shared by every run: its graph, its execution plan, what it declares
 * (class labels) and where it came from. Diff, eval, bench and attack take a cs_model; jobs hold a reference,
 * so a job never reopens the file (the file may even be gone). Reference-counted, safe across threads. */
#ifndef CS_ORCH_LOADED_H
#define CS_ORCH_LOADED_H

#include <stdint.h>

#include "../exec.h"
#include "../graph.h"
#include "../status.h"

typedef struct cs_model {
    cs_graph *g;              /* the IR, read-only once opened */
    cs_plan *plan;            /* NULL for a weights-only graph (a state_dict) */
    char path[1024];
    char format[32];          /* "onnx", "torchscript", ... */
    char producer[96];        /* "unknown producer" when the file names none */
    int64_t file_bytes;       /* -1 when unknown */
    int64_t params;
    const cs_attr *labels;    /* class labels the model declares (strings or ints), NULL when none */
    int refs;                 /* private: see cs_model_ref / cs_model_unref */
} cs_model;

/* Opens and plans path. *out holds one reference. */
cs_status cs_model_open(const char *path, cs_model **out, cs_error *err);
/* Takes one more reference; returns m. */
cs_model *cs_model_ref(cs_model *m);
/* Drops a reference; the last one frees the model. NULL is ignored. */
void cs_model_unref(cs_model *m);

#endif

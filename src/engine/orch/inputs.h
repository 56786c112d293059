/* inputs.h — the one input policy of every client: what a model is fed for a user's SPEC. A spec goes
 * through the model's own preprocessing (data/input.c); without one, a fallback image when the model's input
 * takes 28x28 images, else zeros of the declared shape. One input per model. */
#ifndef CS_ORCH_INPUTS_H
#define CS_ORCH_INPUTS_H

#include <stddef.h>

#include "../data/input.h"
#include "loaded.h"

typedef struct cs_input_req {
    const char *spec;         /* NULL or "": the fallback, else zeros */
    const char *fallback;     /* an image used when no spec is given and it fits (NULL: none) */
    cs_input_opts opts;       /* scale / mean / std overrides */
} cs_input_req;

/* Fills req with no spec, no fallback and default preprocessing. */
void cs_input_req_default(cs_input_req *req);

/* The tensor m is fed for req. used (may be NULL) receives the spec actually used ("blank" for zeros);
 * notes (may be NULL) one line per preprocessing choice. */
cs_status cs_model_input(const cs_model *m, const cs_input_req *req, cs_tensor **out, char *used, size_t used_size,
                         char *notes, size_t notes_size, cs_error *err);

#endif

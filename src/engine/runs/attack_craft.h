/* attack_craft.h — private to the attack job: crafting adversarial pixels for one model (FGSM, PGD,
 * SimBA) in [0,1] pixel space, and mapping pixels to the model's input and back. */
#ifndef CS_ATTACK_CRAFT_H
#define CS_ATTACK_CRAFT_H

#include "attack_opts.h"
#include "feed.h"

typedef struct cs_rng {
    uint64_t s;
} cs_rng;

double cs_rng_uniform(cs_rng *r); /* [0, 1) */

/* The model input for rows samples of [0,1] pixels (rows x sample_size). */
cs_status cs_attack_input(const cs_feed *f, const float *px, int64_t rows, cs_tensor **out, cs_error *err);
/* Top-1 of each of the rows (and, when probs is not NULL, the probability of labels[r] per row). */
cs_status cs_attack_predict(const cs_feed *f, const float *px, int64_t rows, const int64_t *labels, int *pred,
                            double *probs, volatile int *cancel, cs_error *err);

/* Replaces adv (rows x sample_size, starting as the clean pixels x) by adversarial pixels.
 * queries[r] is increased by the model evaluations spent on row r. */
cs_status cs_attack_craft(const cs_feed *f, const cs_attack_opts *o, const float *x, float *adv, int64_t rows,
                          const int64_t *labels, int64_t *queries, cs_rng *rng, volatile int *cancel, cs_error *err);

#endif

/* attack_opts.h — what an attack run is asked to do (method, budget, steps, data, where to save), shared by
 * the attack job (attack.c) and the crafting of adversarial pixels (attack_craft.c). */
#ifndef CS_ATTACK_OPTS_H
#define CS_ATTACK_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "../data/input_opts.h"

typedef enum { CS_ATTACK_FGSM = 0, CS_ATTACK_PGD, CS_ATTACK_SIMBA } cs_attack_method;

typedef struct cs_attack_opts {
    cs_attack_method method;
    double eps;            /* budget (L-inf or L2) in [0,1] pixel units */
    double alpha;          /* PGD step; SimBA uses eps per coordinate */
    int steps;             /* PGD iterations; SimBA coordinates tried at most */
    bool l2;               /* L2 instead of L-inf */
    const char *data;
    int64_t limit, batch;
    uint64_t seed;
    const char *save_dir;  /* adversarial examples as .npy and .png (NULL: none) */
    cs_input_opts input;
} cs_attack_opts;

/* Fills defaults for method: eps 0.1 (L-inf) or 1.0 (L2), PGD 10 steps with alpha eps/4, SimBA all coordinates. */
void cs_attack_opts_default(cs_attack_opts *o, cs_attack_method method, bool l2);
const char *cs_attack_method_name(cs_attack_method m);

#endif

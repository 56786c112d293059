/* attack.h — adversarial robustness of one or two models on a labelled dataset: FGSM, PGD (L-inf, L2,
 * random start) and SimBA (score-based black box, queries counted), with transfer rates between models.
 * Perturbations live in [0,1] pixel space (pixel / 255) mapped through each model's preprocessing, clamped to [0,1]. */
#ifndef CS_ATTACK_H
#define CS_ATTACK_H

#include <stdbool.h>
#include <stdint.h>

#include "../data/input.h"
#include "../graph.h"
#include "../orch/loaded.h"
#include "attack_opts.h"
#include "jobs.h"

#define CS_ATTACK_MAX_MODELS 2


typedef struct cs_attack_model {
    const char *path;
    int64_t clean_correct;  /* clean top-1 correct */
    int64_t robust_correct; /* correct on the adversarial example */
    int64_t attacked;       /* initially correct samples (the success-rate base) */
    int64_t successes;      /* initially correct, then misclassified */
    double sum_linf, sum_l2, max_linf, max_l2; /* over successful examples */
    int64_t queries;        /* model evaluations used by the attack (black box) */
} cs_attack_model;

typedef struct cs_attack_result {
    cs_attack_method method;
    double eps;
    bool l2;
    int64_t total, samples; /* asked for / done; every metric is over the done samples */
    int n_models;
    cs_attack_model models[CS_ATTACK_MAX_MODELS];
    bool transfer_possible;
    int64_t transfer_hits[CS_ATTACK_MAX_MODELS]; /* [m]: successes of m's examples that also fool the other */
    int64_t transfer_base[CS_ATTACK_MAX_MODELS]; /* [m]: m's successes the other model classified correctly */
    bool cancelled;
} cs_attack_result;

cs_status cs_attack_run(const char *const *paths, int n_models, const cs_attack_opts *opts, cs_job *job,
                        cs_attack_result *res, cs_error *err);
/* The same on graphs already open (borrowed; graphs[m] may be NULL to open names[m] as a path). */
cs_status cs_attack_run_graphs(cs_graph *const *graphs, const char *const *names, int n_models,
                               const cs_attack_opts *opts, cs_job *job, cs_attack_result *res, cs_error *err);
/* The same on open models (borrowed; never reopened). */
cs_status cs_attack_run_models(cs_model *const *models, int n_models, const cs_attack_opts *opts, cs_job *job,
                               cs_attack_result *res, cs_error *err);

#endif

/* input_opts.h — the user's preprocessing overrides (--scale, --mean, --std), shared by the input loader
 * (input.c) and the pixel plan (preprocess*.c) without either including the other. */
#ifndef CS_INPUT_OPTS_H
#define CS_INPUT_OPTS_H

#include <stdbool.h>

typedef struct cs_input_opts {
    double scale;          /* multiply raw pixels by this (default 1/255) */
    bool scale_set;
    double mean[4];        /* per-channel mean subtracted after scaling (one value = all channels) */
    int n_mean;
    double std[4];         /* per-channel std divided after the mean */
    int n_std;
} cs_input_opts;

void cs_input_opts_default(cs_input_opts *opts);

#endif

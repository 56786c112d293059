/* keras_test.c — Keras loader tests: every fixture in tests/fixtures/keras (written by make_keras_fixtures.py)
 * runs through convscope and matches its stored TensorFlow.js reference outputs within 1e-5 relative. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/data/npy.h"
#include "engine/exec.h"
#include "engine/model.h"
#include "test.h"

#define FIX "tests/fixtures/keras/"

/* Runs fixture `name` (model name.ext, or the file `model` when not NULL; inputs name.inK.npy) and returns how
 * many outputs differ from name.outK.npy. */
static int run_fixture_file(const char *name, const char *ext, const char *model, int n_in, double *worst)
{
    char path[256];
    cs_error err = {0};
    cs_graph *g = NULL;
    cs_plan *plan = NULL;
    if (model)
        snprintf(path, sizeof path, FIX "%s", model);
    else
        snprintf(path, sizeof path, FIX "%s.%s", name, ext);
    if (cs_model_load(path, &g, &err) != CS_OK || cs_plan_build(g, &plan, &err) != CS_OK) {
        fprintf(stderr, "  %s: %s\n", name, err.msg);
        cs_graph_free(g);
        return 1;
    }
    cs_tensor *ins[4] = {0}, *outs[4] = {0};
    int bad = g->n_inputs != n_in || g->n_outputs > 4;
    for (int i = 0; !bad && i < n_in; i++) {
        snprintf(path, sizeof path, FIX "%s.in%d.npy", name, i);
        bad = cs_npy_read(path, &ins[i], &err) != CS_OK;
    }
    if (!bad && cs_exec_run(g, plan, (const cs_tensor *const *)ins, outs, NULL, NULL, &err) != CS_OK) {
        fprintf(stderr, "  %s: %s\n", name, err.msg);
        bad = 1;
    }
    for (int o = 0; !bad && o < g->n_outputs; o++) {
        cs_tensor *want = NULL;
        snprintf(path, sizeof path, FIX "%s.out%d.npy", name, o);
        if (cs_npy_read(path, &want, &err) != CS_OK || !cs_tensor_same_shape(want, outs[o])) {
            bad++;
        } else {
            for (int64_t k = 0; k < cs_tensor_numel(want); k++) {
                double a = ((float *)outs[o]->data)[k], e = ((float *)want->data)[k];
                double rel = fabs(a - e) / (fabs(e) + 1e-6);
                *worst = rel > *worst ? rel : *worst;
                bad += rel > 1e-5 && fabs(a - e) > 1e-6;
            }
        }
        cs_tensor_free(want);
    }
    for (int i = 0; i < 4; i++) {
        cs_tensor_free(ins[i]);
        cs_tensor_free(outs[i]);
    }
    cs_plan_free(plan);
    cs_graph_free(g);
    return bad;
}

static int run_fixture(const char *name, const char *ext, int n_in, double *worst)
{
    return run_fixture_file(name, ext, NULL, n_in, worst);
}

TEST(keras_fixtures_match_tfjs_reference)
{
    static const struct { const char *name; int n_in; } fx[] = {
        {"conv_cl", 1}, {"conv_cf", 1}, {"conv1d", 1}, {"functional", 2}, {"embedding", 1}, {"k2_oracle", 1},
    };
    for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++) {
        double worst = 0;
        int bad = run_fixture(fx[i].name, "h5", fx[i].n_in, &worst);
        if (bad)
            fprintf(stderr, "  fixture %s: %d mismatches (worst relative error %g)\n", fx[i].name, bad, worst);
        EXPECT(bad == 0);
    }
}

/* make_keras_semantics.py: references computed by numpy code that follows Keras's own source. */
TEST(keras_fixtures_match_numpy_reference_from_keras_source)
{
    static const struct { const char *name, *ext; } fx[] = {{"k2_numpy", "h5"}, {"k3_nested", "keras"}};
    for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++) {
        double worst = 0;
        int bad = run_fixture(fx[i].name, fx[i].ext, 1, &worst);
        if (bad)
            fprintf(stderr, "  fixture %s: %d mismatches (worst relative error %g)\n", fx[i].name, bad, worst);
        EXPECT(bad == 0);
    }
}

TEST(keras_conv_layer_keeps_keras_layouts)
{
    cs_error err = {0};
    cs_graph *g = NULL;
    EXPECT(cs_model_load(FIX "conv_cl.h5", &g, &err) == CS_OK);
    if (!g)
        return;
    EXPECT(g->values[g->inputs[0]].layout == CS_LAYOUT_NHWC);
    int c1 = -1;
    for (int i = 0; i < g->n_layers; i++)
        if (strcmp(g->layers[i].name, "c1") == 0)
            c1 = i;
    EXPECT(c1 >= 0);
    if (c1 >= 0) {
        EXPECT(g->layers[c1].n_weights == 2);
        EXPECT(g->layers[c1].weights[0].layout == CS_LAYOUT_HWIO);
        EXPECT(g->layers[c1].weights[0].tensor->dims[3] == 4);
        EXPECT(g->values[g->layers[c1].outputs[0]].layout == CS_LAYOUT_NHWC);
    }
    cs_graph_free(g);
}

/* A save_weights file with its architecture given apart (--arch) is the same model as the full .h5. */
TEST(keras_weights_only_with_arch_matches_reference)
{
    double worst = 0;
    cs_model_set_keras_arch(FIX "conv_cl.arch.json");
    int bad = run_fixture_file("conv_cl", "h5", "conv_cl_weights.h5", 1, &worst);
    cs_model_set_keras_arch(NULL);
    EXPECT(bad == 0);
    cs_error err = {0};
    cs_graph *g = NULL;
    EXPECT(cs_model_load(FIX "conv_cl_weights.h5", &g, &err) == CS_OK);
    if (g) {
        EXPECT(g->weights_only);
        EXPECT(g->n_layers > 0 && strcmp(g->layers[0].type, "Conv2D") == 0);
    }
    cs_graph_free(g);
    EXPECT(cs_model_load(FIX "rnn_lstm_weights.h5", &g, &err) == CS_OK);
    if (g)
        EXPECT(g->n_layers == 1 && strcmp(g->layers[0].type, "LSTM") == 0 && g->layers[0].n_weights == 3);
    cs_graph_free(g);
}

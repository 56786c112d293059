/* torchscript_test.c — TorchScript archives written by torch 1.13 (tests/fixtures/make_torch_fixtures.py) load,
 * name their layers like PyTorch and compute torch's outputs within 1e-5*max(1,max|ref|); checkpoints load weights. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "ts_fixture.h"

#define FIX "tests/fixtures/torch/"

static int64_t trainable(const cs_graph *g)
{
    int64_t n = 0;
    for (int i = 0; i < g->n_layers; i++)
        for (int k = 0; k < g->layers[i].n_weights; k++)
            if (!g->layers[i].weights[k].is_buffer)
                n += cs_tensor_numel(g->layers[i].weights[k].tensor);
    return n;
}

static int layer_named(const cs_graph *g, const char *name)
{
    for (int i = 0; i < g->n_layers; i++)
        if (strcmp(g->layers[i].name, name) == 0)
            return i;
    return -1;
}

/* Loads FIX name.pt, runs it on name.in.f32 and returns max|out - ref| / max(1, max|ref|) (or 1e9 on failure). */
static double run_fixture(const char *name, cs_graph **keep)
{
    char prefix[256];
    snprintf(prefix, sizeof prefix, FIX "%s", name);
    ts_case c;
    if (!ts_case_open(&c, prefix)) {
        fprintf(stderr, "  %s\n", c.err.msg);
        ts_case_close(&c);
        return 1e9;
    }
    double worst = 1e9;
    if (c.g->n_outputs == 1 && ts_case_run(&c))
        worst = ts_rel_error(c.out[0], c.ref);
    else if (c.err.msg[0])
        fprintf(stderr, "  %s\n", c.err.msg);
    if (keep)
        *keep = c.g, c.g = NULL;
    ts_case_close(&c);
    return worst;
}

TEST(torchscript_traced_cnn_matches_torch)
{
    cs_graph *g = NULL;
    EXPECT_NEAR(run_fixture("tiny_cnn_traced", &g), 0, 1e-5);
    if (!g)
        return;
    EXPECT(trainable(g) == 389); /* sum(p.numel()) in torch */
    int conv1 = layer_named(g, "conv1"), bn1 = layer_named(g, "bn1");
    EXPECT(conv1 >= 0 && strcmp(g->layers[conv1].type, "Conv2d") == 0);
    EXPECT(conv1 >= 0 && g->layers[conv1].n_weights == 2 && strcmp(g->layers[conv1].weights[0].name, "conv1.weight") == 0);
    EXPECT(conv1 >= 0 && g->layers[conv1].weights[0].layout == CS_LAYOUT_OIHW);
    EXPECT(bn1 >= 0 && g->layers[bn1].n_weights == 5 && g->layers[bn1].weights[2].is_buffer);
    EXPECT(layer_named(g, "relu") >= 0 && layer_named(g, "flatten") >= 0 && layer_named(g, "log_softmax") >= 0);
    EXPECT(conv1 >= 0 && g->layers[conv1].n_outputs == 1);
    cs_graph_free(g);
}

TEST(torchscript_scripted_cnn_matches_torch)
{
    cs_graph *g = NULL;
    EXPECT_NEAR(run_fixture("tiny_cnn_scripted", &g), 0, 1e-5);
    EXPECT(g && trainable(g) == 389);
    cs_graph_free(g);
}

TEST(torchscript_resnet_blocks_nest_as_layers)
{
    cs_graph *g = NULL;
    EXPECT_NEAR(run_fixture("mini_resnet_scripted", &g), 0, 1e-5);
    if (!g)
        return;
    EXPECT(trainable(g) == 1540);
    int l1 = layer_named(g, "layer1"), b0 = layer_named(g, "layer1.0"), bn = layer_named(g, "layer1.0.bn1");
    EXPECT(l1 >= 0 && b0 >= 0 && bn >= 0);
    EXPECT(b0 >= 0 && g->layers[b0].parent == l1 && strcmp(g->layers[b0].type, "Block") == 0);
    EXPECT(bn >= 0 && g->layers[bn].parent == b0 && strcmp(g->layers[bn].weights[0].name, "layer1.0.bn1.weight") == 0);
    cs_graph_free(g);
    EXPECT_NEAR(run_fixture("mini_resnet_traced", NULL), 0, 1e-5);
}

TEST(torchscript_functional_zoo_matches_torch)
{
    /* leaky_relu, adaptive_avg_pool2d(3,2), nearest upsample, pad, avg_pool2d, cat, permute, hardtanh,
     * layer_norm, dropout, add with alpha, gelu, mean, softmax */
    EXPECT_NEAR(run_fixture("zoo_traced", NULL), 0, 1e-5);
}

TEST(torchscript_unknown_op_is_named_with_its_place)
{
    cs_graph *g = NULL;
    cs_error err;
    EXPECT(cs_torchscript_load(FIX "unsupported_op.pt", &g, &err) == CS_ERR_UNSUPPORTED && !g);
    EXPECT(strstr(err.msg, "unsupported TorchScript op aten::kthvalue at code/__torch__.py:") != NULL);
}

/* 'if x.size(0) > 1: relu(x) else: x' (scripted): both branches lowered, a Choose keeps the one the run takes. */
TEST(torchscript_runtime_if_takes_the_branch_of_the_data)
{
    cs_graph *g = NULL;
    cs_plan *plan = NULL;
    cs_error err;
    EXPECT(cs_torchscript_load(FIX "data_dependent.pt", &g, &err) == CS_OK && g);
    if (!g || cs_plan_build(g, &plan, &err) != CS_OK) {
        fprintf(stderr, "  %s\n", err.msg);
        cs_graph_free(g);
        return;
    }
    for (int64_t batch = 1; batch <= 2; batch++) {
        int64_t dims[2] = {batch, 3};
        cs_tensor *x = cs_tensor_new(CS_DT_F32, 2, dims, &err), *out[2] = {0};
        for (int64_t i = 0; x && i < 3 * batch; i++)
            ((float *)x->data)[i] = (float)i - 2.5f;
        const cs_tensor *ins[1] = {x};
        EXPECT(x && cs_exec_run(g, plan, ins, out, NULL, NULL, &err) == CS_OK && out[0]);
        for (int64_t i = 0; out[0] && i < 3 * batch; i++) { /* batch 1: x as it is; batch 2: relu(x) */
            float want = batch > 1 && (float)i - 2.5f < 0 ? 0.0f : (float)i - 2.5f;
            EXPECT(((const float *)out[0]->data)[i] == want);
        }
        cs_tensor_free(out[0]);
        cs_tensor_free(x);
    }
    cs_plan_free(plan);
    cs_graph_free(g);
}

TEST(torch_checkpoints_load_as_weights_only)
{
    static const char *const files[] = {FIX "tiny_cnn_state_dict.pt", FIX "tiny_cnn_legacy.pt"};
    for (int k = 0; k < 2; k++) {
        cs_graph *g = NULL;
        cs_error err;
        EXPECT(cs_torch_checkpoint_load(files[k], &g, &err) == CS_OK);
        if (!g) {
            fprintf(stderr, "  %s\n", err.msg);
            continue;
        }
        EXPECT(g->weights_only && g->n_nodes == 0 && g->n_layers == 4);
        EXPECT(trainable(g) == 389);
        int fc = layer_named(g, "fc");
        EXPECT(fc >= 0 && strcmp(g->layers[fc].weights[0].name, "fc.weight") == 0 &&
               g->layers[fc].weights[0].tensor->dims[0] == 5 && g->layers[fc].weights[0].tensor->dims[1] == 8);
        cs_graph_free(g);
    }
}

TEST(torchscript_sweep_models_match_torch)
{
    /* Models written like torchvision / text / attention code (make_torch_fixtures.py, sweep set): scripted list
     * append and F.interpolate, group/instance norm with run-time size checks, chunk/split, max with indices,
     * transpose of a tensor of unknown rank. Each matches torch within 1e-5 and counts sum(p.numel()) params. */
    static const struct {
        const char *name;
        int64_t params;
    } cases[] = {{"sweep_mobilenetv3_scripted", 382}, {"sweep_densenet_scripted", 409}, {"sweep_norms_scripted", 832},
                 {"sweep_textcnn_traced", 171},       {"sweep_chunk_split_traced", 40}, {"sweep_attention_traced", 144},
                 {"sweep_unet_scripted", 168}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        cs_graph *g = NULL;
        double err = run_fixture(cases[k].name, &g);
        if (err > 1e-5)
            fprintf(stderr, "  %s: %g\n", cases[k].name, err);
        EXPECT_NEAR(err, 0, 1e-5);
        EXPECT(g && cs_graph_param_count(g) == cases[k].params);
        cs_graph_free(g);
    }
}

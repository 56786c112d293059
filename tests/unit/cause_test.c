/* cause_test.c — the weight relations a cause is named from (a named permutation, a channels-last flatten,
 * a per-channel scale, precision rounding, plain difference) and the canonical attribute vocabulary
 * (defaults, auto_pad resolved for TensorFlow's asymmetric SAME, Clip bounds from constant inputs, channels-last
 * axes, reduction axes and Pad pads stated channels-first). */
#include <stdio.h>
#include <string.h>

#include "engine/diff/canon.h"
#include "engine/diff/cause.h"
#include "engine/diff/weights.h"
#include "test.h"

static cs_tensor *ramp(int rank, const int64_t *dims)
{
    cs_tensor *t = cs_tensor_new(CS_DT_F32, rank, dims, NULL);
    for (int64_t i = 0, n = cs_tensor_numel(t); i < n; i++)
        ((float *)t->data)[i] = (float)(0.37 * (double)(i % 11) - 0.91 * (double)(i % 7) + 0.013 * (double)i);
    return t;
}

static void explain(const cs_tensor *a, cs_layout la, const cs_tensor *b, char *kind, char *detail)
{
    cs_weights_explain(a, la, b, CS_DT_F32, kind, 32, detail, 160);
}

TEST(cause_weights_hw_swap_is_named)
{
    int64_t d[4] = {4, 3, 2, 5}, e[4] = {4, 3, 5, 2};
    cs_tensor *a = ramp(4, d), *b = cs_tensor_new(CS_DT_F32, 4, e, NULL);
    for (int o = 0; o < 4; o++)
        for (int i = 0; i < 3; i++)
            for (int h = 0; h < 2; h++)
                for (int w = 0; w < 5; w++)
                    ((float *)b->data)[((o * 3 + i) * 5 + w) * 2 + h] = ((float *)a->data)[((o * 3 + i) * 2 + h) * 5 + w];
    char kind[32], detail[160];
    explain(a, CS_LAYOUT_OIHW, b, kind, detail);
    EXPECT(strcmp(kind, "weights_layout") == 0);
    EXPECT(strcmp(detail, "H and W swapped") == 0);
    cs_tensor_free(a), cs_tensor_free(b);
}

TEST(cause_weights_flatten_scale_precision_different)
{
    int64_t d[2] = {3, 12}; /* 3 outputs, inputs C=3 x H*W=4 */
    cs_tensor *a = ramp(2, d), *b = cs_tensor_new(CS_DT_F32, 2, d, NULL);
    char kind[32], detail[160];
    for (int o = 0; o < 3; o++)
        for (int c = 0; c < 3; c++)
            for (int s = 0; s < 4; s++)
                ((float *)b->data)[o * 12 + s * 3 + c] = ((float *)a->data)[o * 12 + c * 4 + s];
    explain(a, CS_LAYOUT_OI, b, kind, detail);
    EXPECT(strcmp(kind, "weights_layout") == 0);
    EXPECT(strstr(detail, "CHW->HWC (C=3, HxW=2x2)") != NULL);
    for (int k = 0; k < 36; k++) /* output row 1 scaled by 2 */
        ((float *)b->data)[k] = ((float *)a->data)[k] * (k / 12 == 1 ? 2.0f : 1.0f);
    explain(a, CS_LAYOUT_OI, b, kind, detail);
    EXPECT(strcmp(kind, "weights_scaled") == 0);
    for (int k = 0; k < 36; k++)
        ((float *)b->data)[k] = cs_f16_to_f32(cs_f32_to_f16(((float *)a->data)[k]));
    explain(a, CS_LAYOUT_OI, b, kind, detail);
    EXPECT(strcmp(kind, "weights_precision") == 0 && strstr(detail, "fp16"));
    for (int k = 0; k < 36; k++)
        ((float *)b->data)[k] = ((float *)a->data)[k] + (k % 5 == 0 ? 0.3f : 0.0f);
    explain(a, CS_LAYOUT_OI, b, kind, detail);
    EXPECT(strcmp(kind, "weights_different") == 0);
    cs_tensor_free(a), cs_tensor_free(b);
}

TEST(cause_canon_same_pads_and_clip_bounds)
{
    cs_graph *g = cs_graph_new("t.onnx", "onnx");
    int x = cs_graph_value(g, "x"), y = cs_graph_value(g, "y"), z = cs_graph_value(g, "z");
    g->values[x].rank = 4;
    int64_t dims[4] = {1, 3, 8, 8};
    memcpy(g->values[x].dims, dims, sizeof dims);
    int64_t wd[4] = {2, 3, 3, 3}, one = 1;
    int w = cs_graph_add_constant(g, "w", cs_tensor_new(CS_DT_F32, 4, wd, NULL));
    cs_tensor *hi = cs_tensor_new(CS_DT_F32, 0, &one, NULL);
    ((float *)hi->data)[0] = 6;
    int lo = -1, h = cs_graph_add_constant(g, "hi", hi);
    int conv_in[2] = {x, w}, clip_in[3] = {y, lo, h};
    int n0 = cs_graph_add_node(g, "Conv", "c", conv_in, 2, &y, 1);
    int n1 = cs_graph_add_node(g, "Clip", "r", clip_in, 3, &z, 1);
    int64_t s[2] = {2, 2};
    cs_attrs_add_ints(&g->nodes[n0].attrs, "strides", s, 2);
    cs_attrs_add_string(&g->nodes[n0].attrs, "auto_pad", "SAME_UPPER");
    int l0 = cs_graph_add_layer(g, "c", "Conv", -1), l1 = cs_graph_add_layer(g, "r", "Clip", -1);
    cs_layer_add_node(g, l0, n0);
    cs_layer_add_node(g, l1, n1);
    cs_canon c;
    char buf[64];
    cs_canon_collect(g, &l0, 1, NULL, &c);
    /* 8 wide, kernel 3, stride 2 -> 4 outputs, 1 padded: TensorFlow's SAME puts it after (asymmetric) */
    EXPECT(cs_canon_find(&c, "pads") && strcmp(cs_canon_str(cs_canon_find(&c, "pads"), buf, sizeof buf), "[0,0,1,1]") == 0);
    EXPECT(cs_canon_find(&c, "group") && cs_canon_find(&c, "group")->v[0] == 1);
    cs_canon_collect(g, &l1, 1, NULL, &c);
    EXPECT(cs_canon_find(&c, "max") && cs_canon_find(&c, "max")->v[0] == 6);
    EXPECT(cs_canon_find(&c, "min") && strcmp(cs_canon_str(cs_canon_find(&c, "min"), buf, sizeof buf), "-inf") == 0);
    EXPECT(strcmp(cs_canon_name("kernel_size"), "kernel_shape") == 0 && strcmp(cs_canon_name("eps"), "epsilon") == 0);
    int n;
    const char *const *k = cs_cause_kinds(&n);
    EXPECT(n == 12 && strcmp(k[0], "weights_layout") == 0 && strcmp(k[n - 1], "unknown") == 0);
    cs_graph_free(g);
}

/* One Softmax/ReduceMean/Pad layer over an input of its own (layout lx, rank 4) in a fresh graph; returns the layer. */
static int one_op(cs_graph *g, const char *op, cs_layout lx, const char *out)
{
    char in[32];
    snprintf(in, sizeof in, "%s_in", out);
    int x = cs_graph_value(g, in), y = cs_graph_value(g, out);
    g->values[x].rank = 4;
    g->values[x].layout = lx;
    int64_t dims[4] = {1, 5, 6, 7};
    memcpy(g->values[x].dims, dims, sizeof dims);
    int n = cs_graph_add_node(g, op, out, &x, 1, &y, 1);
    int l = cs_graph_add_layer(g, out, op, -1);
    cs_layer_add_node(g, l, n);
    return n;
}

TEST(cause_canon_axes_stated_channels_first)
{
    cs_graph *g = cs_graph_new("k.h5", "keras");
    int s = one_op(g, "Softmax", CS_LAYOUT_NHWC, "s"), r = one_op(g, "ReduceMean", CS_LAYOUT_NHWC, "r");
    int p = one_op(g, "Pad", CS_LAYOUT_NHWC, "p"), q = one_op(g, "Softmax", CS_LAYOUT_NCHW, "q");
    cs_attrs_add_int(&g->nodes[s].attrs, "axis", -1);         /* Keras: the channels, last */
    int64_t axes[2] = {2, 1}, pads[8] = {0, 1, 2, 0, 0, 0, 1, 0}; /* H and W; NHWC begins then ends */
    cs_attrs_add_ints(&g->nodes[r].attrs, "axes", axes, 2);
    cs_attrs_add_ints(&g->nodes[p].attrs, "pads", pads, 8);
    cs_attrs_add_int(&g->nodes[q].attrs, "axis", 1);          /* ONNX: the channels, axis 1 */
    cs_canon c, d;
    char buf[64];
    int ls = g->nodes[s].layer, lr = g->nodes[r].layer, lp = g->nodes[p].layer, lq = g->nodes[q].layer;
    cs_canon_collect(g, &ls, 1, NULL, &c);
    cs_canon_collect(g, &lq, 1, NULL, &d);
    const cs_canon_attr *a = cs_canon_find(&c, "axis");
    EXPECT(a && a->v[0] == 1 && a->cl_rank == 4 && cs_canon_equal(a, cs_canon_find(&d, "axis")));
    cs_canon_attr back;
    cs_canon_to_native(a, a, &back); /* a hypothesis runs the node in its own (channels-last) terms */
    EXPECT(back.v[0] == 3);
    cs_canon_collect(g, &lr, 1, NULL, &c);
    a = cs_canon_find(&c, "axes");
    EXPECT(a && strcmp(cs_canon_str(a, buf, sizeof buf), "[2,3]") == 0); /* H,W of NHWC are NCHW's 2,3 */
    cs_canon_collect(g, &lp, 1, NULL, &c);
    a = cs_canon_find(&c, "pads");
    EXPECT(a && strcmp(cs_canon_str(a, buf, sizeof buf), "[0,0,1,2,0,0,0,1]") == 0);
    cs_canon_to_native(a, a, &back);
    EXPECT(back.v[1] == 1 && back.v[2] == 2 && back.v[6] == 1);
    cs_graph_free(g);
}

/* grad_op_test.c — the ONNX Gradient op (ai.onnx.preview.training) inside a graph: y = x * w with xs = [x],
 * zs = [w] gives dy/dx = w; with w left out of xs and zs the node fails naming it. */
#include <stdlib.h>
#include <string.h>

#include "engine/exec.h"
#include "test.h"

/* x, w inputs; y = Mul(x, w); dx = Gradient(x[, w]) with xs = [x] (and zs = [w] when with_zs). */
static cs_graph *gradient_graph(bool with_zs)
{
    cs_graph *g = cs_graph_new("gradient", "onnx");
    g->opset = 12;
    int x = cs_graph_value(g, "x"), w = cs_graph_value(g, "w"), y = cs_graph_value(g, "y"), dx = cs_graph_value(g, "dx");
    cs_graph_add_input(g, x);
    cs_graph_add_input(g, w);
    int mul_in[2] = {x, w};
    cs_graph_add_node(g, "Mul", "mul", mul_in, 2, &y, 1);
    int n = cs_graph_add_node(g, "Gradient", "grad", mul_in, with_zs ? 2 : 1, &dx, 1);
    free(g->nodes[n].domain);
    g->nodes[n].domain = strdup("ai.onnx.preview.training");
    const char *xs[1] = {"x"}, *zs[1] = {"w"};
    cs_attrs_add_strings(&g->nodes[n].attrs, "xs", xs, 1);
    if (with_zs)
        cs_attrs_add_strings(&g->nodes[n].attrs, "zs", zs, 1);
    cs_attrs_add_string(&g->nodes[n].attrs, "y", "y");
    cs_graph_add_output(g, y);
    cs_graph_add_output(g, dx);
    return g;
}

static cs_status run_gradient(bool with_zs, cs_tensor **out, cs_error *err)
{
    cs_graph *g = gradient_graph(with_zs);
    cs_plan *plan = NULL;
    int64_t d = 3;
    cs_tensor *x = cs_tensor_new(CS_DT_F32, 1, &d, NULL), *w = cs_tensor_new(CS_DT_F32, 1, &d, NULL);
    for (int i = 0; i < 3; i++)
        ((float *)x->data)[i] = (float)i, ((float *)w->data)[i] = 10.0f + (float)i;
    const cs_tensor *in[2] = {x, w};
    cs_status st = cs_plan_build(g, &plan, err);
    if (st == CS_OK)
        st = cs_exec_run(g, plan, in, out, NULL, NULL, err);
    cs_tensor_free(x), cs_tensor_free(w);
    cs_plan_free(plan);
    cs_graph_free(g);
    return st;
}

TEST(gradient_op_gives_d_sum_y_over_each_x)
{
    cs_tensor *out[2] = {NULL, NULL};
    cs_error err = {0};
    EXPECT(run_gradient(true, out, &err) == CS_OK);
    for (int i = 0; out[1] && i < 3; i++) /* d sum(x * w) / dx = w, exactly */
        EXPECT_NEAR(((float *)out[1]->data)[i], 10 + i, 0);
    cs_tensor_free(out[0]), cs_tensor_free(out[1]);
}

TEST(gradient_op_names_a_value_outside_xs_and_zs)
{
    cs_tensor *out[2] = {NULL, NULL};
    cs_error err = {0};
    EXPECT(run_gradient(false, out, &err) != CS_OK);
    EXPECT(strstr(err.msg, "'grad' (Gradient): y depends on 'w', which is neither in xs nor in zs") != NULL);
    EXPECT(out[0] == NULL && out[1] == NULL);
}

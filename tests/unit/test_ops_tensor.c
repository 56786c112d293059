/* test_ops_tensor.c — specifications of the tensor-manipulation kernels (shape, index, reduce, resize, misc):
 * opset-dependent inputs, clamping and tie rules, and the precise errors that untrusted shapes and indices give. */
#include <string.h>

#include "engine/ops/ops.h"
#include "op_call.h"
#include "test.h"

static cs_tensor *ints1(int n, const double *values)
{
    int64_t d = n;
    return op_tensor(CS_DT_I64, 1, &d, values);
}

static bool out_is(const cs_tensor *t, int n, const double *expected)
{
    if (!t || cs_tensor_numel(t) != n)
        return false;
    for (int i = 0; i < n; i++)
        if (cs_tensor_get_f64(t, i) != expected[i])
            return false;
    return true;
}

TEST(reshape_copies_zero_dims_and_infers_minus_one)
{
    int64_t xd[3] = {2, 3, 4};
    double xv[24] = {0}, sv[2] = {0, -1};
    cs_tensor *x = op_tensor(CS_DT_F32, 3, xd, xv), *s = ints1(2, sv);
    op_call c = {.op = "Reshape", .opset = 14, .in = {x, s}, .n_in = 2};
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT(c.out[0] && c.out[0]->rank == 2 && c.out[0]->dims[0] == 2 && c.out[0]->dims[1] == 12);
    op_call_free(&c);
    cs_tensor_free(x);
    cs_tensor_free(s);
}

TEST(reshape_to_a_shape_of_another_size_fails_with_both_counts)
{
    int64_t xd[1] = {6};
    double xv[6] = {0}, sv[2] = {4, 2};
    cs_tensor *x = op_tensor(CS_DT_F32, 1, xd, xv), *s = ints1(2, sv);
    op_call c = {.op = "Reshape", .opset = 14, .in = {x, s}, .n_in = 2};
    EXPECT(op_call_run(&c) == CS_ERR_SHAPE);
    EXPECT(strstr(c.err.msg, "8") && strstr(c.err.msg, "6"));
    op_call_free(&c);
    cs_tensor_free(x);
    cs_tensor_free(s);
}

TEST(gather_with_an_out_of_range_index_fails_naming_it)
{
    int64_t xd[1] = {3};
    double xv[3] = {1, 2, 3}, iv[2] = {-3, 3};
    cs_tensor *x = op_tensor(CS_DT_F32, 1, xd, xv), *i = ints1(2, iv);
    op_call c = {.op = "Gather", .opset = 13, .in = {x, i}, .n_in = 2};
    EXPECT(op_call_run(&c) == CS_ERR_SHAPE);
    EXPECT(strstr(c.err.msg, "index 3") != NULL);
    op_call_free(&c);
    cs_tensor_free(x);
    cs_tensor_free(i);
}

TEST(slice_with_negative_step_walks_backwards_and_clamps_the_end)
{
    int64_t xd[1] = {5};
    double xv[5] = {0, 1, 2, 3, 4}, st[1] = {-1}, en[1] = {-1000}, ax[1] = {0}, sp[1] = {-2};
    cs_tensor *x = op_tensor(CS_DT_F32, 1, xd, xv), *s = ints1(1, st), *e = ints1(1, en), *a = ints1(1, ax),
              *p = ints1(1, sp);
    op_call c = {.op = "Slice", .opset = 13, .in = {x, s, e, a, p}, .n_in = 5};
    EXPECT(op_call_run(&c) == CS_OK);
    double want[3] = {4, 2, 0};
    EXPECT(out_is(c.out[0], 3, want));
    op_call_free(&c);
    cs_tensor_free(x);
    cs_tensor_free(s);
    cs_tensor_free(e);
    cs_tensor_free(a);
    cs_tensor_free(p);
}

TEST(pad_reflect_mirrors_without_repeating_the_edge)
{
    int64_t xd[1] = {3};
    double xv[3] = {1, 2, 3}, pv[2] = {2, 2};
    cs_tensor *x = op_tensor(CS_DT_F32, 1, xd, xv), *p = ints1(2, pv);
    op_call c = {.op = "Pad", .opset = 13, .in = {x, p}, .n_in = 2};
    cs_attrs_add_string(&c.attrs, "mode", "reflect");
    EXPECT(op_call_run(&c) == CS_OK);
    double want[7] = {3, 2, 1, 2, 3, 2, 1};
    EXPECT(out_is(c.out[0], 7, want));
    op_call_free(&c);
    cs_tensor_free(x);
    cs_tensor_free(p);
}

TEST(reduce_sum_takes_axes_from_an_input_from_opset_13_and_noop_on_empty_axes)
{
    int64_t xd[2] = {2, 2}, ed[1] = {0};
    double xv[4] = {1, 2, 3, 4}, av[1] = {1};
    cs_tensor *x = op_tensor(CS_DT_F32, 2, xd, xv), *a = ints1(1, av), *empty = op_tensor(CS_DT_I64, 1, ed, NULL);
    op_call c = {.op = "ReduceSum", .opset = 13, .in = {x, a}, .n_in = 2};
    cs_attrs_add_int(&c.attrs, "keepdims", 0);
    EXPECT(op_call_run(&c) == CS_OK);
    double want[2] = {3, 7};
    EXPECT(out_is(c.out[0], 2, want) && c.out[0]->rank == 1);
    op_call_free(&c);
    op_call n = {.op = "ReduceSum", .opset = 13, .in = {x, empty}, .n_in = 2};
    cs_attrs_add_int(&n.attrs, "noop_with_empty_axes", 1);
    EXPECT(op_call_run(&n) == CS_OK);
    EXPECT(out_is(n.out[0], 4, xv));
    op_call_free(&n);
    cs_tensor_free(x);
    cs_tensor_free(a);
    cs_tensor_free(empty);
}

TEST(topk_keeps_the_lower_index_first_among_ties)
{
    int64_t xd[1] = {4};
    double xv[4] = {1, 5, 5, 2}, kv[1] = {2};
    cs_tensor *x = op_tensor(CS_DT_F32, 1, xd, xv), *k = ints1(1, kv);
    op_call c = {.op = "TopK", .opset = 11, .in = {x, k}, .n_in = 2, .n_out = 2};
    EXPECT(op_call_run(&c) == CS_OK);
    double want_v[2] = {5, 5}, want_i[2] = {1, 2};
    EXPECT(out_is(c.out[0], 2, want_v) && out_is(c.out[1], 2, want_i));
    op_call_free(&c);
    cs_tensor_free(x);
    cs_tensor_free(k);
}

TEST(scatter_nd_with_an_out_of_range_index_fails_cleanly)
{
    int64_t xd[1] = {4}, id[2] = {1, 1}, ud[1] = {1};
    double xv[4] = {0}, iv[1] = {7}, uv[1] = {9};
    cs_tensor *x = op_tensor(CS_DT_F32, 1, xd, xv), *i = op_tensor(CS_DT_I64, 2, id, iv), *u = op_tensor(CS_DT_F32, 1, ud, uv);
    op_call c = {.op = "ScatterND", .opset = 16, .in = {x, i, u}, .n_in = 3};
    EXPECT(op_call_run(&c) == CS_ERR_SHAPE);
    EXPECT(strstr(c.err.msg, "out of range") != NULL);
    op_call_free(&c);
    cs_tensor_free(x);
    cs_tensor_free(i);
    cs_tensor_free(u);
}

TEST(unique_unsorted_keeps_first_occurrence_order_with_inverse_and_counts)
{
    int64_t xd[1] = {5};
    double xv[5] = {3, 1, 3, 2, 1};
    cs_tensor *x = op_tensor(CS_DT_F32, 1, xd, xv);
    op_call c = {.op = "Unique", .opset = 11, .in = {x}, .n_in = 1, .n_out = 4};
    cs_attrs_add_int(&c.attrs, "sorted", 0);
    EXPECT(op_call_run(&c) == CS_OK);
    double y[3] = {3, 1, 2}, first[3] = {0, 1, 3}, inv[5] = {0, 1, 0, 2, 1}, cnt[3] = {2, 2, 1};
    EXPECT(out_is(c.out[0], 3, y) && out_is(c.out[1], 3, first));
    EXPECT(out_is(c.out[2], 5, inv) && out_is(c.out[3], 3, cnt));
    op_call_free(&c);
    cs_tensor_free(x);
}

TEST(expand_to_a_negative_dimension_fails)
{
    int64_t xd[1] = {1};
    double xv[1] = {1}, sv[2] = {2, -3};
    cs_tensor *x = op_tensor(CS_DT_F32, 1, xd, xv), *s = ints1(2, sv);
    op_call c = {.op = "Expand", .opset = 13, .in = {x, s}, .n_in = 2};
    EXPECT(op_call_run(&c) == CS_ERR_SHAPE);
    EXPECT(strstr(c.err.msg, "-3") != NULL);
    op_call_free(&c);
    cs_tensor_free(x);
    cs_tensor_free(s);
}

TEST(resize_nearest_asymmetric_floor_repeats_pixels)
{
    int64_t xd[2] = {1, 2}, sd[1] = {2};
    double xv[2] = {1, 2}, sv[2] = {1, 2};
    cs_tensor *x = op_tensor(CS_DT_F32, 2, xd, xv), *s = op_tensor(CS_DT_F32, 1, sd, sv);
    op_call c = {.op = "Resize", .opset = 13, .in = {x, NULL, s}, .n_in = 3};
    cs_attrs_add_string(&c.attrs, "coordinate_transformation_mode", "asymmetric");
    cs_attrs_add_string(&c.attrs, "nearest_mode", "floor");
    EXPECT(op_call_run(&c) == CS_OK);
    double want[4] = {1, 1, 2, 2};
    EXPECT(out_is(c.out[0], 4, want));
    op_call_free(&c);
    cs_tensor_free(x);
    cs_tensor_free(s);
}

TEST(det_of_a_2x2_matrix_is_ad_minus_bc)
{
    int64_t xd[2] = {2, 2};
    double xv[4] = {3, 8, 4, 6};
    cs_tensor *x = op_tensor(CS_DT_F32, 2, xd, xv);
    op_call c = {.op = "Det", .opset = 11, .in = {x}, .n_in = 1};
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT(c.out[0] && c.out[0]->rank == 0);
    EXPECT_NEAR(c.out[0] ? cs_tensor_get_f64(c.out[0], 0) : 0, -14, 1e-5);
    op_call_free(&c);
    cs_tensor_free(x);
}

/* Resize antialias=1 (opset 18) against PyTorch's F.interpolate(antialias=True, align_corners=False) of an
 * 8x9 ramp-and-sine image (torch 1.13, float64): torch renormalises the filter over the taps inside the image,
 * which is ONNX's exclude_outside=1; its bicubic uses A = -0.5. Tolerance 1e-5: float32 output of values below 7. */
TEST(resize_antialias_matches_torch_interpolate)
{
    static const struct {
        const char *mode;
        double a;
        int64_t w;
        double want[36];
    } cases[] = {
        {"linear", -0.75, 4, {1.564263855, 2.008040956, 1.139414230, 0.887299693, 3.748259210, 4.148547518,
                              3.266074995, 3.054758585, 5.931473060, 6.287972683, 5.393340094, 5.223449294}},
        {"cubic", -0.5, 4, {1.347035198, 1.915994400, 0.910379804, 0.675866409, 3.724889761, 4.240876252,
                            3.218115355, 3.035255361, 6.101806718, 6.564263753, 5.526681378, 5.396210411}},
        {"linear", -0.75, 12, {1.013318000, 1.475606294, 1.914259109, 2.178715877, 2.152658096, 1.875693311,
                               1.492570739, 1.075111115, 0.765848160, 0.715385933, 0.889295910, 1.178064271,
                               3.208807462, 3.664534993, 4.090071623, 4.335860303, 4.289591266, 3.998793448,
                               3.609893391, 3.195617576, 2.900445390, 2.869458301, 3.062317944, 3.365542408,
                               5.404207754, 5.852778272, 6.264667198, 6.491528823, 6.425232411, 6.121156220,
                               5.727182089, 5.316831971, 5.036311845, 5.024960602, 5.236591202, 5.553906757}}};
    double xv[72];
    for (int i = 0; i < 72; i++)
        xv[i] = sin(0.7 * i) + 0.1 * i;
    int64_t xd[4] = {1, 1, 8, 9}, sd[1] = {4};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        double sizes[4] = {1, 1, 3, (double)cases[k].w};
        cs_tensor *x = op_tensor(CS_DT_F32, 4, xd, xv), *s = op_tensor(CS_DT_I64, 1, sd, sizes);
        op_call c = {.op = "Resize", .opset = 18, .in = {x, NULL, NULL, s}, .n_in = 4};
        cs_attrs_add_string(&c.attrs, "mode", cases[k].mode);
        cs_attrs_add_int(&c.attrs, "antialias", 1);
        cs_attrs_add_int(&c.attrs, "exclude_outside", 1);
        cs_attrs_add_float(&c.attrs, "cubic_coeff_a", cases[k].a);
        EXPECT(op_call_run(&c) == CS_OK && c.out[0] && cs_tensor_numel(c.out[0]) == 3 * cases[k].w);
        for (int64_t i = 0; c.out[0] && i < 3 * cases[k].w; i++)
            EXPECT_NEAR(cs_tensor_get_f64(c.out[0], i), cases[k].want[i], 1e-5);
        op_call_free(&c);
        cs_tensor_free(x);
        cs_tensor_free(s);
    }
}

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

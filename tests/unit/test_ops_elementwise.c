/* test_ops_elementwise.c — specifications of the element-wise kernels (math, activation, softmax):
 * broadcasting, integer semantics, opset-dependent attributes and the errors bad input gives. */
#include <string.h>

#include "engine/ops/ops.h"
#include "op_call.h"
#include "test.h"

TEST(add_broadcasts_a_per_channel_bias_over_nchw)
{
    int64_t xd[4] = {1, 2, 2, 2}, bd[3] = {2, 1, 1};
    double xv[8] = {1, 2, 3, 4, 5, 6, 7, 8}, bv[2] = {10, 100};
    cs_tensor *x = op_tensor(CS_DT_F32, 4, xd, xv), *b = op_tensor(CS_DT_F32, 3, bd, bv);
    op_call c = {.op = "Add", .opset = 14, .in = {x, b}, .n_in = 2, .n_out = 1};
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT(c.out[0] && c.out[0]->rank == 4 && cs_tensor_numel(c.out[0]) == 8);
    EXPECT_NEAR(cs_tensor_get_f64(c.out[0], 3), 14, 0);
    EXPECT_NEAR(cs_tensor_get_f64(c.out[0], 4), 105, 0);
    op_call_free(&c);
    cs_tensor_free(x);
    cs_tensor_free(b);
}

TEST(add_with_incompatible_shapes_names_both_shapes)
{
    int64_t ad[1] = {3}, bd[1] = {4};
    double v[4] = {0};
    cs_tensor *a = op_tensor(CS_DT_F32, 1, ad, v), *b = op_tensor(CS_DT_F32, 1, bd, v);
    op_call c = {.op = "Add", .opset = 14, .in = {a, b}, .n_in = 2, .n_out = 1};
    EXPECT(op_call_run(&c) == CS_ERR_SHAPE);
    EXPECT(strstr(c.err.msg, "[4]") && strstr(c.err.msg, "[3]"));
    op_call_free(&c);
    cs_tensor_free(a);
    cs_tensor_free(b);
}

TEST(legacy_add_aligns_b_at_axis_before_opset_7)
{
    int64_t ad[3] = {2, 3, 2}, bd[1] = {3};
    double av[12] = {0}, bv[3] = {1, 2, 3};
    cs_tensor *a = op_tensor(CS_DT_F32, 3, ad, av), *b = op_tensor(CS_DT_F32, 1, bd, bv);
    op_call c = {.op = "Add", .opset = 6, .in = {a, b}, .n_in = 2, .n_out = 1};
    cs_attrs_add_int(&c.attrs, "broadcast", 1);
    cs_attrs_add_int(&c.attrs, "axis", 1);
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT_NEAR(cs_tensor_get_f64(c.out[0], 1), 1, 0); /* [0,0,1] */
    EXPECT_NEAR(cs_tensor_get_f64(c.out[0], 2), 2, 0); /* [0,1,0] */
    op_call_free(&c);
    cs_tensor_free(a);
    cs_tensor_free(b);
}

TEST(integer_div_truncates_toward_zero_and_rejects_zero_divisors)
{
    int64_t d[1] = {2};
    double av[2] = {-7, 7}, bv[2] = {2, -2}, zv[2] = {1, 0};
    cs_tensor *a = op_tensor(CS_DT_I32, 1, d, av), *b = op_tensor(CS_DT_I32, 1, d, bv);
    cs_tensor *z = op_tensor(CS_DT_I32, 1, d, zv);
    op_call c = {.op = "Div", .opset = 14, .in = {a, b}, .n_in = 2, .n_out = 1};
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT(cs_tensor_get_i64(c.out[0], 0) == -3 && cs_tensor_get_i64(c.out[0], 1) == -3);
    op_call_free(&c);
    op_call bad = {.op = "Div", .opset = 14, .in = {a, z}, .n_in = 2, .n_out = 1};
    EXPECT(op_call_run(&bad) == CS_ERR_ARG);
    EXPECT(strstr(bad.err.msg, "element 1") != NULL);
    op_call_free(&bad);
    cs_tensor_free(a);
    cs_tensor_free(b);
    cs_tensor_free(z);
}

TEST(mod_takes_divisor_sign_unless_fmod_is_set)
{
    int64_t d[1] = {2};
    double av[2] = {-7, 7}, bv[2] = {3, -3};
    cs_tensor *a = op_tensor(CS_DT_I64, 1, d, av), *b = op_tensor(CS_DT_I64, 1, d, bv);
    op_call py = {.op = "Mod", .opset = 13, .in = {a, b}, .n_in = 2, .n_out = 1};
    EXPECT(op_call_run(&py) == CS_OK);
    EXPECT(cs_tensor_get_i64(py.out[0], 0) == 2 && cs_tensor_get_i64(py.out[0], 1) == -2);
    op_call c = {.op = "Mod", .opset = 13, .in = {a, b}, .n_in = 2, .n_out = 1};
    cs_attrs_add_int(&c.attrs, "fmod", 1);
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT(cs_tensor_get_i64(c.out[0], 0) == -1 && cs_tensor_get_i64(c.out[0], 1) == 1);
    op_call_free(&py);
    op_call_free(&c);
    cs_tensor_free(a);
    cs_tensor_free(b);
}

TEST(int8_add_wraps_like_numpy)
{
    int64_t d[1] = {1};
    double av[1] = {127}, bv[1] = {1};
    cs_tensor *a = op_tensor(CS_DT_I8, 1, d, av), *b = op_tensor(CS_DT_I8, 1, d, bv);
    op_call c = {.op = "Add", .opset = 14, .in = {a, b}, .n_in = 2, .n_out = 1};
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT(cs_tensor_get_i64(c.out[0], 0) == -128);
    op_call_free(&c);
    cs_tensor_free(a);
    cs_tensor_free(b);
}

TEST(round_goes_half_to_even)
{
    int64_t d[1] = {4};
    double v[4] = {0.5, 1.5, 2.5, -2.5};
    cs_tensor *x = op_tensor(CS_DT_F32, 1, d, v);
    op_call c = {.op = "Round", .opset = 11, .in = {x}, .n_in = 1, .n_out = 1};
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT_NEAR(cs_tensor_get_f64(c.out[0], 0), 0, 0);
    EXPECT_NEAR(cs_tensor_get_f64(c.out[0], 1), 2, 0);
    EXPECT_NEAR(cs_tensor_get_f64(c.out[0], 2), 2, 0);
    EXPECT_NEAR(cs_tensor_get_f64(c.out[0], 3), -2, 0);
    op_call_free(&c);
    cs_tensor_free(x);
}

TEST(pow_keeps_the_base_dtype_with_an_integer_exponent)
{
    int64_t d[1] = {2};
    double bv[2] = {3, -2}, ev[2] = {3, 5};
    cs_tensor *b = op_tensor(CS_DT_I32, 1, d, bv), *e = op_tensor(CS_DT_I64, 1, d, ev);
    op_call c = {.op = "Pow", .opset = 15, .in = {b, e}, .n_in = 2, .n_out = 1};
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT(c.out[0]->dtype == CS_DT_I32);
    EXPECT(cs_tensor_get_i64(c.out[0], 0) == 27 && cs_tensor_get_i64(c.out[0], 1) == -32);
    op_call_free(&c);
    cs_tensor_free(b);
    cs_tensor_free(e);
}

TEST(where_broadcasts_condition_and_both_branches)
{
    int64_t cd[2] = {2, 1}, xd[1] = {3}, yd[1] = {1};
    double cv[2] = {1, 0}, xv[3] = {1, 2, 3}, yv[1] = {-1};
    cs_tensor *cond = op_tensor(CS_DT_BOOL, 2, cd, cv), *x = op_tensor(CS_DT_F32, 1, xd, xv);
    cs_tensor *y = op_tensor(CS_DT_F32, 0, yd, yv);
    op_call c = {.op = "Where", .opset = 16, .in = {cond, x, y}, .n_in = 3, .n_out = 1};
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT(cs_tensor_numel(c.out[0]) == 6);
    EXPECT_NEAR(cs_tensor_get_f64(c.out[0], 2), 3, 0);
    EXPECT_NEAR(cs_tensor_get_f64(c.out[0], 4), -1, 0);
    op_call_free(&c);
    cs_tensor_free(cond);
    cs_tensor_free(x);
    cs_tensor_free(y);
}

TEST(max_is_variadic_and_propagates_nan)
{
    int64_t d[1] = {2}, sd[1] = {1};
    double av[2] = {1, NAN}, bv[2] = {5, 0}, cv[1] = {3};
    cs_tensor *a = op_tensor(CS_DT_F32, 1, d, av), *b = op_tensor(CS_DT_F32, 1, d, bv);
    cs_tensor *s = op_tensor(CS_DT_F32, 0, sd, cv);
    op_call c = {.op = "Max", .opset = 13, .in = {a, b, s}, .n_in = 3, .n_out = 1};
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT_NEAR(cs_tensor_get_f64(c.out[0], 0), 5, 0);
    EXPECT(isnan(cs_tensor_get_f64(c.out[0], 1)));
    op_call_free(&c);
    cs_tensor_free(a);
    cs_tensor_free(b);
    cs_tensor_free(s);
}

TEST(clip_reads_attributes_before_opset_11_and_inputs_after)
{
    int64_t d[1] = {3}, sd[1] = {1};
    double v[3] = {-5, 0.25, 5}, lo[1] = {-1};
    cs_tensor *x = op_tensor(CS_DT_F32, 1, d, v), *min = op_tensor(CS_DT_F32, 0, sd, lo);
    op_call old = {.op = "Clip", .opset = 6, .in = {x}, .n_in = 1, .n_out = 1};
    cs_attrs_add_float(&old.attrs, "min", -0.5);
    cs_attrs_add_float(&old.attrs, "max", 0.5);
    EXPECT(op_call_run(&old) == CS_OK);
    EXPECT_NEAR(cs_tensor_get_f64(old.out[0], 0), -0.5, 0);
    EXPECT_NEAR(cs_tensor_get_f64(old.out[0], 2), 0.5, 0);
    op_call now = {.op = "Clip", .opset = 13, .in = {x, min, NULL}, .n_in = 3, .n_out = 1};
    EXPECT(op_call_run(&now) == CS_OK);
    EXPECT_NEAR(cs_tensor_get_f64(now.out[0], 0), -1, 0);
    EXPECT_NEAR(cs_tensor_get_f64(now.out[0], 2), 5, 0);
    op_call_free(&old);
    op_call_free(&now);
    cs_tensor_free(x);
    cs_tensor_free(min);
}

TEST(prelu_before_opset_7_applies_a_1d_slope_per_channel)
{
    int64_t xd[3] = {1, 2, 2}, sd[1] = {2};
    double xv[4] = {-1, -1, -1, 1}, sv[2] = {0.5, 0.25};
    cs_tensor *x = op_tensor(CS_DT_F32, 3, xd, xv), *s = op_tensor(CS_DT_F32, 1, sd, sv);
    op_call c = {.op = "PRelu", .opset = 6, .in = {x, s}, .n_in = 2, .n_out = 1};
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT_NEAR(cs_tensor_get_f64(c.out[0], 1), -0.5, 0);
    EXPECT_NEAR(cs_tensor_get_f64(c.out[0], 2), -0.25, 0);
    EXPECT_NEAR(cs_tensor_get_f64(c.out[0], 3), 1, 0);
    op_call_free(&c);
    cs_tensor_free(x);
    cs_tensor_free(s);
}

TEST(softmax_axis_convention_depends_on_opset)
{
    int64_t d[2] = {2, 2};
    double v[4] = {0, 0, 0, 0};
    cs_tensor *x = op_tensor(CS_DT_F32, 2, d, v);
    op_call old = {.op = "Softmax", .opset = 11, .in = {x}, .n_in = 1, .n_out = 1};
    cs_attrs_add_int(&old.attrs, "axis", 0); /* coerced to one row of 4 */
    EXPECT(op_call_run(&old) == CS_OK);
    EXPECT_NEAR(cs_tensor_get_f64(old.out[0], 0), 0.25, 1e-7);
    op_call now = {.op = "Softmax", .opset = 13, .in = {x}, .n_in = 1, .n_out = 1};
    cs_attrs_add_int(&now.attrs, "axis", 0); /* along the column of 2 */
    EXPECT(op_call_run(&now) == CS_OK);
    EXPECT_NEAR(cs_tensor_get_f64(now.out[0], 0), 0.5, 1e-7);
    op_call_free(&old);
    op_call_free(&now);
    cs_tensor_free(x);
}

TEST(softmax_is_stable_for_large_inputs)
{
    int64_t d[1] = {2};
    double v[2] = {10000, 10000};
    cs_tensor *x = op_tensor(CS_DT_F32, 1, d, v);
    op_call c = {.op = "LogSoftmax", .opset = 13, .in = {x}, .n_in = 1, .n_out = 1};
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT_NEAR(cs_tensor_get_f64(c.out[0], 0), -0.69314718, 1e-6);
    op_call_free(&c);
    cs_tensor_free(x);
}

TEST(nll_loss_mean_divides_by_the_weights_of_counted_targets)
{
    int64_t xd[2] = {2, 2}, td[1] = {2};
    double xv[4] = {-1, -2, -3, -4}, tv[2] = {1, 0};
    cs_tensor *x = op_tensor(CS_DT_F32, 2, xd, xv), *t = op_tensor(CS_DT_I64, 1, td, tv);
    op_call c = {.op = "NegativeLogLikelihoodLoss", .opset = 13, .in = {x, t}, .n_in = 2, .n_out = 1};
    cs_attrs_add_int(&c.attrs, "ignore_index", 0);
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT(c.out[0]->rank == 0);
    EXPECT_NEAR(cs_tensor_get_f64(c.out[0], 0), 2, 0); /* only sample 0 counts: -x[0][1] = 2 */
    op_call_free(&c);
    cs_tensor_free(x);
    cs_tensor_free(t);
}

TEST(nll_loss_rejects_a_target_class_out_of_range)
{
    int64_t xd[2] = {1, 2}, td[1] = {1};
    double xv[2] = {0, 0}, tv[1] = {7};
    cs_tensor *x = op_tensor(CS_DT_F32, 2, xd, xv), *t = op_tensor(CS_DT_I64, 1, td, tv);
    op_call c = {.op = "NegativeLogLikelihoodLoss", .opset = 13, .in = {x, t}, .n_in = 2, .n_out = 1};
    EXPECT(op_call_run(&c) == CS_ERR_ARG);
    EXPECT(strstr(c.err.msg, "class 7") != NULL);
    op_call_free(&c);
    cs_tensor_free(x);
    cs_tensor_free(t);
}

TEST(bitshift_of_a_u8_past_its_width_gives_zero)
{
    int64_t d[1] = {2};
    double av[2] = {1, 255}, bv[2] = {8, 70};
    cs_tensor *a = op_tensor(CS_DT_U8, 1, d, av), *b = op_tensor(CS_DT_U8, 1, d, bv);
    op_call c = {.op = "BitShift", .opset = 11, .in = {a, b}, .n_in = 2, .n_out = 1};
    cs_attrs_add_string(&c.attrs, "direction", "LEFT");
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT(cs_tensor_get_i64(c.out[0], 0) == 0 && cs_tensor_get_i64(c.out[0], 1) == 0);
    op_call_free(&c);
    cs_tensor_free(a);
    cs_tensor_free(b);
}

TEST(gelu_computes_exact_and_tanh_forms_and_mish_matches_its_formula)
{
    int64_t d[1] = {2};
    double v[2] = {1, -2};
    cs_tensor *x = op_tensor(CS_DT_F64, 1, d, v);
    op_call exact = {.op = "Gelu", .opset = 20, .in = {x}, .n_in = 1, .n_out = 1};
    EXPECT(op_call_run(&exact) == CS_OK);
    EXPECT_NEAR(cs_tensor_get_f64(exact.out[0], 0), 0.8413447460685429, 1e-12);
    EXPECT_NEAR(cs_tensor_get_f64(exact.out[0], 1), -0.04550026389635842, 1e-12);
    op_call approx = {.op = "Gelu", .opset = 20, .in = {x}, .n_in = 1, .n_out = 1};
    cs_attrs_add_string(&approx.attrs, "approximate", "tanh");
    EXPECT(op_call_run(&approx) == CS_OK);
    EXPECT_NEAR(cs_tensor_get_f64(approx.out[0], 0), 0.8411919906082768, 1e-12);
    op_call mish = {.op = "Mish", .opset = 18, .in = {x}, .n_in = 1, .n_out = 1};
    EXPECT(op_call_run(&mish) == CS_OK);
    EXPECT_NEAR(cs_tensor_get_f64(mish.out[0], 0), 0.8650983882673103, 1e-12);
    op_call bad = {.op = "Gelu", .opset = 20, .in = {x}, .n_in = 1, .n_out = 1};
    cs_attrs_add_string(&bad.attrs, "approximate", "fast");
    EXPECT(op_call_run(&bad) == CS_ERR_FORMAT);
    op_call_free(&exact);
    op_call_free(&approx);
    op_call_free(&mish);
    op_call_free(&bad);
    cs_tensor_free(x);
}

TEST(comparisons_of_u64_order_values_above_2_pow_63_correctly)
{
    int64_t d[1] = {1};
    cs_tensor *a = cs_tensor_new(CS_DT_U64, 1, d, NULL), *b = cs_tensor_new(CS_DT_U64, 1, d, NULL);
    ((uint64_t *)a->data)[0] = UINT64_MAX;
    ((uint64_t *)b->data)[0] = 1;
    op_call c = {.op = "Greater", .opset = 13, .in = {a, b}, .n_in = 2, .n_out = 1};
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT(c.out[0]->dtype == CS_DT_BOOL && cs_tensor_get_i64(c.out[0], 0) == 1);
    op_call_free(&c);
    cs_tensor_free(a);
    cs_tensor_free(b);
}

TEST(rounding_ops_pass_integers_through_and_round_floats)
{
    /* an integer is already whole: Floor/Ceil/Round of int64 (torch lowerings meet them) return it unchanged */
    int64_t d[1] = {3};
    double iv[3] = {-9007199254740993.0, -3, 5}, fv[3] = {-2.5, 2.5, 0.49};
    cs_tensor *i = op_tensor(CS_DT_I64, 1, d, iv), *f = op_tensor(CS_DT_F32, 1, d, fv);
    static const char *const ops[3] = {"Floor", "Ceil", "Round"};
    static const double want[3][3] = {{-3, 2, 0}, {-2, 3, 1}, {-2, 2, 0}};
    for (int k = 0; k < 3; k++) {
        op_call ci = {.op = ops[k], .opset = 13, .in = {i}, .n_in = 1, .n_out = 1};
        EXPECT(op_call_run(&ci) == CS_OK && ci.out[0]->dtype == CS_DT_I64);
        for (int j = 0; ci.out[0] && j < 3; j++)
            EXPECT(cs_tensor_get_i64(ci.out[0], j) == cs_tensor_get_i64(i, j));
        op_call_free(&ci);
        op_call cf = {.op = ops[k], .opset = 13, .in = {f}, .n_in = 1, .n_out = 1};
        EXPECT(op_call_run(&cf) == CS_OK);
        for (int j = 0; cf.out[0] && j < 3; j++)
            EXPECT(((const float *)cf.out[0]->data)[j] == (float)want[k][j]);
        op_call_free(&cf);
    }
    cs_tensor_free(i);
    cs_tensor_free(f);
}

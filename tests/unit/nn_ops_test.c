/* nn_ops_test.c — specifications of the neural-network kernels run through the op registry: Einsum's
 * implicit output order, MaxPool Indices in both storage orders, Gemm broadcasting and Conv's shape errors. */
#include <string.h>

#include "engine/ops/ops.h"
#include "op_call.h"
#include "test.h"

static void nn_free(op_call *c, cs_tensor **inputs, int n)
{
    op_call_free(c);
    for (int i = 0; i < n; i++)
        cs_tensor_free(inputs[i]);
}

static cs_tensor *f32(int rank, const int64_t *dims, const float *values)
{
    cs_tensor *t = cs_tensor_new(CS_DT_F32, rank, dims, NULL);
    memcpy(t->data, values, t->nbytes);
    return t;
}

TEST(einsum_implicit_output_orders_letters_alphabetically)
{
    /* "ji" has no "->": the output is "ij", i.e. the transpose of a 2x3 input. */
    const int64_t dims[2] = {2, 3};
    const float v[6] = {1, 2, 3, 4, 5, 6};
    cs_tensor *x = f32(2, dims, v);
    op_call c = {.op = "Einsum", .opset = 12, .in = {x}, .n_in = 1};
    cs_attrs_add_string(&c.attrs, "equation", "ji");
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT(c.out[0] && c.out[0]->dims[0] == 3 && c.out[0]->dims[1] == 2);
    const float want[6] = {1, 4, 2, 5, 3, 6};
    for (int i = 0; c.out[0] && i < 6; i++)
        EXPECT_NEAR(((float *)c.out[0]->data)[i], want[i], 0);
    nn_free(&c, &x, 1);
}

TEST(einsum_repeated_label_reads_the_diagonal_and_ellipsis_broadcasts)
{
    const int64_t dims[3] = {2, 2, 2};
    const float v[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    cs_tensor *x = f32(3, dims, v);
    op_call c = {.op = "Einsum", .opset = 12, .in = {x}, .n_in = 1};
    cs_attrs_add_string(&c.attrs, "equation", "...ii->...i");
    EXPECT(op_call_run(&c) == CS_OK);
    const float want[4] = {1, 4, 5, 8}; /* diagonals of [[1,2],[3,4]] and [[5,6],[7,8]] */
    for (int i = 0; c.out[0] && i < 4; i++)
        EXPECT_NEAR(((float *)c.out[0]->data)[i], want[i], 0);
    nn_free(&c, &x, 1);
}

TEST(einsum_rejects_an_output_label_missing_from_the_inputs)
{
    const int64_t dims[1] = {3};
    const float v[3] = {1, 2, 3};
    cs_tensor *x = f32(1, dims, v);
    op_call c = {.op = "Einsum", .opset = 12, .in = {x}, .n_in = 1};
    cs_attrs_add_string(&c.attrs, "equation", "i->j");
    EXPECT(op_call_run(&c) == CS_ERR_FORMAT);
    EXPECT(strstr(c.err.msg, "node 't' (Einsum)") != NULL);
    nn_free(&c, &x, 1);
}

/* MaxPool over a whole 2x2 plane whose maximum 4 sits at row 0, column 1. */
static void maxpool_index(int64_t storage_order, int64_t want_index, int *cs_failures_)
{
    const int64_t dims[4] = {1, 1, 2, 2}, kernel[2] = {2, 2};
    const float v[4] = {1, 4, 3, 2};
    cs_tensor *x = f32(4, dims, v);
    op_call c = {.op = "MaxPool", .opset = 12, .in = {x}, .n_in = 1, .n_out = 2};
    cs_attrs_add_ints(&c.attrs, "kernel_shape", kernel, 2);
    cs_attrs_add_int(&c.attrs, "storage_order", storage_order);
    EXPECT(op_call_run(&c) == CS_OK);
    EXPECT(c.out[0] && ((float *)c.out[0]->data)[0] == 4.0f);
    EXPECT(c.out[1] && c.out[1]->dtype == CS_DT_I64 && ((int64_t *)c.out[1]->data)[0] == want_index);
    nn_free(&c, &x, 1);
}

TEST(maxpool_indices_are_row_major_by_default)
{
    maxpool_index(0, 1, cs_failures_);
}

TEST(maxpool_indices_are_column_major_with_storage_order_1)
{
    maxpool_index(1, 2, cs_failures_); /* row 0 + column 1 * height 2 */
}

TEST(gemm_broadcasts_a_row_bias_and_applies_alpha_beta)
{
    const int64_t da[2] = {2, 2}, dc[1] = {2};
    const float a[4] = {1, 2, 3, 4}, id[4] = {1, 0, 0, 1}, bias[2] = {10, 20};
    cs_tensor *in[3] = {f32(2, da, a), f32(2, da, id), f32(1, dc, bias)};
    op_call c = {.op = "Gemm", .opset = 13, .in = {in[0], in[1], in[2]}, .n_in = 3};
    cs_attrs_add_float(&c.attrs, "alpha", 2.0);
    cs_attrs_add_float(&c.attrs, "beta", 0.5);
    EXPECT(op_call_run(&c) == CS_OK);
    const float want[4] = {2 + 5, 4 + 10, 6 + 5, 8 + 10};
    for (int i = 0; c.out[0] && i < 4; i++)
        EXPECT_NEAR(((float *)c.out[0]->data)[i], want[i], 1e-6);
    nn_free(&c, in, 3);
}

TEST(conv_rejects_a_group_that_does_not_divide_the_channels)
{
    const int64_t dx[4] = {1, 3, 4, 4}, dw[4] = {2, 1, 1, 1};
    float xv[48] = {0}, wv[2] = {1, 1};
    cs_tensor *in[2] = {f32(4, dx, xv), f32(4, dw, wv)};
    op_call c = {.op = "Conv", .opset = 11, .in = {in[0], in[1]}, .n_in = 2};
    cs_attrs_add_int(&c.attrs, "group", 2);
    EXPECT(op_call_run(&c) == CS_ERR_SHAPE);
    EXPECT(strstr(c.err.msg, "group 2") != NULL);
    nn_free(&c, in, 2);
}

TEST(conv_rejects_a_kernel_larger_than_the_padded_input)
{
    const int64_t dx[3] = {1, 1, 2}, dw[3] = {1, 1, 5};
    float xv[2] = {1, 2}, wv[5] = {1, 1, 1, 1, 1};
    cs_tensor *in[2] = {f32(3, dx, xv), f32(3, dw, wv)};
    op_call c = {.op = "Conv", .opset = 11, .in = {in[0], in[1]}, .n_in = 2};
    EXPECT(op_call_run(&c) == CS_ERR_SHAPE);
    EXPECT(strstr(c.err.msg, "larger than the padded input") != NULL);
    nn_free(&c, in, 2);
}

/* matmul.c — op family 'matmul': Gemm, MatMul (numpy batching and 1-D promotion), MatMulInteger
 * and Einsum (einsum.c); f32/f64 go through BLAS, f16/bf16 widen to f32, integers use exact loops. */
#include "registry.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_backend.h"
#include "einsum.h"
#include "fastpath.h"
#include "fusion.h"
#include "matmul_core.h"
#include "quant_util.h"
#include "infer.h"
#include "../grad/backward.h"

/* ---- batched planning ---- */

static void split_operand(const cs_tensor *t, bool is_a, int64_t *rows, int64_t *cols, int *batch_rank)
{
    if (t->rank == 1) {
        *rows = is_a ? 1 : t->dims[0];
        *cols = is_a ? t->dims[0] : 1;
        *batch_rank = 0;
        return;
    }
    *rows = t->dims[t->rank - 2];
    *cols = t->dims[t->rank - 1];
    *batch_rank = t->rank - 2;
}

cs_status cs_matmul_plan_make(cs_kernel_ctx *ctx, const cs_tensor *a, const cs_tensor *b, cs_matmul_plan *p)
{
    char sa[128], sb[128];
    if (a->rank < 1 || b->rank < 1)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "operands must have rank >= 1 (got %d and %d)", a->rank, b->rank);
    memset(p, 0, sizeof *p);
    int64_t kb;
    int ra, rb;
    split_operand(a, true, &p->M, &p->K, &ra);
    split_operand(b, false, &kb, &p->N, &rb);
    if (kb != p->K || !cs_broadcast_shape(ra, a->dims, rb, b->dims, &p->batch_rank, p->batch_dims))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "shapes %s and %s cannot be multiplied",
                              cs_shape_str(a->rank, a->dims, sa, sizeof sa), cs_shape_str(b->rank, b->dims, sb, sizeof sb));
    cs_broadcast_strides(ra, a->dims, p->batch_rank, p->batch_dims, p->a_stride);
    cs_broadcast_strides(rb, b->dims, p->batch_rank, p->batch_dims, p->b_stride);
    if (!cs_shape_numel(p->batch_rank, p->batch_dims, &p->batch))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "batch shape is too large");
    if (p->M > INT32_MAX || p->N > INT32_MAX || p->K > INT32_MAX)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "matrix sizes beyond 2^31 rows or columns are not supported");
    p->rank = p->batch_rank;
    memcpy(p->dims, p->batch_dims, (size_t)p->batch_rank * sizeof *p->dims);
    if (a->rank > 1)
        p->dims[p->rank++] = p->M;
    if (b->rank > 1)
        p->dims[p->rank++] = p->N;
    return CS_OK;
}

void cs_matmul_offsets(const cs_matmul_plan *p, int64_t index, int64_t *a_off, int64_t *b_off)
{
    *a_off = *b_off = 0;
    for (int d = p->batch_rank - 1; d >= 0; d--) {
        int64_t coord = index % p->batch_dims[d];
        index /= p->batch_dims[d];
        *a_off += coord * p->a_stride[d];
        *b_off += coord * p->b_stride[d];
    }
}

static int ld(int64_t n)
{
    return (int)(n > 0 ? n : 1);
}

/* cblas_sgemm's signature (row-major only): oneDNN's sgemm on the fast path, OpenBLAS for the reference. */
static void sgemm(CBLAS_LAYOUT layout, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha,
                  const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    if (cs_kernels_fast())
        cs_dnnl_sgemm(ta == CblasTrans, tb == CblasTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    else
        cblas_sgemm(layout, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static bool b_is_shared(const cs_matmul_plan *p)
{
    int64_t rows;
    if (__builtin_mul_overflow(p->batch, p->M, &rows) || rows > INT32_MAX)
        return false;
    for (int d = 0; d < p->batch_rank; d++)
        if (p->b_stride[d] != 0 || p->a_stride[d] == 0)
            return false;
    return true;
}

/* y = a x b, plus y's own contents when accumulate (a bias already written into every row). */
static void matmul_f32_acc(const cs_matmul_plan *p, const float *a, const float *b, float *y, bool accumulate)
{
    if (p->M == 0 || p->N == 0 || p->K == 0)
        return;
    float beta = accumulate ? 1.0f : 0.0f;
    if (b_is_shared(p)) { /* one GEMM over all rows of A */
        sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(p->batch * p->M), (int)p->N, (int)p->K, 1, a,
                    ld(p->K), b, ld(p->N), beta, y, ld(p->N));
        return;
    }
    for (int64_t i = 0; i < p->batch; i++) {
        int64_t ao, bo;
        cs_matmul_offsets(p, i, &ao, &bo);
        sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)p->M, (int)p->N, (int)p->K, 1,
                    a + ao * p->M * p->K, ld(p->K), b + bo * p->K * p->N, ld(p->N), beta, y + i * p->M * p->N,
                    ld(p->N));
    }
}

static void matmul_f32(const cs_matmul_plan *p, const float *a, const float *b, float *y)
{
    matmul_f32_acc(p, a, b, y, false);
}

/* The fused MatMul -> Add bias's bias (fusion.h) where it is one f32 row of N values broadcast over the rows of
 * the product; NULL otherwise (the Add then runs on its own). */
static const cs_tensor *fused_bias(const cs_kernel_ctx *ctx, const cs_matmul_plan *p)
{
    const cs_fusion *f = ctx->fuse;
    const cs_tensor *bias = f && f->bias_value >= 0 && ctx->graph ? ctx->graph->values[f->bias_value].data : NULL;
    if (!bias || bias->dtype != CS_DT_F32 || bias->rank < 1 || bias->rank > p->rank || p->rank < 1 ||
        cs_tensor_numel(bias) != p->N || bias->dims[bias->rank - 1] != p->N || p->dims[p->rank - 1] != p->N)
        return NULL;
    return bias;
}

/* f32 products on the fast path and the fused bias: oneDNN's matmul primitive with packed weights where B is a
 * constant matrix shared by every row of A; else every output row starts as the bias and the product is accumulated
 * onto it (a float32 reassociation of the unfused sum; an empty K leaves the bias). 1: done; 0: nothing written (the
 * caller's plain path runs, and the Add on its own); -1: failed (ctx->err). */
static int matmul_f32_fast(cs_kernel_ctx *ctx, const cs_matmul_plan *p, const cs_tensor *a, const cs_tensor *b)
{
    if (a->dtype != CS_DT_F32 || b->dtype != CS_DT_F32)
        return 0;
    const cs_tensor *bias = ctx->fuse ? fused_bias(ctx, p) : NULL;
    bool dnnl = cs_kernels_fast() && b->rank == 2 && p->M > 0 && p->K > 0 && p->N > 0 && b_is_shared(p);
    if (!bias && !dnnl)
        return 0;
    cs_tensor *y = cs_kernel_output_raw(ctx, 0, CS_DT_F32, p->rank, p->dims);
    if (!y)
        return -1;
    bool handled = false;
    if (dnnl && cs_dnnl_matmul(ctx, p->batch * p->M, a->data, b, bias, y->data, &handled) != CS_OK)
        return -1;
    if (!handled && bias) {
        int64_t rows = p->N > 0 ? cs_tensor_numel(y) / p->N : 0;
        for (int64_t r = 0; r < rows; r++)
            memcpy((float *)y->data + r * p->N, bias->data, (size_t)p->N * sizeof(float));
    }
    if (!handled)
        matmul_f32_acc(p, a->data, b->data, y->data, bias != NULL);
    ctx->fuse_done = bias != NULL;
    return 1;
}

void cs_matmul_f64(const cs_matmul_plan *p, const double *a, const double *b, double *y)
{
    if (p->M == 0 || p->N == 0 || p->K == 0)
        return;
    for (int64_t i = 0; i < p->batch; i++) {
        int64_t ao, bo;
        cs_matmul_offsets(p, i, &ao, &bo);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)p->M, (int)p->N, (int)p->K, 1,
                    a + ao * p->M * p->K, ld(p->K), b + bo * p->K * p->N, ld(p->N), 0, y + i * p->M * p->N, ld(p->N));
    }
}

/* Integer matmul with wrap-around (two's complement) arithmetic, stored through set_i64. */
static void matmul_int(const cs_matmul_plan *p, const cs_tensor *a, const cs_tensor *b, cs_tensor *y)
{
    for (int64_t i = 0; i < p->batch; i++) {
        int64_t ao, bo;
        cs_matmul_offsets(p, i, &ao, &bo);
        ao *= p->M * p->K;
        bo *= p->K * p->N;
        for (int64_t m = 0; m < p->M; m++)
            for (int64_t n = 0; n < p->N; n++) {
                uint64_t acc = 0;
                for (int64_t k = 0; k < p->K; k++)
                    acc += (uint64_t)cs_tensor_get_i64(a, ao + m * p->K + k) *
                           (uint64_t)cs_tensor_get_i64(b, bo + k * p->N + n);
                cs_tensor_set_i64(y, (i * p->M + m) * p->N + n, (int64_t)acc);
            }
    }
}

/* Runs f on f32 copies of half-precision operands and rounds the result into y. */
static cs_status matmul_widened(cs_kernel_ctx *ctx, const cs_matmul_plan *p, const cs_tensor *a,
                                const cs_tensor *b, cs_tensor *y)
{
    cs_tensor *af = cs_tensor_cast(a, CS_DT_F32, ctx->err);
    cs_tensor *bf = af ? cs_tensor_cast(b, CS_DT_F32, ctx->err) : NULL;
    cs_tensor *yf = bf ? cs_tensor_new(CS_DT_F32, y->rank, y->dims, ctx->err) : NULL;
    if (yf) {
        matmul_f32(p, af->data, bf->data, yf->data);
        for (int64_t i = 0; i < cs_tensor_numel(y); i++)
            cs_tensor_set_f64(y, i, ((const float *)yf->data)[i]);
    }
    cs_tensor_free(af);
    cs_tensor_free(bf);
    cs_tensor_free(yf);
    if (!yf)
        return cs_kernel_fail(ctx, ctx->err->status, "widening to f32 failed");
    return CS_OK;
}

static cs_status op_matmul(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    const cs_tensor *a = cs_kernel_input(ctx, 0), *b = cs_kernel_input(ctx, 1);
    cs_matmul_plan p;
    if (st == CS_OK)
        st = cs_matmul_plan_make(ctx, a, b, &p);
    if (st != CS_OK)
        return st;
    if (a->dtype != b->dtype || !cs_dtype_size(a->dtype) || a->dtype == CS_DT_BOOL)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "operand dtypes %s and %s are not supported",
                              cs_dtype_name(a->dtype), cs_dtype_name(b->dtype));
    int fast = matmul_f32_fast(ctx, &p, a, b);
    if (fast)
        return fast > 0 ? CS_OK : ctx->err->status;
    cs_tensor *y = cs_kernel_output(ctx, 0, a->dtype, p.rank, p.dims);
    if (!y)
        return ctx->err->status;
    switch (a->dtype) {
    case CS_DT_F32: matmul_f32(&p, a->data, b->data, y->data); return CS_OK;
    case CS_DT_F64: cs_matmul_f64(&p, a->data, b->data, y->data); return CS_OK;
    case CS_DT_F16:
    case CS_DT_BF16: return matmul_widened(ctx, &p, a, b, y);
    default: matmul_int(&p, a, b, y); return CS_OK;
    }
}

/* ---- MatMulInteger ---- */

static cs_status op_matmul_integer(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    const cs_tensor *a = cs_kernel_input(ctx, 0), *b = cs_kernel_input(ctx, 1);
    cs_matmul_plan p;
    double *ad = NULL, *bd = NULL, *yd = NULL;
    if (st == CS_OK)
        st = cs_matmul_plan_make(ctx, a, b, &p);
    if (st == CS_OK)
        st = cs_quant_centre_matrix(ctx, a, cs_kernel_input(ctx, 2), true, &ad);
    if (st == CS_OK)
        st = cs_quant_centre_matrix(ctx, b, cs_kernel_input(ctx, 3), false, &bd);
    cs_tensor *y = st == CS_OK ? cs_kernel_output(ctx, 0, CS_DT_I32, p.rank, p.dims) : NULL;
    if (y && (yd = cs_quant_doubles(ctx, cs_tensor_numel(y)))) {
        memset(yd, 0, (size_t)cs_tensor_numel(y) * sizeof *yd);
        cs_matmul_f64(&p, ad, bd, yd);
        for (int64_t i = 0; i < cs_tensor_numel(y); i++)
            ((int32_t *)y->data)[i] = (int32_t)cs_quant_saturate(yd[i], CS_DT_I32);
    }
    free(ad);
    free(bd);
    free(yd);
    return st != CS_OK ? st : (y && yd) ? CS_OK : ctx->err->status;
}

/* ---- Gemm ---- */

typedef struct gemm_shape {
    int64_t M, N, K;
    bool trans_a, trans_b;
    double alpha, beta;
    int64_t c_stride[2]; /* broadcast strides of C over [M, N] */
} gemm_shape;

static cs_status gemm_c_strides(cs_kernel_ctx *ctx, const cs_tensor *c, gemm_shape *g)
{
    int64_t target[2] = {g->M, g->N};
    if (!c)
        return CS_OK;
    int r;
    int64_t out[CS_MAX_RANK];
    if (c->rank > 2 || !cs_broadcast_shape(c->rank, c->dims, 2, target, &r, out) || out[0] != g->M ||
        out[1] != g->N)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "C of rank %d cannot broadcast to [%lld,%lld]", c->rank,
                              (long long)g->M, (long long)g->N);
    cs_broadcast_strides(c->rank, c->dims, 2, target, g->c_stride);
    return CS_OK;
}

static cs_status gemm_shape_make(cs_kernel_ctx *ctx, const cs_tensor *a, const cs_tensor *b, const cs_tensor *c,
                                 gemm_shape *g)
{
    if (a->rank != 2 || b->rank != 2)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "A and B must be 2-D (got rank %d and %d)", a->rank, b->rank);
    g->trans_a = cs_attrs_int(&ctx->node->attrs, "transA", 0) != 0;
    g->trans_b = cs_attrs_int(&ctx->node->attrs, "transB", 0) != 0;
    g->alpha = cs_attrs_float(&ctx->node->attrs, "alpha", 1.0);
    g->beta = cs_attrs_float(&ctx->node->attrs, "beta", 1.0);
    g->M = a->dims[g->trans_a ? 1 : 0];
    g->K = a->dims[g->trans_a ? 0 : 1];
    g->N = b->dims[g->trans_b ? 0 : 1];
    int64_t kb = b->dims[g->trans_b ? 1 : 0];
    if (kb != g->K)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "inner dimensions differ: A gives %lld, B gives %lld",
                              (long long)g->K, (long long)kb);
    if (g->M > INT32_MAX || g->N > INT32_MAX || g->K > INT32_MAX)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "matrix sizes beyond 2^31 rows or columns are not supported");
    if (c && c->dtype != a->dtype)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "C is %s but A is %s", cs_dtype_name(c->dtype),
                              cs_dtype_name(a->dtype));
    return gemm_c_strides(ctx, c, g);
}

#define CS_DEFINE_GEMM(T, SUF, GEMM)                                                                      \
    static void gemm_##SUF(const gemm_shape *g, const T *a, const T *b, const T *c, T *y)                \
    {                                                                                                    \
        for (int64_t m = 0; c && m < g->M; m++)                                                          \
            for (int64_t n = 0; n < g->N; n++)                                                           \
                y[m * g->N + n] = (T)g->beta * c[m * g->c_stride[0] + n * g->c_stride[1]];                \
        if (g->M == 0 || g->N == 0 || g->K == 0)                                                         \
            return;                                                                                      \
        GEMM(CblasRowMajor, g->trans_a ? CblasTrans : CblasNoTrans, g->trans_b ? CblasTrans : CblasNoTrans, \
             (int)g->M, (int)g->N, (int)g->K, (T)g->alpha, a, ld(g->trans_a ? g->M : g->K), b,             \
             ld(g->trans_b ? g->K : g->N), c ? 1 : 0, y, ld(g->N));                                        \
    }

CS_DEFINE_GEMM(float, f32, sgemm)
CS_DEFINE_GEMM(double, f64, cblas_dgemm)

/* Generic path (f16, bf16 and integers): exact int64 accumulation, alpha/beta applied when not 1. */
static void gemm_generic(const gemm_shape *g, const cs_tensor *a, const cs_tensor *b, const cs_tensor *c,
                         cs_tensor *y)
{
    bool is_float = cs_dtype_is_float(a->dtype);
    for (int64_t m = 0; m < g->M; m++)
        for (int64_t n = 0; n < g->N; n++) {
            double accf = 0;
            uint64_t acci = 0;
            for (int64_t k = 0; k < g->K; k++) {
                int64_t ia = g->trans_a ? k * g->M + m : m * g->K + k;
                int64_t ib = g->trans_b ? n * g->K + k : k * g->N + n;
                if (is_float)
                    accf += cs_tensor_get_f64(a, ia) * cs_tensor_get_f64(b, ib);
                else
                    acci += (uint64_t)cs_tensor_get_i64(a, ia) * (uint64_t)cs_tensor_get_i64(b, ib);
            }
            int64_t ic = m * g->c_stride[0] + n * g->c_stride[1], iy = m * g->N + n;
            bool exact = !is_float && g->alpha == 1.0 && (g->beta == 1.0 || !c);
            if (exact)
                cs_tensor_set_i64(y, iy, (int64_t)(acci + (c ? (uint64_t)cs_tensor_get_i64(c, ic) : 0)));
            else
                cs_tensor_set_f64(y, iy, g->alpha * (is_float ? accf : (double)(int64_t)acci) +
                                             (c ? g->beta * cs_tensor_get_f64(c, ic) : 0));
        }
}

static cs_status op_gemm(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    const cs_tensor *a = cs_kernel_input(ctx, 0), *b = cs_kernel_input(ctx, 1), *c = cs_kernel_input(ctx, 2);
    gemm_shape g = {0};
    if (st == CS_OK)
        st = gemm_shape_make(ctx, a, b, c, &g);
    if (st != CS_OK)
        return st;
    if (a->dtype != b->dtype || !cs_dtype_size(a->dtype) || a->dtype == CS_DT_BOOL)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "operand dtypes %s and %s are not supported",
                              cs_dtype_name(a->dtype), cs_dtype_name(b->dtype));
    int64_t dims[2] = {g.M, g.N};
    cs_tensor *y = cs_kernel_output(ctx, 0, a->dtype, 2, dims);
    if (!y)
        return ctx->err->status;
    if (a->dtype == CS_DT_F32)
        gemm_f32(&g, a->data, b->data, c ? c->data : NULL, y->data);
    else if (a->dtype == CS_DT_F64)
        gemm_f64(&g, a->data, b->data, c ? c->data : NULL, y->data);
    else
        gemm_generic(&g, a, b, c, y);
    return CS_OK;
}

const cs_op_def cs_ops_matmul[] = {
    {.name = "Gemm", .run = op_gemm, .infer = cs_infer_gemm, .backward = cs_grad_gemm},
    {.name = "MatMul", .run = op_matmul, .infer = cs_infer_matmul, .backward = cs_grad_matmul},
    {.name = "MatMulInteger", .run = op_matmul_integer},
    {.name = "Einsum", .run = cs_einsum_op},
    {.name = NULL},
};

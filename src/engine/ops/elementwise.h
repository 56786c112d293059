/* elementwise.h — shared machinery for the element-wise op families (math, activation, softmax):
 * numpy broadcasting walked row by row with coalesced dims, and typed unary/binary drivers. */
#ifndef CS_ELEMENTWISE_H
#define CS_ELEMENTWISE_H

#include <stdbool.h>
#include <stdint.h>

#include "ops.h"

#define CS_EW_MAX_IN 3

/* A broadcast of up to CS_EW_MAX_IN inputs to one output, with adjacent dims merged where
 * every input walks them contiguously (same shape -> 1 dim, bias per channel -> 3 dims). */
typedef struct cs_ew_plan {
    int n_in;
    int out_rank;                   /* the broadcast output shape, as the user sees it */
    int64_t out_dims[CS_MAX_RANK];
    int rank;                       /* coalesced iteration space, >= 1 */
    int64_t dims[CS_MAX_RANK];
    int64_t strides[CS_EW_MAX_IN][CS_MAX_RANK]; /* element strides per input (0 = broadcast) */
    int64_t numel;
} cs_ew_plan;

/* One innermost run: out[out_off + i] pairs with in_k[in_off[k] + i * in_step[k]], i < len. */
typedef struct cs_ew_row {
    int64_t out_off;
    int64_t in_off[CS_EW_MAX_IN];
    int64_t in_step[CS_EW_MAX_IN];  /* 0 or 1 */
    int64_t len;
} cs_ew_row;

typedef void (*cs_ew_row_fn)(void *user, const cs_ew_row *row);

/* Plans the broadcast of ins[0..n_in) (none NULL); fails naming the shapes when incompatible. */
cs_status cs_ew_plan_init(cs_kernel_ctx *ctx, const cs_tensor *const *ins, int n_in, cs_ew_plan *plan);
/* Calls fn once per innermost run, in row-major output order. */
void cs_ew_for_rows(const cs_ew_plan *plan, cs_ew_row_fn fn, void *user);
/* The same with the rows shared over the --threads count when the plan is big (parallel.h); fn must be pure
 * per row (it writes only its row of the output), and rows may run in any order. */
void cs_ew_for_rows_parallel(const cs_ew_plan *plan, cs_ew_row_fn fn, void *user);

/* ---- binary ops: out = f(a, b) with broadcasting ---- */

typedef struct cs_binary_fns {
    float (*f32)(float, float);             /* f32 fast path; NULL: f32 goes through f64 */
    double (*f64)(double, double);          /* f64, f16, bf16; NULL: float dtypes are rejected */
    int64_t (*i64)(int64_t, int64_t);       /* integer and bool dtypes; NULL: rejected */
    uint64_t (*u64)(uint64_t, uint64_t);    /* u64 only; NULL: u64 uses i64 */
    bool bool_out;                          /* comparison: output is bool, f returns 0 or 1 */
    bool bool_only;                         /* logic op: inputs must be bool */
    char f32_arith;                         /* '+', '-', '*', '/': an inlined f32 loop; 0: none */
} cs_binary_fns;

/* A new tensor f(a, b); NULL on failure with ctx->err naming the node. */
cs_tensor *cs_ew_binary_new(cs_kernel_ctx *ctx, const cs_tensor *a, const cs_tensor *b, const cs_binary_fns *fns);
/* The status a failed helper left in ctx->err (CS_ERR_SHAPE when none was recorded). */
cs_status cs_ew_failed(const cs_kernel_ctx *ctx);
/* Stores t (owned) as output i, freeing what was there. */
void cs_ew_set_output(cs_kernel_ctx *ctx, int i, cs_tensor *t);

/* Computes ctx->fuse, a subgraph of one input (fusion.h, in_value >= 0: GELU, layer normalisation), on x into out[0] in one
 * vectorised pass and sets ctx->fuse_done; leaves it unset (CS_OK, nothing written) where x is not f32. */
cs_status cs_ew_act_subgraph(cs_kernel_ctx *ctx, const cs_tensor *x);

/* ---- unary ops: out = f(x; params) ---- */

typedef struct cs_ew_params {
    double a, b;                            /* op attributes (alpha, beta, ...) */
} cs_ew_params;

typedef struct cs_unary_fns {
    float (*f32)(float, const cs_ew_params *);     /* f32 fast path; NULL: f32 goes through f64 */
    double (*f64)(double, const cs_ew_params *);   /* float dtypes; NULL: rejected */
    int64_t (*i64)(int64_t, const cs_ew_params *); /* signed integer dtypes; NULL: rejected */
    uint64_t (*u64)(uint64_t, const cs_ew_params *); /* unsigned integer dtypes; NULL: use i64 */
    bool bool_out;                                 /* predicate: output is bool */
} cs_unary_fns;

/* Runs f on input 0 into output 0 (same shape). */
cs_status cs_ew_unary(cs_kernel_ctx *ctx, const cs_unary_fns *fns, const cs_ew_params *params);

/* A whole-array f32 loop, y[i] = f(x[i]) for i < n, written so the compiler vectorises it. */
typedef void (*cs_ew_f32_loop)(const float *restrict x, float *restrict y, int64_t n, const cs_ew_params *p);
/* cs_ew_unary with a fast path: an f32 input runs loop (no call per element), other dtypes fns. */
cs_status cs_ew_unary_loop(cs_kernel_ctx *ctx, cs_ew_f32_loop loop, const cs_unary_fns *fns,
                           const cs_ew_params *params);
/* loop(x, y, n, p) with [0, n) shared over the --threads count when n is big (parallel.h); each part starts
 * on a multiple of 64 elements, so the results do not depend on the thread count. */
void cs_ew_f32_loop_parallel(cs_ew_f32_loop loop, const float *x, float *y, int64_t n, const cs_ew_params *p);

/* True for u8, u16, u32, u64. */
bool cs_ew_dtype_is_unsigned(cs_dtype dtype);

#endif

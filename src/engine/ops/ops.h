/* ops.h — the kernel interface and op registry: one table row per op, one file per op family.
 * A kernel reads its inputs, checks attributes and shapes, allocates and fills its outputs. */
#ifndef CS_OPS_H
#define CS_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "../graph.h"
#include "../status.h"
#include "../tensor.h"

/* What the executor lends control-flow kernels (If, Loop, Scan): planning and running a subgraph, so ops
 * never include the executor. A plan is opaque here. */
typedef struct cs_subgraph_runner {
    cs_status (*plan)(const cs_graph *sub, void **plan, cs_error *err);
    void (*free_plan)(void *plan);
    /* inputs[i] feeds sub->inputs[i], captured[i] sub->captures[i]; outputs get owned tensors */
    cs_status (*run)(const cs_graph *sub, const void *plan, const cs_tensor *const *inputs,
                     const cs_tensor *const *captured, cs_tensor **outputs, cs_error *err);
} cs_subgraph_runner;

typedef struct cs_kernel_ctx {
    const cs_graph *graph;
    const cs_node *node;
    const cs_tensor *const *in;  /* n_in entries; NULL for an absent optional input */
    int n_in;
    cs_tensor **out;             /* n_out slots, NULL on entry; the kernel fills every used one */
    int n_out;
    int64_t opset;               /* opset of the node's domain */
    cs_error *err;
    struct cs_bufpool *pool;     /* where outputs come from (the executor's reuse pool); NULL: fresh */
    const cs_subgraph_runner *sub; /* the executor's subgraph runner (control flow); NULL: none */
    /* fast path only (zero elsewhere): */
    const struct cs_fusion *fuse;   /* followers the executor asks this node to compute too; NULL: none */
    const cs_tensor *fuse_sum;      /* the live residual of fuse->sum_value */
    cs_tensor *fuse_sum_owned;      /* the same when the kernel may take it as its output buffer, else NULL */
    bool fuse_done;                 /* set by the kernel: out[0] holds fuse->out_value */
    bool fuse_sum_taken;            /* set by the kernel: out[0] is fuse_sum_owned */
    struct cs_dnnl_cache *cache;    /* the plan's primitives and packed weights; NULL: none */
    /* channels-last values between fast convolutions (rank 4: logical N,C,H,W stored as N,H,W,C) */
    bool in_nhwc;                   /* input 0 is stored channels-last */
    bool sum_nhwc;                  /* fuse_sum is stored channels-last */
    bool nhwc_out_ok;               /* the kernel may store out[0] channels-last */
    bool out_nhwc;                  /* set by the kernel: out[0] is stored channels-last */
    /* input 0 when this node is its last use and the executor owns it: a kernel that only relabels the shape
     * (Reshape, Flatten, Squeeze, Unsqueeze, Identity) may take it as out[0] instead of copying it */
    cs_tensor *in0_owned;
    bool in0_taken;                 /* set by the kernel: out[0] is in0_owned, its dims relabelled */
} cs_kernel_ctx;

typedef cs_status (*cs_kernel_fn)(cs_kernel_ctx *ctx);

/* A value's dtype and shape as inference sees it: rank -1 when unknown, a dim -1 when unknown. */
typedef struct cs_shape {
    cs_dtype dtype;
    int rank;
    int64_t dims[CS_MAX_RANK];
} cs_shape;

/* What an op's infer function sees and fills (ops/infer.h has the shared rules). */
typedef struct cs_infer_ctx {
    const cs_graph *graph;
    const cs_node *node;
    const cs_shape *in;          /* n_in entries; rank -1 for an absent or unknown input */
    const cs_tensor *const *known; /* per input: its value when constant (a Reshape's shape), else NULL */
    int n_in;
    cs_shape *out;               /* n_out slots to fill */
    int n_out;
    int64_t opset;
    cs_error *err;
} cs_infer_ctx;

typedef cs_status (*cs_infer_fn)(cs_infer_ctx *ctx);

struct cs_grad_ctx;

/* One op: a row of its family's table, written with designated initializers ({.name = "Relu", .run = op_relu,
 * .infer = cs_infer_same}); the fields it does not name are NULL. */
typedef struct cs_op_def {
    const char *name;            /* ONNX op name; NULL ends a table */
    cs_kernel_fn run;
    cs_infer_fn infer;           /* output dtypes and shapes from the inputs' (NULL: known only by running) */
    cs_status (*backward)(struct cs_grad_ctx *ctx); /* NULL: not differentiable (grad/backward.h) */
    const char *domain;          /* NULL: the ONNX default domain ("convscope" ops live in ext*.c) */
    /* checks node n's attributes when the graph is planned, before any input (a pattern RegexFullMatch
     * refuses): an error names the file and the node; NULL: nothing to check */
    cs_status (*check)(const cs_graph *g, int n, cs_error *err);
} cs_op_def;

/* Looks up the kernel for (domain, op); NULL when unknown. "" and "ai.onnx" are the default domain. */
const cs_op_def *cs_ops_find(const char *domain, const char *op);
/* Number of registered ops, and the i-th one (for listings). */
int cs_ops_count(void);
const cs_op_def *cs_ops_at(int i);
/* Infers the outputs of node n of g from its inputs' shapes `in` (constants read from the graph) with the
 * op's infer (registry.c); CS_ERR_UNSUPPORTED when the op has none. */
cs_status cs_infer_node(const cs_graph *g, int n, const cs_shape *in, cs_shape *out, cs_error *err);
/* Declares the dtype and shape of node n's outputs from its inputs' declared ones through cs_infer_node (for
 * readers building a graph); outputs inference leaves unknown keep what they had. Errors as cs_infer_node. */
cs_status cs_infer_outputs(cs_graph *g, int n, cs_error *err);

/* ---- helpers for kernels (ops_util.c) ---- */

/* Sets ctx->err to "node 'NAME' (OP): <message>" and returns status. */
cs_status cs_kernel_fail(cs_kernel_ctx *ctx, cs_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Input i, or NULL when absent / out of range. */
const cs_tensor *cs_kernel_input(const cs_kernel_ctx *ctx, int i);
/* Fails unless at least n inputs are present (non-NULL). */
cs_status cs_kernel_need_inputs(cs_kernel_ctx *ctx, int n);
/* Allocates output i with the given dtype and shape, zero-filled; NULL on failure (ctx->err set). */
cs_tensor *cs_kernel_output(cs_kernel_ctx *ctx, int i, cs_dtype dtype, int rank, const int64_t *dims);
/* The same, with unspecified contents: for kernels that write every element. */
cs_tensor *cs_kernel_output_raw(cs_kernel_ctx *ctx, int i, cs_dtype dtype, int rank, const int64_t *dims);
/* A tensor not stored in any slot (from the pool when there is one; contents unspecified unless zero);
 * store it with cs_ew_set_output or free it. NULL on failure (ctx->err set). */
cs_tensor *cs_kernel_tensor(cs_kernel_ctx *ctx, cs_dtype dtype, int rank, const int64_t *dims, bool zero);
/* True when output slot i exists and is consumed (value index >= 0). */
bool cs_kernel_output_used(const cs_kernel_ctx *ctx, int i);
/* Normalises a possibly negative axis against rank; fails when out of range. */
cs_status cs_kernel_axis(cs_kernel_ctx *ctx, int64_t axis, int rank, int *out);
/* Reads a 1-D integer tensor (i32/i64) into a malloc'd array; returns count or -1 (ctx->err set). */
int cs_kernel_read_ints(cs_kernel_ctx *ctx, const cs_tensor *t, int64_t **out);

/* numpy-style broadcast of two shapes; false when incompatible. */
bool cs_broadcast_shape(int ra, const int64_t *da, int rb, const int64_t *db, int *rout, int64_t *dout);
/* Row-major strides of `dims` broadcast to an output of rank `rout` (0 stride on broadcast dims). */
void cs_broadcast_strides(int r, const int64_t *dims, int rout, const int64_t *dout, int64_t *strides);

#endif

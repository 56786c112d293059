/* bench.h — timing one model: latency percentiles over repeated runs after warm-up, throughput, planned
 * and process-peak memory, file size, parameters, MACs counted from observed shapes, per-layer mean time. */
#ifndef CS_BENCH_H
#define CS_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../orch/loaded.h"
#include "../status.h"
#include "jobs.h"
#include "stats.h"

typedef struct cs_bench_opts {
    int runs, warmup;
    int64_t batch;         /* fills a free batch dim of synthetic inputs; other free dims are probed */
    int top_layers;        /* layers kept in the profile */
    const cs_tensor *input; /* fed to the first input when not NULL (borrowed): --input, the explorer's input */
    const char *input_desc; /* what `input` is, for the report ("samples/x.png") */
} cs_bench_opts;

typedef struct cs_bench_layer {
    char name[128];
    double mean_ms;        /* mean time per run (the layer's nodes summed) */
} cs_bench_layer;

typedef struct cs_bench_op {
    char op[48];           /* the IR op name (ONNX vocabulary) */
    int nodes;             /* nodes of that op in the graph */
    double mean_ms;        /* mean time per run in those nodes (a fused chain counts in its head's op) */
} cs_bench_op;

typedef struct cs_bench_result {
    char path[1024];
    int64_t batch;         /* the batch actually run */
    int runs;              /* timed runs done */
    cs_timing latency;     /* per timed run, ms (runs/stats.h) */
    cs_timing cpu;         /* process CPU time (user+sys, all threads) per timed run, ms: robust on a loaded
                            * machine, where wall latency also counts time the run waited for a core */
    double min_ms, median_ms, p90_ms, max_ms, throughput; /* latency's figures, samples/s at the median */
    size_t peak_bytes, const_bytes, rss_peak_bytes;
    size_t packed_bytes;   /* weights the fast path packed (oneDNN layouts, BatchNorm folded), held beside const_bytes */
    size_t rss_bytes;      /* resident set after the timed runs (rss_peak_bytes also covers loading the file) */
    int64_t file_bytes, params, macs;
    int64_t conv_macs;     /* the Conv share of macs */
    double conv_ms;        /* mean time per run in Conv nodes (fused post-ops included) */
    double first_ms;       /* the first run (counting MACs, before warm-up): primitives built, weights packed */
    cs_bench_layer *layers;
    int n_layers;
    cs_bench_op *ops;      /* time per op type, slowest first: where a run's time goes */
    int n_ops;
    char input_shape[96];
    char input_note[256];  /* where the input came from ("synthetic uniform [0,1)", a spec, a probed size) */
    bool cancelled;
} cs_bench_result;

void cs_bench_opts_default(cs_bench_opts *o);
/* Times an open model (borrowed; it is never reopened). */
cs_status cs_bench_run_model(const cs_model *m, const cs_bench_opts *opts, cs_job *job, cs_bench_result *res,
                             cs_error *err);
/* Opens path and times it. */
cs_status cs_bench_run(const char *path, const cs_bench_opts *opts, cs_job *job, cs_bench_result *res, cs_error *err);
void cs_bench_result_free(cs_bench_result *res);

#endif

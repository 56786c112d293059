/* cmd_bench.c — `convscope bench MODEL...`: latency percentiles, throughput, planned and peak memory,
 * size, parameters, MACs and the slowest layers of each model; --threads sets OpenBLAS threads. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "engine/ops/fastpath.h"
#include "cli_job.h"
#include "engine/runs/bench.h"
#include "engine/orch/inputs.h"
#include "engine/report/report.h"

static const char HELP[] =
"\n--input SPEC feeds the first input what `diff`/`run` would (an image through the model's preprocessing, .npy,\n"
"idx:, DIR:INDEX). Otherwise inputs are synthetic (uniform [0,1)), shaped as declared; a free batch dim takes\n"
"--batch (default 1); other free dims (a TorchScript input declares none) take the first of 224, 32, 28, 64,\n"
"96, 128, 299, 16, 8 that runs. Latency is the executor's time per run (median and p90 of --runs after\n"
"--warmup, defaults 20 and 3). Memory: planned peak activation bytes (liveness plan) and the process peak RSS\n"
"(getrusage). MACs count Conv, Gemm and MatMul from the shapes seen at run time. Layers: the slowest source\n"
"layers and the time per op type by mean time per run. --threads N sets OpenBLAS threads. Ctrl-C stops early (exit 130).\n";

#define MAX_MODELS 64

typedef struct bench_cli {
    const char *models[MAX_MODELS];
    int n_models;
    bool json;
    long long threads;
    const char *spec;
    cs_input_req input;
    cs_bench_opts o;
} bench_cli;

static int parse(int argc, char **argv, bench_cli *c)
{
    cs_bench_opts_default(&c->o);
    cs_input_req_default(&c->input);
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        bool missing = false;
        long long n;
        int r = cs_cli_input_opt("bench", argc, argv, &i, &c->input.opts);
        if (r < 0)
            return CS_EXIT_ERROR;
        if (r > 0)
            continue;
        if (cs_opt_flag(argc, argv, &i, "--json")) {
            c->json = true;
        } else if (cs_opt_value(argc, argv, &i, "--input", &c->spec, &missing)) {
            if (missing)
                return cs_cli_usage_error("bench", "--input needs a SPEC");
        } else if (cs_opt_value(argc, argv, &i, "--runs", &v, &missing)) {
            if (!cs_cli_int("bench", "--runs", v, missing, 1, &n))
                return CS_EXIT_ERROR;
            c->o.runs = (int)n;
        } else if (cs_opt_value(argc, argv, &i, "--warmup", &v, &missing)) {
            if (!cs_cli_int("bench", "--warmup", v, missing, 0, &n))
                return CS_EXIT_ERROR;
            c->o.warmup = (int)n;
        } else if (cs_opt_value(argc, argv, &i, "--threads", &v, &missing)) {
            if (!cs_cli_int("bench", "--threads", v, missing, 1, &c->threads))
                return CS_EXIT_ERROR;
        } else if (cs_opt_value(argc, argv, &i, "--batch", &v, &missing)) {
            if (!cs_cli_int("bench", "--batch", v, missing, 1, &n))
                return CS_EXIT_ERROR;
            c->o.batch = n;
        } else if (argv[i][0] == '-') {
            return cs_cli_usage_error("bench", "unknown option '%s'", argv[i]);
        } else if (c->n_models < MAX_MODELS) {
            c->models[c->n_models++] = argv[i];
        } else {
            return cs_cli_usage_error("bench", "at most %d models", MAX_MODELS);
        }
    }
    return c->n_models ? CS_EXIT_OK : cs_cli_usage_error("bench", "give at least one model file");
}

static void print_text(const cs_bench_result *r)
{
    printf("%s  input %s (batch %lld), %d runs%s\n", r->path, r->input_shape, (long long)r->batch, r->runs,
           r->cancelled ? " (cancelled)" : "");
    printf("  input: %s\n", r->input_note);
    printf("  latency ms: min %.3f  median %.3f  p90 %.3f  max %.3f   throughput %.1f samples/s (at the median)\n",
           r->latency.min, r->latency.median, r->latency.p90, r->latency.max, r->throughput);
    printf("  CPU time per run (user+sys, all threads): median %.3f ms\n", r->cpu.median);
    printf("  memory: planned peak activations %zu B, weights %zu B, packed weights %zu B, process RSS %zu B after the "
           "runs, peak RSS %zu B\n", r->peak_bytes, r->const_bytes, r->packed_bytes, r->rss_bytes, r->rss_peak_bytes);
    printf("  file %lld B, %lld parameters, %lld MACs per run\n", (long long)r->file_bytes, (long long)r->params,
           (long long)r->macs);
    if (r->conv_macs > 0 && r->conv_ms > 0)
        printf("  convolutions: %lld MACs in %.3f ms per run, %.1f GFLOP/s\n", (long long)r->conv_macs, r->conv_ms,
               2e-6 * (double)r->conv_macs / r->conv_ms);
    printf("  first run %.3f ms (primitives built, weights packed); kernels %s, %d thread%s\n", r->first_ms,
           cs_kernels_name(cs_kernels_get()), cs_threads_get(), cs_threads_get() == 1 ? "" : "s");
    if (r->n_layers)
        printf("  slowest layers, mean ms per run (the latency median above is per whole run):\n");
    for (int l = 0; l < r->n_layers; l++)
        printf("    %8.3f ms mean  %s\n", r->layers[l].mean_ms, r->layers[l].name);
    if (r->n_ops)
        printf("  time by op, mean ms per run (a fused chain counts in its head's op):\n");
    for (int k = 0; k < r->n_ops && k < 12; k++)
        printf("    %8.3f ms  %-24s %d node%s\n", r->ops[k].mean_ms, r->ops[k].op, r->ops[k].nodes,
               r->ops[k].nodes == 1 ? "" : "s");
}

/* Times one model, fed --input when given. */
static cs_status bench_one(const bench_cli *c, const char *path, cs_job *job, cs_bench_result *res, cs_error *err)
{
    cs_model *m = NULL;
    cs_tensor *in = NULL;
    char notes[2048];
    cs_bench_opts o = c->o;
    cs_input_req req = c->input;
    req.spec = c->spec;
    memset(res, 0, sizeof *res);
    cs_status st = cs_model_open(path, &m, err);
    if (st == CS_OK && c->spec)
        st = cs_model_input(m, &req, &in, NULL, 0, notes, sizeof notes, err);
    o.input = in, o.input_desc = c->spec;
    if (st == CS_OK)
        st = cs_bench_run_model(m, &o, job, res, err);
    cs_tensor_free(in);
    cs_model_unref(m);
    return st;
}

int cs_cmd_bench(int argc, char **argv)
{
    if (cs_cli_command_help("bench", argc, argv, HELP))
        return CS_EXIT_OK;
    bench_cli c = {0};
    int rc = parse(argc, argv, &c);
    if (rc != CS_EXIT_OK)
        return rc;
    cs_cli_blas_threads(c.threads);
    json_t *models = json_array();
    cs_job job;
    cs_cli_job_start(&job);
    for (int m = 0; m < c.n_models && !job.cancel && rc == CS_EXIT_OK; m++) {
        cs_bench_result res;
        cs_error err = {0};
        if (bench_one(&c, c.models[m], &job, &res, &err) != CS_OK) {
            rc = cs_cli_fail(&err);
            break;
        }
        if (res.runs > 0 && c.json)
            json_array_append_new(models, cs_report_bench(&res));
        else if (res.runs > 0)
            print_text(&res);
        cs_bench_result_free(&res);
    }
    int end = cs_cli_job_end(&job);
    if (c.json && rc == CS_EXIT_OK && json_array_size(models) > 0) {
        json_t *root = json_object();
        json_object_set_new(root, "models", models);
        cs_json_print(root);
    } else {
        json_decref(models);
    }
    return rc != CS_EXIT_OK ? rc : end;
}

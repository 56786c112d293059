/* cmd_bench.c — `convscope bench MODEL...`: latency percentiles, throughput, planned and peak memory,
 * size, parameters, MACs and the slowest layers of each model; --threads sets OpenBLAS threads. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_job.h"
#include "engine/runs/bench.h"
#include "json_util.h"

static const char HELP[] =
"\nInputs are synthetic (uniform [0,1)), shaped as declared; a free batch dim takes --batch (default 1), other\n"
"free dims 1. Latency is the executor's time per run (median of --runs after --warmup, defaults 20 and 3).\n"
"Memory: planned peak activation bytes (liveness plan) and the process peak RSS (getrusage). MACs count\n"
"Conv, Gemm and MatMul from the shapes seen at run time. Layers: mean time per run of the slowest source layers.\n"
"--threads N sets OpenBLAS threads.\n";

#define MAX_MODELS 64

typedef struct bench_cli {
    const char *models[MAX_MODELS];
    int n_models;
    bool json;
    long long threads;
    cs_bench_opts o;
} bench_cli;

static int parse(int argc, char **argv, bench_cli *c)
{
    cs_bench_opts_default(&c->o);
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        bool missing = false;
        long long n;
        if (cs_opt_flag(argc, argv, &i, "--json")) {
            c->json = true;
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
    printf("  latency ms: min %.3f  median %.3f  p90 %.3f  max %.3f   throughput %.1f samples/s\n", r->min_ms,
           r->median_ms, r->p90_ms, r->max_ms, r->throughput);
    printf("  memory: planned peak activations %zu B, weights %zu B, process peak RSS %zu B\n", r->peak_bytes,
           r->const_bytes, r->rss_peak_bytes);
    printf("  file %lld B, %lld parameters, %lld MACs per run\n", (long long)r->file_bytes, (long long)r->params,
           (long long)r->macs);
    for (int l = 0; l < r->n_layers; l++)
        printf("    %8.3f ms  %s\n", r->layers[l].ms, r->layers[l].name);
}

static json_t *to_json(const cs_bench_result *r)
{
    json_t *jm = json_object(), *lat = json_object(), *layers = json_array();
    json_object_set_new(jm, "path", json_string(r->path));
    json_object_set_new(jm, "batch", json_integer(r->batch));
    json_object_set_new(jm, "runs", json_integer(r->runs));
    json_object_set_new(lat, "min", json_real(r->min_ms));
    json_object_set_new(lat, "median", json_real(r->median_ms));
    json_object_set_new(lat, "p90", json_real(r->p90_ms));
    json_object_set_new(lat, "max", json_real(r->max_ms));
    json_object_set_new(jm, "latency_ms", lat);
    json_object_set_new(jm, "throughput_per_s", json_real(r->throughput));
    json_object_set_new(jm, "peak_bytes", json_integer((json_int_t)r->peak_bytes));
    json_object_set_new(jm, "rss_peak_bytes", json_integer((json_int_t)r->rss_peak_bytes));
    json_object_set_new(jm, "file_bytes", json_integer(r->file_bytes));
    json_object_set_new(jm, "params", json_integer(r->params));
    json_object_set_new(jm, "macs", json_integer(r->macs));
    for (int l = 0; l < r->n_layers; l++) {
        json_t *jl = json_object();
        json_object_set_new(jl, "name", json_string(r->layers[l].name));
        json_object_set_new(jl, "ms", json_real(r->layers[l].ms));
        json_array_append_new(layers, jl);
    }
    json_object_set_new(jm, "layers", layers);
    return jm;
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
        if (cs_bench_run(c.models[m], &c.o, &job, &res, &err) != CS_OK) {
            rc = cs_cli_fail(&err);
            break;
        }
        if (c.json)
            json_array_append_new(models, to_json(&res));
        else
            print_text(&res);
        cs_bench_result_free(&res);
    }
    cs_cli_job_end(&job);
    if (c.json && rc == CS_EXIT_OK) {
        json_t *root = json_object();
        json_object_set_new(root, "models", models);
        cs_json_print(root);
    } else {
        json_decref(models);
    }
    return rc;
}

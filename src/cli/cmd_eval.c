/* cmd_eval.c — `convscope eval A [B] --data SPEC`: accuracy of each model on a labelled dataset,
 * top-1 agreement, confusion counts and the largest output difference; text or --json. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_job.h"
#include "engine/runs/eval.h"
#include "engine/report/report.h"

static const char HELP[] =
"\ndata SPEC: fashion-mnist:test, fashion-mnist:train, idx:IMAGES:LABELS, or a folder with one subfolder of\n"
"images per class (sorted by name). Images are preprocessed as by `run` (--scale/--mean/--std).\n"
"--batch N runs N samples at once where the model's batch dim is free (default 32); --threads N sets\n"
"OpenBLAS threads (default 1 unless OPENBLAS_NUM_THREADS is set). Ctrl-C stops early and reports the\n"
"samples done. --json: {samples, models:[{path, accuracy, confusion}], agreement, max_output_diff:{value, sample}}.\n";

typedef struct eval_cli {
    const char *models[CS_EVAL_MAX_MODELS];
    int n_models;
    bool json;
    long long threads;
    cs_eval_opts o;
} eval_cli;

static int parse(int argc, char **argv, eval_cli *c)
{
    c->o.batch = 32;
    cs_input_opts_default(&c->o.input);
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        bool missing = false;
        long long n;
        int r = cs_cli_input_opt("eval", argc, argv, &i, &c->o.input);
        if (r < 0)
            return CS_EXIT_ERROR;
        if (r > 0)
            continue;
        if (cs_opt_flag(argc, argv, &i, "--json")) {
            c->json = true;
        } else if (cs_opt_value(argc, argv, &i, "--data", &c->o.data, &missing)) {
            if (missing)
                return cs_cli_usage_error("eval", "--data needs a SPEC");
        } else if (cs_opt_value(argc, argv, &i, "--limit", &v, &missing)) {
            if (!cs_cli_int("eval", "--limit", v, missing, 1, &n))
                return CS_EXIT_ERROR;
            c->o.limit = n;
        } else if (cs_opt_value(argc, argv, &i, "--batch", &v, &missing)) {
            if (!cs_cli_int("eval", "--batch", v, missing, 1, &n))
                return CS_EXIT_ERROR;
            c->o.batch = n;
        } else if (cs_opt_value(argc, argv, &i, "--threads", &v, &missing)) {
            if (!cs_cli_int("eval", "--threads", v, missing, 1, &c->threads))
                return CS_EXIT_ERROR;
        } else if (argv[i][0] == '-') {
            return cs_cli_usage_error("eval", "unknown option '%s'", argv[i]);
        } else if (c->n_models < CS_EVAL_MAX_MODELS) {
            c->models[c->n_models++] = argv[i];
        } else {
            return cs_cli_usage_error("eval", "at most two models");
        }
    }
    if (!c->n_models)
        return cs_cli_usage_error("eval", "give one or two model files");
    if (!c->o.data)
        return cs_cli_usage_error("eval", "give --data (fashion-mnist:test, idx:IMAGES:LABELS or a folder)");
    return CS_EXIT_OK;
}

static double ratio(int64_t a, int64_t b)
{
    return b > 0 ? (double)a / (double)b : 0;
}

static void print_text(const cs_eval_result *r)
{
    printf("samples: %lld of %lld%s\n", (long long)r->samples, (long long)r->total, r->cancelled ? " (cancelled)" : "");
    for (int m = 0; m < r->n_models; m++) {
        const cs_eval_model *em = &r->models[m];
        printf("model %c %s: accuracy %.4f (%lld/%lld)\n", 'A' + m, em->path, ratio(em->correct, r->samples),
               (long long)em->correct, (long long)r->samples);
        printf("  confusion (rows: label, columns: prediction):\n");
        for (int y = 0; y < r->n_classes; y++) {
            printf("   %3d:", y);
            for (int p = 0; p < r->n_classes; p++)
                printf(" %5lld", (long long)em->confusion[y * r->n_classes + p]);
            printf("\n");
        }
    }
    if (r->n_models == 2) {
        printf("agreement (same top-1): %.4f (%lld/%lld)\n", ratio(r->agree, r->samples), (long long)r->agree,
               (long long)r->samples);
        if (r->max_diff >= 0)
            printf("largest output difference: %.6g on sample %lld\n", r->max_diff, (long long)r->max_diff_sample);
        else
            printf("largest output difference: not comparable (outputs differ in size)\n");
    }
}

int cs_cmd_eval(int argc, char **argv)
{
    if (cs_cli_command_help("eval", argc, argv, HELP))
        return CS_EXIT_OK;
    eval_cli c = {0};
    int rc = parse(argc, argv, &c);
    if (rc != CS_EXIT_OK)
        return rc;
    cs_job job;
    cs_eval_result res;
    cs_error err = {0};
    cs_cli_blas_threads(c.threads);
    cs_cli_job_start(&job);
    cs_status st = cs_eval_run(c.models, c.n_models, &c.o, &job, &res, &err);
    int end = cs_cli_job_end(&job);
    if (st != CS_OK)
        return cs_cli_fail(&err);
    if (res.samples == 0 && end != CS_EXIT_OK) { /* cancelled before the first batch: no report of zeros */
        cs_eval_result_free(&res);
        return end;
    }
    if (c.json)
        cs_json_print(cs_report_eval(&res, c.o.data));
    else
        print_text(&res);
    cs_eval_result_free(&res);
    return end;
}

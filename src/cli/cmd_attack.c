/* cmd_attack.c — `convscope attack A [B] --method fgsm|pgd|simba`: clean and robust accuracy, success
 * rate, perturbation sizes and queries per model, transfer rates between two models; text or --json. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_job.h"
#include "engine/runs/attack.h"
#include "engine/report/report.h"

static const char HELP[] =
"\nPerturbations are in the model-input space after scaling to [0,1] (pixel / 255), then mapped through each\n"
"model's own preprocessing (--scale/--mean/--std or its declared one); adversarial pixels are clamped to [0,1].\n"
"fgsm: x + eps * sign(grad) (L-inf) or eps * grad / |grad| (L2), one step of the cross-entropy gradient.\n"
"pgd: random start in the eps ball, --steps steps of size --alpha, projected back each step.\n"
"simba: score-based black box (Guo et al. 2019, pixel basis): +-eps on random coordinates while the true\n"
"  class probability drops, at most --steps coordinates (default all); model evaluations counted as queries;\n"
"  its steps are per pixel, so --norm does not shape them (both norms are reported).\n"
"Defaults for 28x28 data: eps 0.1 L-inf (1.0 for --norm 2), PGD 10 steps, alpha eps/4, --data fashion-mnist:test,\n"
"--batch 32, --seed 1. Success rate is over initially correct samples; perturbation sizes over successful ones.\n"
"With two models, transfer A -> B is the share of A's successful examples (on samples B classifies correctly)\n"
"that also fool B. --save DIR writes each successful example as NNNNNN_A.png and .npy ([0,1] pixels).\n"
"Ctrl-C stops early; every number then covers the samples done.\n";

typedef struct attack_cli {
    const char *models[CS_ATTACK_MAX_MODELS];
    int n_models;
    bool json, eps_set, alpha_set, steps_set;
    long long threads;
    cs_attack_opts o;
} attack_cli;

static int parse_method(const char *v, attack_cli *c)
{
    if (strcmp(v, "fgsm") == 0)
        c->o.method = CS_ATTACK_FGSM;
    else if (strcmp(v, "pgd") == 0)
        c->o.method = CS_ATTACK_PGD;
    else if (strcmp(v, "simba") == 0)
        c->o.method = CS_ATTACK_SIMBA;
    else
        return cs_cli_usage_error("attack", "--method is fgsm, pgd or simba, not '%s'", v);
    return CS_EXIT_OK;
}

static int parse_one(int argc, char **argv, int *i, attack_cli *c)
{
    const char *v = NULL;
    bool missing = false;
    long long n;
    if (cs_opt_flag(argc, argv, i, "--json"))
        c->json = true;
    else if (cs_opt_value(argc, argv, i, "--method", &v, &missing))
        return missing ? cs_cli_usage_error("attack", "--method needs a value") : parse_method(v, c);
    else if (cs_opt_value(argc, argv, i, "--eps", &v, &missing))
        return (c->eps_set = cs_cli_double("attack", "--eps", v, missing, &c->o.eps)) ? CS_EXIT_OK : CS_EXIT_ERROR;
    else if (cs_opt_value(argc, argv, i, "--alpha", &v, &missing))
        return (c->alpha_set = cs_cli_double("attack", "--alpha", v, missing, &c->o.alpha)) ? CS_EXIT_OK : CS_EXIT_ERROR;
    else if (cs_opt_value(argc, argv, i, "--steps", &v, &missing)) {
        if (!cs_cli_int("attack", "--steps", v, missing, 1, &n))
            return CS_EXIT_ERROR;
        c->o.steps = (int)n, c->steps_set = true;
    } else if (cs_opt_value(argc, argv, i, "--norm", &v, &missing)) {
        if (missing || (strcmp(v, "inf") != 0 && strcmp(v, "2") != 0))
            return cs_cli_usage_error("attack", "--norm is inf or 2");
        c->o.l2 = strcmp(v, "2") == 0;
    } else if (cs_opt_value(argc, argv, i, "--data", &c->o.data, &missing)) {
        if (missing)
            return cs_cli_usage_error("attack", "--data needs a SPEC");
    } else if (cs_opt_value(argc, argv, i, "--limit", &v, &missing)) {
        if (!cs_cli_int("attack", "--limit", v, missing, 1, &n))
            return CS_EXIT_ERROR;
        c->o.limit = n;
    } else if (cs_opt_value(argc, argv, i, "--batch", &v, &missing)) {
        if (!cs_cli_int("attack", "--batch", v, missing, 1, &n))
            return CS_EXIT_ERROR;
        c->o.batch = n;
    } else if (cs_opt_value(argc, argv, i, "--threads", &v, &missing)) {
        if (!cs_cli_int("attack", "--threads", v, missing, 1, &c->threads))
            return CS_EXIT_ERROR;
    } else if (cs_opt_value(argc, argv, i, "--seed", &v, &missing)) {
        if (!cs_cli_int("attack", "--seed", v, missing, 0, &n))
            return CS_EXIT_ERROR;
        c->o.seed = (uint64_t)n;
    } else if (cs_opt_value(argc, argv, i, "--save", &c->o.save_dir, &missing)) {
        if (missing)
            return cs_cli_usage_error("attack", "--save needs a directory");
    } else if (argv[*i][0] == '-') {
        return cs_cli_usage_error("attack", "unknown option '%s'", argv[*i]);
    } else if (c->n_models < CS_ATTACK_MAX_MODELS) {
        c->models[c->n_models++] = argv[*i];
    } else {
        return cs_cli_usage_error("attack", "at most two models");
    }
    return CS_EXIT_OK;
}

static int parse(int argc, char **argv, attack_cli *c)
{
    cs_attack_opts_default(&c->o, CS_ATTACK_FGSM, false);
    c->o.data = "fashion-mnist:test";
    for (int i = 1; i < argc; i++) {
        int r = cs_cli_input_opt("attack", argc, argv, &i, &c->o.input);
        if (r < 0)
            return CS_EXIT_ERROR;
        if (r == 0 && (r = parse_one(argc, argv, &i, c)) != CS_EXIT_OK)
            return r;
    }
    if (!c->n_models)
        return cs_cli_usage_error("attack", "give one or two model files");
    if (!c->eps_set)
        c->o.eps = c->o.l2 ? 1.0 : 0.1;
    if (!c->alpha_set)
        c->o.alpha = c->o.eps / 4;
    if (!c->steps_set)
        c->o.steps = c->o.method == CS_ATTACK_PGD ? 10 : 0;
    if (c->o.eps <= 0 || c->o.alpha <= 0)
        return cs_cli_usage_error("attack", "--eps and --alpha must be positive");
    return CS_EXIT_OK;
}

static double ratio(int64_t a, int64_t b)
{
    return b > 0 ? (double)a / (double)b : 0;
}

static void print_text(const cs_attack_result *r)
{
    printf("attack %s, eps %g (%s), samples %lld of %lld%s\n", cs_attack_method_name(r->method), r->eps,
           r->l2 ? "L2" : "L-inf", (long long)r->samples, (long long)r->total, r->cancelled ? " (cancelled)" : "");
    for (int m = 0; m < r->n_models; m++) {
        const cs_attack_model *am = &r->models[m];
        printf("model %c %s\n  clean accuracy %.4f, robust accuracy %.4f\n", 'A' + m, am->path,
               ratio(am->clean_correct, r->samples), ratio(am->robust_correct, r->samples));
        printf("  success rate %.4f (%lld of %lld initially correct)\n", ratio(am->successes, am->attacked),
               (long long)am->successes, (long long)am->attacked);
        printf("  perturbation of successful examples: L-inf mean %.4g max %.4g, L2 mean %.4g max %.4g\n",
               am->successes ? am->sum_linf / am->successes : 0, am->max_linf,
               am->successes ? am->sum_l2 / am->successes : 0, am->max_l2);
        if (r->method == CS_ATTACK_SIMBA)
            printf("  queries: %lld (%.1f per sample)\n", (long long)am->queries, ratio(am->queries, r->samples));
    }
    for (int m = 0; r->transfer_possible && m < 2; m++)
        printf("transfer %c -> %c: %.4f (%lld of %lld)\n", 'A' + m, 'B' - m, ratio(r->transfer_hits[m], r->transfer_base[m]),
               (long long)r->transfer_hits[m], (long long)r->transfer_base[m]);
}

int cs_cmd_attack(int argc, char **argv)
{
    if (cs_cli_command_help("attack", argc, argv, HELP))
        return CS_EXIT_OK;
    attack_cli c = {0};
    int rc = parse(argc, argv, &c);
    if (rc != CS_EXIT_OK)
        return rc;
    cs_job job;
    cs_attack_result res;
    cs_error err = {0};
    cs_cli_blas_threads(c.threads);
    cs_cli_job_start(&job);
    cs_status st = cs_attack_run(c.models, c.n_models, &c.o, &job, &res, &err);
    int end = cs_cli_job_end(&job);
    if (st != CS_OK)
        return cs_cli_fail(&err);
    if (res.samples == 0 && end != CS_EXIT_OK) /* cancelled before the first batch: no report of zeros */
        return end;
    if (c.json)
        cs_json_print(cs_report_attack(&res, c.o.save_dir));
    else
        print_text(&res);
    return end;
}

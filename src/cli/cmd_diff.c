/* cmd_diff.c — `convscope diff A B`: matches layers across formats, compares weights and (given an
 * input) activations, prints a per-layer table or JSON and the first divergence; exit 0 same, 1 differ, 2 error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_job.h"
#include "engine/orch/compare.h"
#include "engine/precision.h"
#include "engine/report/report.h"

typedef struct diff_cli {
    const char *path_a, *path_b, *spec, *tol_file, *node_data;
    bool json;
    cs_diff_opts opts;    /* opts.strict: --strict */
    cs_input_opts input;
} diff_cli;

static int parse_number(const char *opt, const char *v, bool missing, double *out)
{
    char *end;
    if (missing || (*out = strtod(v, &end), *end) || *out < 0)
        return cs_cli_usage_error("diff", "%s needs a non-negative number", opt);
    return CS_EXIT_OK;
}

static int parse_opts(int argc, char **argv, diff_cli *c)
{
    cs_diff_opts_default(&c->opts);
    cs_input_opts_default(&c->input);
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        bool missing = false;
        int rc = CS_EXIT_OK;
        if (cs_opt_flag(argc, argv, &i, "--json"))
            c->json = true;
        else if (cs_opt_flag(argc, argv, &i, "--strict"))
            c->opts.strict = true;
        else if (cs_opt_flag(argc, argv, &i, "--weights-only"))
            c->opts.weights_only = true;
        else if (cs_opt_model(argc, argv, &i, "diff", &rc))
            ;
        else if (cs_opt_value(argc, argv, &i, "--input", &c->spec, &missing) ||
                 cs_opt_value(argc, argv, &i, "--map", &c->opts.map_path, &missing) ||
                 cs_opt_value(argc, argv, &i, "--layer-tol", &c->tol_file, &missing) ||
                 cs_opt_value(argc, argv, &i, "--node-data", &c->node_data, &missing))
            rc = missing ? cs_cli_usage_error("diff", "%s needs a value", argv[i]) : CS_EXIT_OK;
        else if (cs_opt_value(argc, argv, &i, "--rtol", &v, &missing))
            rc = parse_number("--rtol", v, missing, &c->opts.rtol);
        else if (cs_opt_value(argc, argv, &i, "--atol", &v, &missing))
            rc = parse_number("--atol", v, missing, &c->opts.atol);
        else if (cs_opt_value(argc, argv, &i, "--scale", &v, &missing)) {
            rc = parse_number("--scale", v, missing, &c->input.scale);
            c->input.scale_set = true;
        } else if (argv[i][0] == '-')
            rc = cs_cli_usage_error("diff", "unknown option '%s'", argv[i]);
        else if (!c->path_a)
            c->path_a = argv[i];
        else if (!c->path_b)
            c->path_b = argv[i];
        else
            rc = cs_cli_usage_error("diff", "unexpected argument '%s'", argv[i]);
        if (rc != CS_EXIT_OK)
            return rc;
    }
    if (!c->path_a || !c->path_b)
        return cs_cli_usage_error("diff", "give two models: diff ORIGINAL CONVERTED");
    return CS_EXIT_OK;
}

static void join_names(const cs_graph *g, const int *layers, int n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? "+" : "", g->layers[layers[i]].name);
}

static void print_table(const cs_graph *a, const cs_graph *b, const cs_diff_result *r)
{
    printf("precision: A %s, B %s\n", cs_precision_describe(a), cs_precision_describe(b));
    printf("%-22s %-26s %10s %9s %9s %-30s %s\n", "A layer", "B layer(s)", "max abs", "rel", "cosine", "weights",
           "verdict");
    for (int p = 0; p < r->matching->n_pairs; p++) {
        const cs_match_pair *pair = &r->matching->pairs[p];
        const cs_layer_diff *ld = &r->layers[p];
        char na[256], nb[256], w[64];
        join_names(a, pair->a, pair->n_a, na, sizeof na);
        join_names(b, pair->b, pair->n_b, nb, sizeof nb);
        const char *verdict = cs_pair_verdict_name(cs_pair_verdict_of(r, p));
        const char *mark = p == r->first_divergence ? "  <- first divergence" : "";
        snprintf(w, sizeof w, "%s", ld->weights.compared ? cs_weight_status_name(ld->weights.code) : "-");
        if (ld->act.compared)
            printf("%-22s %-26s %10.3g %9.2g %9.6f %-30s %s%s\n", na, nb, ld->act.max_abs, ld->act.rel_max,
                   ld->act.cosine, w, verdict, mark);
        else if (ld->act.shapes_differ)
            printf("%-22s %-26s %10s %9s %9s %-30s %s (%s)%s\n", na, nb, "-", "-", "-", w, verdict,
                   ld->act.alignment, mark);
        else
            printf("%-22s %-26s %10s %9s %9s %-30s %s%s\n", na, nb, "-", "-", "-", w, verdict, mark);
        if (ld->local.compared && ld->noise_floor > 0)
            printf("    own error (B's layer on A's input): max abs %.3g, noise floor %.3g; inherited %.3g\n",
                   ld->local.max_abs, ld->noise_floor, ld->inherited < 0 ? 0 : ld->inherited);
        else if (ld->local.compared)
            printf("    own error (B's layer on A's input): max abs %.3g (within tolerance); inherited %.3g\n",
                   ld->local.max_abs, ld->inherited < 0 ? 0 : ld->inherited);
        printf("    evidence: %s (confidence %.2f)\n", pair->evidence, pair->confidence);
    }
}

static void print_first_divergence(const cs_graph *a, const cs_graph *b, const cs_diff_result *r)
{
    const cs_match_pair *pair = &r->matching->pairs[r->first_divergence];
    const cs_layer_diff *ld = &r->layers[r->first_divergence];
    char na[256], nb[256];
    join_names(a, pair->a, pair->n_a, na, sizeof na);
    join_names(b, pair->b, pair->n_b, nb, sizeof nb);
    if (!r->ran) {
        printf("first divergence: A '%s' <-> B '%s': weights %s (max abs %.4g)\n", na, nb,
               cs_weight_status_name(ld->weights.code), ld->weights.max_abs);
        return;
    }
    if (!ld->act.compared) {
        printf("first divergence: A '%s' <-> B '%s': max abs n/a: %s\n", na, nb, ld->act.alignment);
        return;
    }
    cs_blame blame = cs_pair_blame(r, r->first_divergence);
    printf("first divergence: A '%s' <-> B '%s': max abs %.4g at index %lld (%s), %.3g of the reference's scale "
           "%.4g, cosine %.6f, SQNR %.1f dB, %.2f%% of elements outside the elementwise tolerance\n",
           na, nb, ld->act.max_abs, (long long)ld->act.max_index, ld->act.alignment, ld->act.rel_max,
           ld->act.ref_scale, ld->act.cosine, ld->act.sqnr_db, 100 * ld->act.frac_outside);
    if (ld->local.compared && ld->noise_floor <= 0)
        printf("  local error of B's layer on A's input: max abs %.4g, within tolerance (%s); inherited from earlier "
               "layers: max abs %.3g\n", ld->local.max_abs, cs_blame_name(blame), ld->inherited < 0 ? 0 : ld->inherited);
    else if (ld->local.compared)
        printf("  local error of B's layer on A's input: max abs %.4g vs a float noise floor of %.3g (%s); "
               "inherited from earlier layers: max abs %.3g\n",
               ld->local.max_abs, ld->noise_floor, cs_blame_name(blame), ld->inherited < 0 ? 0 : ld->inherited);
    else
        printf("  local error of B's layer on A's input: n/a (%s); inherited from earlier layers: max abs %.3g\n",
               ld->local.alignment[0] ? ld->local.alignment : "not isolated", ld->inherited < 0 ? 0 : ld->inherited);
}

static void print_verdict_line(const cs_diff_result *r)
{
    if (cs_diff_verdict(r) == CS_VERDICT_PRECISION)
        printf("verdict: match within %s rounding\n", r->precision);
    else
        printf("verdict: %s\n", cs_verdict_name(cs_diff_verdict(r)));
}

static void print_cause(const cs_cause *c)
{
    if (!c->found)
        return;
    if (c->attribute[0])
        printf("cause: %s (%s): %s\n", c->kind, c->attribute, c->summary);
    else
        printf("cause: %s: %s\n", c->kind, c->summary);
}

static void print_summary(const cs_graph *a, const cs_graph *b, const cs_diff_result *r)
{
    for (int i = 0; i < r->matching->n_unmatched_a; i++)
        printf("unmatched in A: %s (%s)\n", a->layers[r->matching->unmatched_a[i]].name,
               a->layers[r->matching->unmatched_a[i]].type);
    for (int i = 0; i < r->matching->n_unmatched_b; i++)
        printf("unmatched in B: %s (%s)\n", b->layers[r->matching->unmatched_b[i]].name,
               b->layers[r->matching->unmatched_b[i]].type);
    if (r->first_divergence >= 0) {
        print_first_divergence(a, b, r);
        print_cause(&r->cause);
    }
    if (r->b_failed)
        printf("B stopped with an error (its later layers were not compared): %s\n", r->b_error);
    if (r->final.compared) {
        printf("final output: max abs %.4g (%.3g of scale %.4g), cosine %.6f, SQNR %.1f dB", r->final.max_abs,
               r->final.rel_max, r->final.ref_scale, r->final.cosine, r->final.sqnr_db);
        if (r->has_top)
            printf(", top-1 A %d B %d (%s), top-5 overlap %d/5", r->a_top1, r->b_top1,
                   r->a_top1 == r->b_top1 ? "agree" : "DISAGREE", r->top5_overlap);
        printf("%s%s\n", r->final_note[0] ? "; " : "", r->final_note);
    }
    print_verdict_line(r);
}

/* --node-data DIR: one Model Explorer node-data file per side, DIR/a_node_data.json and DIR/b_node_data.json. */
static cs_status write_node_data(const char *dir, const cs_graph *a, const cs_graph *b, const cs_diff_result *r,
                                 cs_error *err)
{
    char path[4096];
    cs_status st = CS_OK;
    for (int side = 0; side < 2 && st == CS_OK; side++) {
        if (snprintf(path, sizeof path, "%s/%s_node_data.json", dir, side ? "b" : "a") >= (int)sizeof path)
            return cs_error_set(err, CS_ERR_ARG, "%s: directory name too long", dir);
        json_t *root = cs_report_node_data(side ? b : a, r, side == 1);
        st = cs_json_save(root, path, err);
        json_decref(root);
    }
    return st;
}

static int diff_models(const cs_model *a, const cs_model *b, diff_cli *c)
{
    cs_error err = {0};
    cs_compare *cmp = NULL;
    if (!c->opts.weights_only && !c->spec && !a->g->weights_only && !b->g->weights_only)
        return cs_cli_usage_error("diff", "give --input SPEC (or --weights-only)");
    cs_input_req req;
    cs_input_req_default(&req);
    req.spec = c->spec, req.opts = c->input;
    if (cs_compare_run(a, b, &req, &c->opts, &cmp, &err) != CS_OK)
        return cs_cli_fail(&err);
    if (cmp->forced_weights_only)
        fprintf(stderr, "convscope diff: %s holds weights only (no architecture to run): comparing weights only\n",
                a->g->weights_only ? a->path : b->path);
    if (!c->json && !cmp->weights_only)
        fprintf(stderr, "%s: %s%s: %s", a->path, cmp->notes_a, b->path, cmp->notes_b);
    if (c->json) {
        cs_json_print(cs_report_diff(a->g, b->g, cmp));
    } else {
        print_table(a->g, b->g, cmp->diff);
        print_summary(a->g, b->g, cmp->diff);
    }
    if (c->node_data && write_node_data(c->node_data, a->g, b->g, cmp->diff, &err) != CS_OK) {
        cs_compare_free(cmp);
        return cs_cli_fail(&err);
    }
    /* text, JSON and exit status all follow one verdict; precision fails only under --strict (which the diff
     * already turned into divergences) */
    bool differ = cs_diff_verdict(cmp->diff) == CS_VERDICT_DIVERGE;
    cs_compare_free(cmp);
    return differ ? CS_EXIT_DIFFER : CS_EXIT_OK;
}

int cs_cmd_diff(int argc, char **argv)
{
    if (cs_cli_command_help("diff", argc, argv, cs_cli_input_forms))
        return CS_EXIT_OK;
    diff_cli c = {0};
    int rc = parse_opts(argc, argv, &c);
    if (rc != CS_EXIT_OK)
        return rc;
    cs_error err = {0};
    cs_tol_override *ov = NULL;
    if (c.tol_file && cs_diff_load_overrides(c.tol_file, &ov, &c.opts.n_overrides, &err) != CS_OK)
        return cs_cli_fail(&err);
    c.opts.overrides = ov;
    cs_model *a = NULL, *b = NULL;
    if (cs_model_open(c.path_a, &a, &err) != CS_OK || cs_model_open(c.path_b, &b, &err) != CS_OK)
        rc = cs_cli_fail(&err);
    else
        rc = diff_models(a, b, &c);
    cs_model_unref(a);
    cs_model_unref(b);
    free(ov);
    return rc;
}

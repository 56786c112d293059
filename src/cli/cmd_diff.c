/* cmd_diff.c — `convscope diff A B`: matches layers across formats, compares weights and (given an
 * input) activations, prints a per-layer table or JSON and the first divergence; exit 0 same, 1 differ, 2 error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/data/input.h"
#include "engine/diff/diff.h"
#include "engine/model.h"
#include "json_util.h"

typedef struct diff_cli {
    const char *path_a, *path_b, *spec, *tol_file;
    bool json, strict;
    cs_diff_opts opts;
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
            c->strict = c->opts.strict = true;
        else if (cs_opt_flag(argc, argv, &i, "--weights-only"))
            c->opts.weights_only = true;
        else if (cs_opt_model(argc, argv, &i, "diff", &rc))
            ;
        else if (cs_opt_value(argc, argv, &i, "--input", &c->spec, &missing) ||
                 cs_opt_value(argc, argv, &i, "--map", &c->opts.map_path, &missing) ||
                 cs_opt_value(argc, argv, &i, "--layer-tol", &c->tol_file, &missing))
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

static const char *verdict_word(const cs_layer_diff *ld, bool ran)
{
    if (ran && !ld->act.compared && ld->status == CS_LAYER_UNCOMPARED)
        return ld->a_value < 0 || ld->b_value < 0 ? "no output" : "incomparable";
    return cs_layer_status_name(ld->status);
}

static void print_table(const cs_graph *a, const cs_graph *b, const cs_diff_result *r)
{
    printf("%-22s %-26s %10s %9s %9s %-30s %s\n", "A layer", "B layer(s)", "max abs", "rel", "cosine", "weights",
           "status");
    for (int p = 0; p < r->matching->n_pairs; p++) {
        const cs_match_pair *pair = &r->matching->pairs[p];
        const cs_layer_diff *ld = &r->layers[p];
        char na[256], nb[256], w[64];
        join_names(a, pair->a, pair->n_a, na, sizeof na);
        join_names(b, pair->b, pair->n_b, nb, sizeof nb);
        snprintf(w, sizeof w, "%s", ld->weights.compared ? ld->weights.status : "-");
        const char *mark = p == r->first_divergence ? "  <- first divergence" : "";
        if (ld->act.compared)
            printf("%-22s %-26s %10.3g %9.2g %9.6f %-30s %s%s\n", na, nb, ld->act.max_abs, ld->act.rel_max,
                   ld->act.cosine, w, verdict_word(ld, r->ran), mark);
        else if (ld->act.shapes_differ || ld->status == CS_LAYER_B_FAILED)
            printf("%-22s %-26s %10s %9s %9s %-30s %s (%s)%s\n", na, nb, "-", "-", "-", w, verdict_word(ld, r->ran),
                   ld->act.alignment, mark);
        else
            printf("%-22s %-26s %10s %9s %9s %-30s %s%s\n", na, nb, "-", "-", "-", w, verdict_word(ld, r->ran), mark);
        if (ld->local.compared)
            printf("    own error (B's layer on A's input): max abs %.3g, noise floor %.3g; inherited %.3g\n",
                   ld->local.max_abs, ld->noise_floor, ld->inherited < 0 ? 0 : ld->inherited);
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
        printf("first divergence: A '%s' <-> B '%s': weights %s (max abs %.4g)\n", na, nb, ld->weights.status,
               ld->weights.max_abs);
        return;
    }
    if (!ld->act.compared) {
        printf("first divergence: A '%s' <-> B '%s': max abs n/a: %s\n", na, nb, ld->act.alignment);
        return;
    }
    printf("first divergence: A '%s' <-> B '%s': max abs %.4g at index %lld (%s), %.3g of the reference's scale "
           "%.4g, cosine %.6f, SQNR %.1f dB\n",
           na, nb, ld->act.max_abs, (long long)ld->act.max_index, ld->act.alignment, ld->act.rel_max,
           ld->act.ref_scale, ld->act.cosine, ld->act.sqnr_db);
    if (ld->local.compared)
        printf("  own error of B's layer on A's input: max abs %.4g vs a float noise floor of %.3g (%s); error "
               "inherited from earlier layers: %.3g\n",
               ld->local.max_abs, ld->noise_floor,
               ld->status == CS_LAYER_FAULTY ? "the layer itself is faulty" : "within the floor",
               ld->inherited < 0 ? 0 : ld->inherited);
    else
        printf("  own error of B's layer on A's input: n/a (%s); error inherited from earlier layers: %.3g\n",
               ld->local.alignment[0] ? ld->local.alignment : "not isolated", ld->inherited < 0 ? 0 : ld->inherited);
}

static void print_verdict_line(const cs_diff_result *r)
{
    if (r->verdict == CS_VERDICT_PRECISION)
        printf("verdict: match within %s rounding\n", r->precision);
    else
        printf("verdict: %s\n", cs_verdict_name(r->verdict));
}

static void print_summary(const cs_graph *a, const cs_graph *b, const cs_diff_result *r)
{
    for (int i = 0; i < r->matching->n_unmatched_a; i++)
        printf("unmatched in A: %s (%s)\n", a->layers[r->matching->unmatched_a[i]].name,
               a->layers[r->matching->unmatched_a[i]].type);
    for (int i = 0; i < r->matching->n_unmatched_b; i++)
        printf("unmatched in B: %s (%s)\n", b->layers[r->matching->unmatched_b[i]].name,
               b->layers[r->matching->unmatched_b[i]].type);
    if (r->first_divergence >= 0)
        print_first_divergence(a, b, r);
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

static json_t *names_json(const cs_graph *g, const int *layers, int n)
{
    json_t *arr = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(arr, json_string(g->layers[layers[i]].name));
    return arr;
}

static json_t *num_or_null(bool ok, double v)
{
    return ok && isfinite(v) ? json_real(v) : json_null();
}

/* The scale-aware metrics of one comparison (see README "Diff metrics"). */
static void metrics_json(json_t *o, const cs_act_stats *st, const char *prefix)
{
    bool c = st->compared;
    char key[64];
#define PUT(name, value)                                             \
    do {                                                             \
        snprintf(key, sizeof key, "%s%s", prefix, name);             \
        json_object_set_new(o, key, value);                          \
    } while (0)
    PUT("max_abs", num_or_null(c, st->max_abs));
    PUT("rel_max", num_or_null(c, st->rel_max));
    PUT("ref_scale", num_or_null(c, st->ref_scale));
    PUT("cosine", num_or_null(c, st->cosine));
    PUT("sqnr_db", c && isinf(st->sqnr_db) && st->sqnr_db > 0 ? json_string("inf") : num_or_null(c, st->sqnr_db));
    PUT("frac_outside", num_or_null(c, st->frac_outside));
    PUT("nan", c ? json_pack("{s:I,s:I}", "a", (json_int_t)st->nan_a, "b", (json_int_t)st->nan_b) : json_null());
    PUT("inf", c ? json_pack("{s:I,s:I}", "a", (json_int_t)st->inf_a, "b", (json_int_t)st->inf_b) : json_null());
#undef PUT
}

static json_t *layer_json(const cs_graph *a, const cs_graph *b, const cs_match_pair *pair, const cs_layer_diff *ld)
{
    json_t *o = json_object();
    bool c = ld->act.compared;
    json_object_set_new(o, "a", names_json(a, pair->a, pair->n_a));
    json_object_set_new(o, "b", names_json(b, pair->b, pair->n_b));
    json_object_set_new(o, "evidence", json_string(pair->evidence));
    json_object_set_new(o, "confidence", json_real(pair->confidence));
    json_object_set_new(o, "status", json_string(cs_layer_status_name(ld->status)));
    metrics_json(o, &ld->act, "");
    json_object_set_new(o, "max_abs_index", c ? json_integer(ld->act.max_index) : json_null());
    json_object_set_new(o, "mean_abs", num_or_null(c, ld->act.mean_abs));
    json_object_set_new(o, "rmse", num_or_null(c, ld->act.rmse));
    json_object_set_new(o, "max_rel", num_or_null(c, ld->act.max_rel));
    json_object_set_new(o, "nmse", num_or_null(c, ld->act.nmse));
    json_object_set_new(o, "local_max_abs", num_or_null(ld->local.compared, ld->local.max_abs));
    json_object_set_new(o, "local_rel_max", num_or_null(ld->local.compared, ld->local.rel_max));
    json_object_set_new(o, "local_noise_floor", num_or_null(ld->local.compared && ld->noise_floor > 0, ld->noise_floor));
    json_object_set_new(o, "inherited_max_abs", num_or_null(ld->inherited >= 0, ld->inherited));
    json_object_set_new(o, "alignment", json_string(ld->act.alignment));
    json_object_set_new(o, "within", json_boolean(ld->within));
    json_t *w = json_object();
    json_object_set_new(w, "status", ld->weights.compared ? json_string(ld->weights.status) : json_null());
    json_object_set_new(w, "max_abs", num_or_null(ld->weights.compared, ld->weights.max_abs));
    json_object_set_new(w, "alignment", json_string(ld->weights.alignment));
    json_object_set_new(o, "weights", w);
    return o;
}

static json_t *first_divergence_json(const cs_graph *a, const cs_graph *b, const cs_diff_result *r)
{
    if (r->first_divergence < 0)
        return json_null();
    const cs_match_pair *pair = &r->matching->pairs[r->first_divergence];
    const cs_layer_diff *ld = &r->layers[r->first_divergence];
    json_t *fd = json_object();
    json_object_set_new(fd, "a_layer", json_string(a->layers[pair->a[0]].name));
    json_object_set_new(fd, "b_layer", json_string(b->layers[pair->b[0]].name));
    json_object_set_new(fd, "a_layers", names_json(a, pair->a, pair->n_a));
    json_object_set_new(fd, "b_layers", names_json(b, pair->b, pair->n_b));
    json_object_set_new(fd, "status", json_string(cs_layer_status_name(ld->status)));
    json_object_set_new(fd, "max_abs", num_or_null(ld->act.compared, ld->act.max_abs));
    json_object_set_new(fd, "rel_max", num_or_null(ld->act.compared, ld->act.rel_max));
    const char *reason = !r->ran ? "weights differ" : !ld->act.compared ? ld->act.alignment : "values differ";
    json_object_set_new(fd, "reason", json_string(reason));
    json_object_set_new(fd, "local_max_abs", num_or_null(ld->local.compared, ld->local.max_abs));
    json_object_set_new(fd, "local_noise_floor", num_or_null(ld->local.compared && ld->noise_floor > 0, ld->noise_floor));
    json_object_set_new(fd, "inherited_max_abs", num_or_null(ld->inherited >= 0, ld->inherited));
    return fd;
}

static void print_json(const cs_graph *a, const cs_graph *b, const cs_diff_result *r)
{
    json_t *root = json_object(), *layers = json_array();
    json_object_set_new(root, "verdict", json_string(cs_verdict_name(r->verdict)));
    json_object_set_new(root, "precision", r->verdict == CS_VERDICT_PRECISION ? json_string(r->precision) : json_null());
    json_object_set_new(root, "first_divergence", first_divergence_json(a, b, r));
    if (r->b_failed)
        json_object_set_new(root, "b_error", json_string(r->b_error));
    for (int p = 0; p < r->matching->n_pairs; p++)
        json_array_append_new(layers, layer_json(a, b, &r->matching->pairs[p], &r->layers[p]));
    json_object_set_new(root, "layers", layers);
    json_object_set_new(root, "unmatched_a", names_json(a, r->matching->unmatched_a, r->matching->n_unmatched_a));
    json_object_set_new(root, "unmatched_b", names_json(b, r->matching->unmatched_b, r->matching->n_unmatched_b));
    if (r->final.compared) {
        json_t *f = json_object();
        metrics_json(f, &r->final, "");
        json_object_set_new(f, "within", json_boolean(r->final.within));
        json_object_set_new(f, "top1_agree", r->has_top ? json_boolean(r->a_top1 == r->b_top1) : json_null());
        json_object_set_new(f, "top5_overlap", r->has_top ? json_integer(r->top5_overlap) : json_null());
        json_object_set_new(f, "note", r->final_note[0] ? json_string(r->final_note) : json_null());
        json_object_set_new(root, "final", f);
    }
    cs_json_print(root);
}

static cs_status load_model_inputs(const cs_graph *g, const diff_cli *c, cs_tensor **ins, cs_error *err)
{
    if (g->n_inputs > 1)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: diff feeds one input; this model has %d", g->path,
                            g->n_inputs);
    char notes[2048];
    cs_status st = cs_input_load(g, 0, c->spec, &c->input, &ins[0], notes, sizeof notes, err);
    if (st == CS_OK && !c->json)
        fprintf(stderr, "%s: %s", g->path, notes);
    return st;
}

static int diff_models(const cs_graph *a, const cs_graph *b, diff_cli *c)
{
    cs_error err = {0};
    cs_tensor *in_a[1] = {0}, *in_b[1] = {0};
    cs_diff_result *r = NULL;
    cs_status st = CS_OK;
    if (!c->opts.weights_only && !c->spec)
        return cs_cli_usage_error("diff", "give --input SPEC (or --weights-only)");
    if (!c->opts.weights_only) {
        st = load_model_inputs(a, c, in_a, &err);
        if (st == CS_OK)
            st = load_model_inputs(b, c, in_b, &err);
    }
    if (st == CS_OK)
        st = cs_diff_run(a, b, (const cs_tensor *const *)in_a, (const cs_tensor *const *)in_b, &c->opts, &r, &err);
    cs_tensor_free(in_a[0]);
    cs_tensor_free(in_b[0]);
    if (st != CS_OK)
        return cs_cli_fail(&err);
    if (c->json) {
        print_json(a, b, r);
    } else {
        print_table(a, b, r);
        print_summary(a, b, r);
    }
    /* text, JSON and exit status all follow r->verdict; a precision verdict fails only under --strict */
    bool differ = r->verdict == CS_VERDICT_DIVERGE || (c->strict && r->verdict == CS_VERDICT_PRECISION);
    cs_diff_result_free(r);
    return differ ? CS_EXIT_DIFFER : CS_EXIT_OK;
}

int cs_cmd_diff(int argc, char **argv)
{
    diff_cli c = {0};
    int rc = parse_opts(argc, argv, &c);
    if (rc != CS_EXIT_OK)
        return rc;
    cs_error err = {0};
    cs_tol_override *ov = NULL;
    if (c.tol_file && cs_diff_load_overrides(c.tol_file, &ov, &c.opts.n_overrides, &err) != CS_OK)
        return cs_cli_fail(&err);
    c.opts.overrides = ov;
    cs_graph *a = NULL, *b = NULL;
    if (cs_model_load(c.path_a, &a, &err) != CS_OK || cs_model_load(c.path_b, &b, &err) != CS_OK) {
        rc = cs_cli_fail(&err);
    } else {
        if ((a->weights_only || b->weights_only) && !c.opts.weights_only) {
            fprintf(stderr, "convscope diff: %s holds weights only (no architecture to run): comparing weights only\n",
                    a->weights_only ? a->path : b->path);
            c.opts.weights_only = true;
        }
        rc = diff_models(a, b, &c);
    }
    cs_graph_free(a);
    cs_graph_free(b);
    free(ov);
    return rc;
}

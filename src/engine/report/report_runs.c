/* report_runs.c — eval, bench and attack results as JSON, the same document for the CLI's --json and the
 * explorer's job saves. */
#include "report.h"

#include "../ops/fastpath.h"

static double ratio(int64_t a, int64_t b)
{
    return b > 0 ? (double)a / (double)b : 0;
}

json_t *cs_report_eval(const cs_eval_result *r, const char *data)
{
    json_t *root = json_object(), *models = json_array();
    json_object_set_new(root, "data", data ? json_string(data) : json_null());
    json_object_set_new(root, "samples", json_integer(r->samples));
    json_object_set_new(root, "total", json_integer(r->total));
    json_object_set_new(root, "cancelled", json_boolean(r->cancelled));
    for (int m = 0; m < r->n_models; m++) {
        json_t *jm = json_object(), *conf = json_array();
        json_object_set_new(jm, "path", json_string(r->models[m].path));
        json_object_set_new(jm, "accuracy", json_real(ratio(r->models[m].correct, r->samples)));
        for (int y = 0; r->models[m].confusion && y < r->n_classes; y++) {
            json_t *row = json_array();
            for (int p = 0; p < r->n_classes; p++)
                json_array_append_new(row, json_integer(r->models[m].confusion[y * r->n_classes + p]));
            json_array_append_new(conf, row);
        }
        json_object_set_new(jm, "confusion", conf);
        json_array_append_new(models, jm);
    }
    json_object_set_new(root, "models", models);
    bool two = r->n_models == 2;
    json_object_set_new(root, "agreement", two ? json_real(ratio(r->agree, r->samples)) : json_null());
    json_t *md = json_object();
    json_object_set_new(md, "value", two && r->max_diff >= 0 ? cs_json_num(true, r->max_diff) : json_null());
    json_object_set_new(md, "sample", two && r->max_diff >= 0 ? json_integer(r->max_diff_sample) : json_null());
    json_object_set_new(root, "max_output_diff", md);
    return root;
}

json_t *cs_report_bench(const cs_bench_result *r)
{
    json_t *jm = json_object(), *lat = json_object(), *layers = json_array();
    json_object_set_new(jm, "path", json_string(r->path));
    json_object_set_new(jm, "batch", json_integer(r->batch));
    json_object_set_new(jm, "runs", json_integer(r->runs));
    json_object_set_new(jm, "cancelled", json_boolean(r->cancelled));
    json_object_set_new(jm, "input", json_string(r->input_note));
    json_object_set_new(jm, "input_shape", json_string(r->input_shape));
    json_object_set_new(lat, "min", json_real(r->latency.min));
    json_object_set_new(lat, "median", json_real(r->latency.median));
    json_object_set_new(lat, "p90", json_real(r->latency.p90));
    json_object_set_new(lat, "max", json_real(r->latency.max));
    json_object_set_new(lat, "mean", json_real(r->latency.mean));
    json_object_set_new(jm, "latency_ms", lat);
    json_object_set_new(jm, "cpu_ms_median", json_real(r->cpu.median));
    json_object_set_new(jm, "throughput_per_s", json_real(r->throughput));
    json_object_set_new(jm, "peak_bytes", json_integer((json_int_t)r->peak_bytes));
    json_object_set_new(jm, "rss_peak_bytes", json_integer((json_int_t)r->rss_peak_bytes));
    json_object_set_new(jm, "rss_bytes", json_integer((json_int_t)r->rss_bytes));
    json_object_set_new(jm, "packed_bytes", json_integer((json_int_t)r->packed_bytes));
    json_object_set_new(jm, "weights_bytes", json_integer((json_int_t)r->const_bytes));
    json_object_set_new(jm, "file_bytes", json_integer(r->file_bytes));
    json_object_set_new(jm, "params", json_integer(r->params));
    json_object_set_new(jm, "macs", json_integer(r->macs));
    json_object_set_new(jm, "conv_macs", json_integer(r->conv_macs));
    json_object_set_new(jm, "conv_ms", json_real(r->conv_ms));
    json_object_set_new(jm, "first_run_ms", json_real(r->first_ms));
    json_object_set_new(jm, "kernels", json_string(cs_kernels_name(cs_kernels_get())));
    json_object_set_new(jm, "threads", json_integer(cs_threads_get()));
    for (int l = 0; l < r->n_layers; l++) {
        json_t *jl = json_object();
        json_object_set_new(jl, "name", json_string(r->layers[l].name));
        json_object_set_new(jl, "mean_ms", json_real(r->layers[l].mean_ms));
        json_array_append_new(layers, jl);
    }
    json_object_set_new(jm, "layers", layers);
    json_t *ops = json_array();
    for (int k = 0; k < r->n_ops; k++) {
        json_t *jo = json_object();
        json_object_set_new(jo, "op", json_string(r->ops[k].op));
        json_object_set_new(jo, "nodes", json_integer(r->ops[k].nodes));
        json_object_set_new(jo, "mean_ms", json_real(r->ops[k].mean_ms));
        json_array_append_new(ops, jo);
    }
    json_object_set_new(jm, "ops", ops);
    return jm;
}

json_t *cs_report_attack(const cs_attack_result *r, const char *adv_dir)
{
    json_t *root = json_object(), *models = json_array(), *tr = json_array();
    json_object_set_new(root, "method", json_string(cs_attack_method_name(r->method)));
    json_object_set_new(root, "eps", json_real(r->eps));
    json_object_set_new(root, "norm", json_string(r->l2 ? "2" : "inf"));
    json_object_set_new(root, "samples", json_integer(r->samples));
    json_object_set_new(root, "cancelled", json_boolean(r->cancelled));
    for (int m = 0; m < r->n_models; m++) {
        const cs_attack_model *am = &r->models[m];
        json_t *jm = json_object();
        json_object_set_new(jm, "path", json_string(am->path ? am->path : ""));
        json_object_set_new(jm, "clean_accuracy", json_real(ratio(am->clean_correct, r->samples)));
        json_object_set_new(jm, "robust_accuracy", json_real(ratio(am->robust_correct, r->samples)));
        json_object_set_new(jm, "success_rate", json_real(ratio(am->successes, am->attacked)));
        json_object_set_new(jm, "mean_linf", json_real(am->successes ? am->sum_linf / am->successes : 0));
        json_object_set_new(jm, "mean_l2", json_real(am->successes ? am->sum_l2 / am->successes : 0));
        json_object_set_new(jm, "max_linf", json_real(am->max_linf));
        json_object_set_new(jm, "max_l2", json_real(am->max_l2));
        json_object_set_new(jm, "queries", json_integer(am->queries));
        json_array_append_new(models, jm);
    }
    for (int m = 0; r->transfer_possible && m < 2; m++) {
        json_t *jt = json_object();
        json_object_set_new(jt, "from", json_string(r->models[m].path));
        json_object_set_new(jt, "to", json_string(r->models[1 - m].path));
        json_object_set_new(jt, "rate", json_real(ratio(r->transfer_hits[m], r->transfer_base[m])));
        json_array_append_new(tr, jt);
    }
    json_object_set_new(root, "models", models);
    json_object_set_new(root, "transfer", tr);
    if (adv_dir && adv_dir[0])
        json_object_set_new(root, "adv_dir", json_string(adv_dir));
    return root;
}

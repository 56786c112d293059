/* report.h — every JSON document the tool writes, built with jansson in one place: the diff report (CLI
 * `diff --json`, the explorer's diff export), and eval, bench and attack results (CLI --json and the explorer's
 * job saves). Clients print or save the returned tree (json_util.h); none formats JSON itself. */
#ifndef CS_REPORT_H
#define CS_REPORT_H

#include <jansson.h>

#include "../orch/compare.h"
#include "../runs/attack.h"
#include "../runs/bench.h"
#include "../runs/eval.h"
#include "json_util.h"

/* {verdict, first_divergence{a_layer, b_layer, a_layers, b_layers, verdict, blame, max_abs, reason,
 *  local_max_abs, cause}, layers[...], unmatched_a, unmatched_b, final{...}, b_error, input} */
json_t *cs_report_diff(const cs_graph *a, const cs_graph *b, const cs_compare *c);

/* The cause of a first divergence: {kind, attribute, a, b, evidence{residual, runner_up, runner_up_residual, text},
 * summary}, or null when there is none. */
json_t *cs_report_cause(const cs_cause *c);

/* One side of a diff as Model Explorer node data (GraphNodeData): {"results": {NODE: {"value": max abs difference
 * of the pair (-1 when not compared), "bgColor": red first divergence | orange diverges | green agrees}},
 * "thresholds": [], "convscope_cause": cause or null}, keyed by that side's layer and IR node names. */
json_t *cs_report_node_data(const cs_graph *g, const cs_diff_result *r, bool side_b);

/* {samples, total, cancelled, data, models[{path, accuracy, confusion}], agreement, max_output_diff{value, sample}} */
json_t *cs_report_eval(const cs_eval_result *r, const char *data);

/* {path, batch, runs, cancelled, input, input_shape, latency_ms{min, median, p90, max, mean}, throughput_per_s,
 *  peak_bytes, rss_peak_bytes, file_bytes, params, macs, layers[{name, mean_ms}]} */
json_t *cs_report_bench(const cs_bench_result *r);

/* {method, eps, norm, samples, cancelled, models[...], transfer[...], adv_dir (when given)} */
json_t *cs_report_attack(const cs_attack_result *r, const char *adv_dir);

#endif

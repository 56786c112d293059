/* bench.c — the bench job: synthetic inputs of the declared shapes, warm-up and timed runs, percentiles,
 * MACs from Conv/Gemm/MatMul shapes seen by an observer, and time per source layer from node timings. */
#include "bench.h"

#include "../ops/fusion.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

#include "../exec.h"
#include "../ops/dnnl_backend.h"
#include "../ops/fusion.h"

void cs_bench_opts_default(cs_bench_opts *o)
{
    o->runs = 20;
    o->warmup = 3;
    o->batch = 1;
    o->top_layers = 10;
}

/* Sizes tried, in order, for dims a model leaves free (a TorchScript input declares none): the first size
 * that runs is kept. 224 serves most image classifiers, 32 and 28 small ones. */
static const int64_t probe_sizes[] = {224, 32, 28, 64, 96, 128, 299, 16, 8};
#define N_PROBE ((int)(sizeof probe_sizes / sizeof probe_sizes[0]))

static bool has_free_dims(const cs_graph *g, bool first_given)
{
    for (int i = first_given ? 1 : 0; i < g->n_inputs; i++) {
        const cs_value *v = &g->values[g->inputs[i]];
        if (v->rank < 0)
            return true;
        for (int a = 1; a < v->rank; a++)
            if (v->dims[a] <= 0)
                return true;
    }
    return false;
}

/* A uniform [0,1) tensor (or zeros for integer inputs) for each input not given; free dims: batch first, then
 * `side`; an input of unknown rank is [batch,1,side,side]. */
static cs_status make_inputs(const cs_graph *g, const cs_bench_opts *o, int64_t batch, int64_t side, cs_tensor **ins,
                             char *shape, size_t size, cs_error *err)
{
    uint32_t s = 7;
    for (int i = o->input ? 1 : 0; i < g->n_inputs; i++) {
        const cs_value *v = &g->values[g->inputs[i]];
        int64_t dims[CS_MAX_RANK];
        int rank = v->rank < 0 ? 4 : v->rank;
        for (int a = 0; a < rank; a++)
            dims[a] = v->rank < 0 ? (a == 0 ? batch : a == 1 ? 1 : side)
                    : v->dims[a] > 0 ? v->dims[a] : a == 0 ? batch : side;
        cs_dtype dt = v->dtype == CS_DT_UNDEFINED ? CS_DT_F32 : v->dtype;
        if (!(ins[i] = cs_tensor_new(dt, rank, dims, err)))
            return err->status;
        for (int64_t k = 0; k < cs_tensor_numel(ins[i]); k++) {
            s = s * 1664525u + 1013904223u;
            cs_tensor_set_f64(ins[i], k, cs_dtype_is_float(dt) ? (s >> 8) / 16777216.0 : 0);
        }
    }
    if (g->n_inputs > 0) {
        const cs_tensor *t0 = o->input ? o->input : ins[0];
        cs_shape_str(t0->rank, t0->dims, shape, size);
    }
    return CS_OK;
}

typedef struct mac_counter {
    int8_t *rank;
    int64_t (*dims)[CS_MAX_RANK];
    int64_t macs, conv_macs;
    const cs_plan *plan; /* its fusions: a fused Conv chain is seen once, at its tail */
} mac_counter;

static const int64_t *dims_of(const mac_counter *mc, const cs_graph *g, int v, int *rank)
{
    if (g->values[v].data) {
        *rank = g->values[v].data->rank;
        return g->values[v].data->dims;
    }
    *rank = mc->rank[v];
    return mc->dims[v];
}

/* The Conv or MatMul heading the fused chain whose result value is, when the head's own output was not seen (the
 * chain ran fused): its MACs are counted at the chain's result, whose shape is the head's (BatchNormalization,
 * a same-shape residual or bias and activations keep it). -1 otherwise. */
static int fused_mac_head(const mac_counter *mc, const cs_graph *g, int node, int value)
{
    const cs_plan *p = mc->plan;
    int k = p && p->fusion_of ? p->fusion_of[node] : -1;
    if (k < 0 || p->fusions[k].out_value != value || p->fusions[k].head == node)
        return -1;
    const cs_node *h = &g->nodes[p->fusions[k].head];
    bool seen = h->n_outputs >= 1 && h->outputs[0] >= 0 && mc->rank[h->outputs[0]] > 0;
    return (strcmp(h->op, "Conv") == 0 || strcmp(h->op, "MatMul") == 0) && !seen ? p->fusions[k].head : -1;
}

static void count_macs(void *user, const cs_graph *g, int node, int value, const cs_tensor *t)
{
    mac_counter *mc = user;
    mc->rank[value] = (int8_t)t->rank;
    memcpy(mc->dims[value], t->dims, sizeof mc->dims[value]);
    int head = fused_mac_head(mc, g, node, value);
    if (head >= 0)
        node = head, value = g->nodes[head].outputs[0];
    const cs_node *nd = &g->nodes[node];
    if (value != nd->outputs[0] || nd->n_inputs < 2 || nd->inputs[0] < 0 || nd->inputs[1] < 0)
        return;
    int ra, rb;
    const int64_t *a = dims_of(mc, g, nd->inputs[0], &ra), *b = dims_of(mc, g, nd->inputs[1], &rb);
    int64_t per = 0;
    if (strcmp(nd->op, "Conv") == 0 && rb >= 2) {
        per = 1;
        for (int k = 1; k < rb; k++)
            per *= b[k];
    } else if (strcmp(nd->op, "Gemm") == 0 && ra == 2) {
        per = cs_attrs_int(&nd->attrs, "transA", 0) ? a[0] : a[1];
    } else if (strcmp(nd->op, "MatMul") == 0 && ra >= 1) {
        per = a[ra - 1];
    }
    mc->macs += per * cs_tensor_numel(t);
    if (strcmp(nd->op, "Conv") == 0)
        mc->conv_macs += per * cs_tensor_numel(t);
}

/* The resident set now (after the timed runs: weights, packed weights, pooled activations, libraries),
 * from /proc/self/statm; 0 where unreadable. */
static size_t rss_now(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    bool ok = f && fscanf(f, "%llu %llu", &size, &resident) == 2;
    if (f)
        fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return ok && page > 0 ? (size_t)resident * (size_t)page : 0;
}

static int cmp_layer(const void *a, const void *b)
{
    double x = ((const cs_bench_layer *)a)->mean_ms, y = ((const cs_bench_layer *)b)->mean_ms;
    return (x < y) - (x > y);
}

static int cmp_op(const void *a, const void *b)
{
    double x = ((const cs_bench_op *)a)->mean_ms, y = ((const cs_bench_op *)b)->mean_ms;
    return (x < y) - (x > y);
}

/* Sums node times per op type, slowest first. */
static cs_status profile_ops(const cs_graph *g, const double *node_ms, int runs, cs_bench_result *res, cs_error *err)
{
    cs_bench_op *ops = calloc((size_t)g->n_nodes + 1, sizeof *ops);
    if (!ops)
        return cs_error_set(err, CS_ERR_NOMEM, "out of memory");
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        int k = 0;
        while (k < n && strcmp(ops[k].op, g->nodes[i].op) != 0)
            k++;
        if (k == n)
            snprintf(ops[n++].op, sizeof ops[0].op, "%s", g->nodes[i].op);
        ops[k].nodes++;
        ops[k].mean_ms += node_ms[i] / runs;
    }
    qsort(ops, (size_t)n, sizeof *ops, cmp_op);
    res->ops = ops;
    res->n_ops = n;
    return CS_OK;
}

/* Sums node times per source layer (or per node when it has none) and keeps the top ones. */
static cs_status profile(const cs_graph *g, const double *node_ms, int runs, int top, cs_bench_result *res, cs_error *err)
{
    cs_bench_layer *all = calloc((size_t)g->n_nodes + (size_t)g->n_layers + 1, sizeof *all);
    if (!all)
        return cs_error_set(err, CS_ERR_NOMEM, "out of memory");
    int n = 0;
    for (int l = 0; l < g->n_layers; l++) {
        snprintf(all[n].name, sizeof all[n].name, "%s", g->layers[l].name);
        for (int k = 0; k < g->layers[l].n_nodes; k++)
            all[n].mean_ms += node_ms[g->layers[l].nodes[k]] / runs;
        n++;
    }
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].layer < 0) {
            snprintf(all[n].name, sizeof all[n].name, "%s", g->nodes[i].name[0] ? g->nodes[i].name : g->nodes[i].op);
            all[n++].mean_ms = node_ms[i] / runs;
        }
    qsort(all, (size_t)n, sizeof *all, cmp_layer);
    res->layers = all;
    res->n_layers = n < top ? n : top;
    return CS_OK;
}

/* Progress with the running median and p90, summarised at most ten times a second. */
static void progress(cs_job *job, const double *lat, int n, double *last)
{
    if (cs_job_now_s() - *last < 0.1 && n < job->total) {
        cs_job_progress(job, n, NULL);
        return;
    }
    cs_timing t;
    char partial[160];
    cs_timing_of(lat, n, &t);
    snprintf(partial, sizeof partial, "%d runs, median %.3f ms, p90 %.3f ms", n, t.median, t.p90);
    cs_job_progress(job, n, partial);
    *last = cs_job_now_s();
}

/* Process CPU time (all threads, user+sys) in ms. */
static double cpu_ms_now(void)
{
    struct timespec ts;
    return clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0 ? ts.tv_sec * 1e3 + ts.tv_nsec / 1e6 : 0;
}

static cs_status timed_runs(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *ins,
                            const cs_bench_opts *o, cs_job *job, cs_bench_result *res, double *lat, double *cpu,
                            double *node_ms, cs_error *err)
{
    cs_status st = CS_OK;
    double last = 0;
    cs_tensor **outs = calloc((size_t)g->n_outputs + 1, sizeof *outs);
    cs_exec_opts eo = {NULL, NULL, &job->cancel};
    for (int r = 0; st == CS_OK && outs && r < o->warmup + o->runs && !cs_job_cancelled(job); r++) {
        cs_exec_stats stats = {0};
        double c0 = cpu_ms_now();
        st = cs_exec_run_shapes(g, plan, ins, outs, &eo, &stats, err);
        double c1 = cpu_ms_now();
        for (int i = 0; i < g->n_outputs; i++)
            cs_tensor_free(outs[i]), outs[i] = NULL;
        if (st == CS_OK && r >= o->warmup) {
            cpu[res->runs] = c1 - c0;
            lat[res->runs++] = stats.total_ms;
            for (int i = 0; i < g->n_nodes; i++) {
                node_ms[i] += stats.node_ms[i];
                res->conv_ms += strcmp(g->nodes[i].op, "Conv") == 0 ? stats.node_ms[i] : 0;
            }
            res->peak_bytes = stats.peak_bytes, res->const_bytes = stats.const_bytes;
            progress(job, lat, res->runs, &last);
        }
        cs_exec_stats_free(&stats);
    }
    free(outs);
    if (!outs)
        return cs_error_set(err, CS_ERR_NOMEM, "out of memory");
    if (st == CS_ERR_CANCELLED || cs_job_cancelled(job))
        res->cancelled = true, st = CS_OK;
    return st;
}

/* The first run, observed for its shapes to count MACs (it also proves the inputs fit); timed as the cold run. */
static cs_status count_run(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *ins, cs_job *job,
                           cs_bench_result *res, cs_error *err)
{
    mac_counter mc = {calloc((size_t)g->n_values + 1, 1), calloc((size_t)g->n_values + 1, sizeof *mc.dims), 0, 0,
                      plan};
    cs_tensor **outs = calloc((size_t)g->n_outputs + 1, sizeof *outs);
    cs_status st = mc.rank && mc.dims && outs ? CS_OK : cs_error_set(err, CS_ERR_NOMEM, "out of memory");
    for (int v = 0; st == CS_OK && v < g->n_inputs; v++) {
        mc.rank[g->inputs[v]] = (int8_t)ins[v]->rank;
        memcpy(mc.dims[g->inputs[v]], ins[v]->dims, sizeof mc.dims[0]);
    }
    /* shapes only: this run fuses and keeps layouts as the timed ones do, so it adds no primitives or
     * buffers of its own to what the process holds (the resident set reported after the runs) */
    cs_exec_opts eo = {count_macs, &mc, &job->cancel};
    cs_exec_stats stats = {0};
    if (st == CS_OK)
        st = cs_exec_run_shapes(g, plan, ins, outs, &eo, &stats, err);
    for (int i = 0; outs && i < g->n_outputs; i++)
        cs_tensor_free(outs[i]);
    res->macs = mc.macs;
    res->conv_macs = mc.conv_macs;
    res->first_ms = stats.total_ms; /* the cold run: primitives built, weights packed */
    cs_exec_stats_free(&stats);
    free(outs), free(mc.rank), free(mc.dims);
    return st;
}

static cs_status measure(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *ins, const cs_bench_opts *o,
                         cs_job *job, cs_bench_result *res, cs_error *err)
{
    double *lat = calloc((size_t)o->runs + 1, sizeof *lat), *node_ms = calloc((size_t)g->n_nodes + 1, sizeof *node_ms);
    double *cpu = calloc((size_t)o->runs + 1, sizeof *cpu);
    cs_status st = lat && node_ms && cpu ? CS_OK : cs_error_set(err, CS_ERR_NOMEM, "out of memory");
    cs_job_begin(job, res->path, o->runs);
    if (st == CS_OK)
        st = timed_runs(g, plan, ins, o, job, res, lat, cpu, node_ms, err);
    if (st == CS_OK && res->runs > 0) {
        cs_timing_of(lat, res->runs, &res->latency);
        cs_timing_of(cpu, res->runs, &res->cpu);
        res->min_ms = res->latency.min, res->max_ms = res->latency.max;
        res->median_ms = res->latency.median, res->p90_ms = res->latency.p90;
        res->throughput = res->median_ms > 0 ? (double)res->batch * 1000.0 / res->median_ms : 0;
        res->conv_ms /= res->runs;
        st = profile(g, node_ms, res->runs, o->top_layers, res, err);
        if (st == CS_OK)
            st = profile_ops(g, node_ms, res->runs, res, err);
    }
    free(lat), free(node_ms), free(cpu);
    return st;
}

/* Makes the inputs, probing sizes for free dims until one run succeeds; ins[0] is o->input when given. */
static cs_status fit_inputs(const cs_model *m, const cs_bench_opts *o, cs_job *job, cs_tensor **ins,
                            cs_bench_result *res, cs_error *err)
{
    const cs_graph *g = m->g;
    bool probe = has_free_dims(g, o->input != NULL);
    cs_status st = CS_OK;
    for (int k = 0; k < (probe ? N_PROBE : 1); k++) {
        for (int i = o->input ? 1 : 0; i < g->n_inputs; i++)
            cs_tensor_free(ins[i]), ins[i] = NULL;
        if (o->input)
            ins[0] = (cs_tensor *)o->input;
        st = make_inputs(g, o, res->batch, probe_sizes[k], ins, res->input_shape, sizeof res->input_shape, err);
        if (st == CS_OK)
            st = count_run(g, m->plan, (const cs_tensor *const *)ins, job, res, err);
        if (st == CS_OK || st == CS_ERR_CANCELLED || st == CS_ERR_NOMEM)
            break;
    }
    if (st == CS_OK && probe)
        snprintf(res->input_note, sizeof res->input_note, "%s; free dims set to %s (the first probed size that runs; "
                 "give --input for a real one)", o->input ? o->input_desc : "synthetic uniform [0,1)",
                 res->input_shape);
    else if (st == CS_OK)
        snprintf(res->input_note, sizeof res->input_note, "%s", o->input ? o->input_desc : "synthetic uniform [0,1)");
    else if (probe)
        cs_error_prefix(err, "no probed input size runs (the input declares free dims; give --input): ");
    return st;
}

cs_status cs_bench_run_model(const cs_model *m, const cs_bench_opts *o, cs_job *job, cs_bench_result *res,
                             cs_error *err)
{
    memset(res, 0, sizeof *res);
    snprintf(res->path, sizeof res->path, "%s", m->path);
    res->batch = o->batch > 0 ? o->batch : 1;
    res->file_bytes = m->file_bytes;
    res->params = m->params;
    const cs_graph *g = m->g;
    cs_tensor *ins[64] = {0};
    cs_status st = CS_OK;
    if (!m->plan)
        st = cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: holds weights only (no architecture to time)", m->path);
    if (st == CS_OK && (g->n_inputs > 64 || g->n_inputs < 1))
        st = cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: bench takes models with 1 to 64 inputs, not %d", m->path,
                          g->n_inputs);
    if (st == CS_OK)
        st = fit_inputs(m, o, job, ins, res, err);
    if (st == CS_OK && (ins[0]->rank == 0 || ins[0]->dims[0] != res->batch))
        res->batch = ins[0]->rank > 0 ? ins[0]->dims[0] : 1;
    if (st == CS_OK)
        st = measure(g, m->plan, (const cs_tensor *const *)ins, o, job, res, err);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        res->rss_peak_bytes = (size_t)ru.ru_maxrss * 1024;
    res->rss_bytes = rss_now();
    res->packed_bytes = m->plan ? cs_dnnl_cache_packed_bytes(m->plan->cache) : 0;
    for (int i = o->input ? 1 : 0; i < g->n_inputs && i < 64; i++)
        cs_tensor_free(ins[i]);
    if (st == CS_ERR_CANCELLED)
        res->cancelled = true, st = CS_OK;
    if (st == CS_OK)
        cs_job_finish(job, "");
    return st;
}

cs_status cs_bench_run(const char *path, const cs_bench_opts *o, cs_job *job, cs_bench_result *res, cs_error *err)
{
    cs_model *m = NULL;
    memset(res, 0, sizeof *res);
    cs_status st = cs_model_open(path, &m, err);
    if (st == CS_OK)
        st = cs_bench_run_model(m, o, job, res, err);
    cs_model_unref(m);
    return st;
}

void cs_bench_result_free(cs_bench_result *res)
{
    free(res->layers);
    free(res->ops);
    res->layers = NULL;
    res->ops = NULL;
}

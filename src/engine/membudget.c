/* membudget.c — the run memory budget: default from physical RAM, "--max-memory 2G" parsing, and the
 * before-the-run check of a plan's weights + activation peak. See membudget.h. */
#include "membudget.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

static size_t budget_set;
_Thread_local size_t cs_mem_left;

/* 3/4 of physical RAM, read once (sysconf asks the kernel each time, and buffer pools ask on every release). */
static size_t ram_budget(void)
{
    static _Atomic size_t cached = 0;
    size_t b = atomic_load(&cached);
    if (b == 0) {
        long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        b = pages <= 0 || page <= 0 ? (size_t)1 << 30 : (size_t)pages / 4 * 3 * (size_t)page;
        atomic_store(&cached, b);
    }
    return b;
}

size_t cs_mem_budget(void)
{
    return budget_set ? budget_set : ram_budget();
}

void cs_mem_set_budget(size_t bytes)
{
    budget_set = bytes;
}

bool cs_mem_parse(const char *text, size_t *bytes)
{
    char *end;
    double v = strtod(text, &end);
    double unit = 1;
    switch (*end) {
    case 'K': case 'k': unit = 1024.0, end++; break;
    case 'M': case 'm': unit = 1024.0 * 1024, end++; break;
    case 'G': case 'g': unit = 1024.0 * 1024 * 1024, end++; break;
    case 'T': case 't': unit = 1024.0 * 1024 * 1024 * 1024, end++; break;
    default: break;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    if (end == text || *end || !(v > 0) || v * unit >= 1.8e19)
        return false;
    *bytes = (size_t)(v * unit);
    return *bytes > 0;
}

/* Bytes of a value's declared shape; 0 when any dimension or the dtype is unknown. */
static size_t declared_bytes(const cs_value *v)
{
    size_t es = cs_dtype_size(v->dtype), n = es;
    if (!es || v->rank < 0 || v->rank > CS_MAX_RANK)
        return 0;
    for (int d = 0; d < v->rank; d++) {
        if (v->dims[d] < 0 || (v->dims[d] && n > SIZE_MAX / (size_t)v->dims[d]))
            return 0;
        n *= (size_t)v->dims[d];
    }
    return n;
}

size_t cs_mem_plan_bytes(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *inputs, size_t *weights)
{
    size_t w = 0, live = 0, peak = 0;
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].data)
            w += g->values[v].data->nbytes;
    for (int i = 0; i < g->n_inputs; i++)
        live += inputs && inputs[i] ? inputs[i]->nbytes : declared_bytes(&g->values[g->inputs[i]]);
    peak = live;
    for (int p = 0; p < plan->n_order; p++) {
        const cs_node *node = &g->nodes[plan->order[p]];
        for (int o = 0; o < node->n_outputs; o++)
            if (node->outputs[o] >= 0)
                live += declared_bytes(&g->values[node->outputs[o]]);
        if (live > peak)
            peak = live;
        for (int i = 0; i < node->n_inputs; i++) {
            int v = node->inputs[i];
            if (v >= 0 && !g->values[v].data && plan->last_use[v] == p && !plan->is_output[v]) {
                size_t b = declared_bytes(&g->values[v]);
                live -= b < live ? b : live;
            }
        }
    }
    if (weights)
        *weights = w;
    return w + peak;
}

cs_status cs_mem_check_plan(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *inputs, cs_error *err)
{
    size_t weights, need = cs_mem_plan_bytes(g, plan, inputs, &weights), budget = cs_mem_budget();
    if (need <= budget)
        return CS_OK;
    return cs_error_set(err, CS_ERR_NOMEM,
                        "%s: running it needs %.1f MiB (weights %.1f MiB + activations %.1f MiB by the plan), over "
                        "the memory budget of %.1f MiB (--max-memory)", g->path, need / 1048576.0,
                        weights / 1048576.0, (need - weights) / 1048576.0, budget / 1048576.0);
}

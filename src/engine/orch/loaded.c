/* loaded.c — opening a model once (format detection and reading in model.c, planning in exec.c) and
 * sharing it between the clients' runs by reference counting. */
#include "loaded.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "../model.h"

cs_status cs_model_open(const char *path, cs_model **out, cs_error *err)
{
    *out = NULL;
    cs_model *m = calloc(1, sizeof *m);
    if (!m)
        return cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", path);
    cs_status st = cs_model_load(path, &m->g, err);
    if (st == CS_OK && !m->g->weights_only)
        st = cs_plan_build(m->g, &m->plan, err);
    if (st != CS_OK) {
        cs_graph_free(m->g);
        free(m);
        return st;
    }
    struct stat sb;
    snprintf(m->path, sizeof m->path, "%s", path);
    snprintf(m->format, sizeof m->format, "%s", m->g->format ? m->g->format : "?");
    snprintf(m->producer, sizeof m->producer, "%s",
             m->g->producer && m->g->producer[0] ? m->g->producer : "unknown producer");
    m->file_bytes = stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
    m->params = cs_graph_param_count(m->g);
    m->labels = cs_graph_class_labels(m->g);
    m->refs = 1;
    *out = m;
    /* the reader's buffers (file bytes, parsed messages: often several times the weights) are freed by now;
     * hand the pages back so the resident set is what the model holds, not what reading it took */
    malloc_trim(0);
    return CS_OK;
}

cs_model *cs_model_ref(cs_model *m)
{
    if (m)
        __atomic_add_fetch(&m->refs, 1, __ATOMIC_SEQ_CST);
    return m;
}

void cs_model_unref(cs_model *m)
{
    if (!m || __atomic_sub_fetch(&m->refs, 1, __ATOMIC_SEQ_CST) > 0)
        return;
    cs_plan_free(m->plan);
    cs_graph_free(m->g);
    free(m);
}

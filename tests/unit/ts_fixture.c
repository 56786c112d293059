/* ts_fixture.c — the TorchScript unit tests' shared fixture reader and runner (contract in ts_fixture.h):
 * one copy of reading a raw tensor, loading a fixture and measuring its error against torch's output. */
#include "ts_fixture.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

cs_tensor *ts_read_raw(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint32_t r = 0, d;
    int64_t dims[CS_MAX_RANK];
    cs_tensor *t = NULL;
    if (fread(&r, 4, 1, f) == 1 && r <= CS_MAX_RANK) {
        bool ok = true;
        for (uint32_t i = 0; i < r && ok; i++)
            ok = fread(&d, 4, 1, f) == 1, dims[i] = d;
        cs_error err;
        t = ok ? cs_tensor_new(CS_DT_F32, (int)r, dims, &err) : NULL;
        if (t && fread(t->data, 1, t->nbytes, f) != t->nbytes) {
            cs_tensor_free(t);
            t = NULL;
        }
    }
    fclose(f);
    return t;
}

bool ts_case_open(ts_case *c, const char *prefix)
{
    memset(c, 0, sizeof *c);
    char path[512];
    snprintf(path, sizeof path, "%s.pt", prefix);
    if (cs_torchscript_load(path, &c->g, &c->err) || cs_plan_build(c->g, &c->plan, &c->err))
        return false;
    snprintf(path, sizeof path, "%s.in.f32", prefix);
    c->in = ts_read_raw(path);
    snprintf(path, sizeof path, "%s.out.f32", prefix);
    c->ref = ts_read_raw(path);
    return true;
}

bool ts_case_run(ts_case *c)
{
    const cs_tensor *ins[1] = {c->in};
    return c->in && c->ref && c->g->n_outputs <= TS_MAX_OUT &&
           !cs_exec_run(c->g, c->plan, ins, c->out, NULL, NULL, &c->err) &&
           cs_tensor_numel(c->out[0]) == cs_tensor_numel(c->ref);
}

double ts_rel_error(const cs_tensor *out, const cs_tensor *ref)
{
    double mx = 0, md = 0;
    for (int64_t i = 0; i < cs_tensor_numel(ref); i++) {
        double r = ((const float *)ref->data)[i], o = cs_tensor_get_f64(out, i);
        mx = fabs(r) > mx ? fabs(r) : mx;
        md = fabs(r - o) > md ? fabs(r - o) : md;
    }
    return md / (mx > 1 ? mx : 1);
}

void ts_case_close(ts_case *c)
{
    for (int k = 0; k < TS_MAX_OUT; k++)
        cs_tensor_free(c->out[k]);
    cs_tensor_free(c->in);
    cs_tensor_free(c->ref);
    cs_plan_free(c->plan);
    cs_graph_free(c->g);
    memset(c, 0, sizeof *c);
}

/* fuzz_common.c — see fuzz_common.h: private files under /dev/shm (or /tmp), a small memory budget so a
 * model that asks for gigabytes is refused rather than reported as an out-of-memory crash. */
#include "fuzz_common.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/exec.h"
#include "engine/membudget.h"
#include "engine/model.h"
#include "engine/sandbox.h"

void fuzz_setup(void)
{
    static int done;
    if (done++)
        return;
    /* 32 MiB: a 70-byte .mlmodel upsampling to 200 MB (within a 256 MiB budget) took 60 s per execution under
     * ASan; the budget path is what such inputs test, and it is reached sooner here */
    cs_mem_set_budget((size_t)32 << 20);
    /* scripts that loop up to the interpreter's budget cost seconds under ASan: the budget path is reached 25x
     * sooner here, and every other input runs as it would */
    cs_torchscript_set_step_budget(20000);
    /* libhdf5 keeps the blocks it frees for reuse instead of returning them: its per-file structures (the metadata
     * cache) are calloc'd afresh for every input otherwise, and page faults were a third of each execution */
    H5set_free_list_limits(-1, -1, -1, -1, -1, -1);
    /* libhdf5 parses in this process (no fork per input, its crashes seen by the fuzzer); CS_FUZZ_SANDBOX=1 runs
     * the real sandbox instead, which is how run.sh checks that the sandbox contains each crash found */
    cs_sandbox_set_in_process(getenv("CS_FUZZ_SANDBOX") == NULL);
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
    setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1);
}

void fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
}

const char *fuzz_file(const char *suffix, const uint8_t *data, size_t size)
{
    static char path[256];
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(path, sizeof path, "%s/csfuzz-%d%s", dir, (int)getpid(), suffix);
    fuzz_write(path, data, size);
    return path;
}

void fuzz_lower_and_run(const cs_graph *g)
{
    cs_error err = {0};
    cs_plan *plan = NULL;
    if (g->weights_only || cs_plan_build(g, &plan, &err) != CS_OK)
        return;
    cs_tensor *ins[16] = {0}, *outs[64] = {0};
    bool ok = g->n_inputs <= 16 && g->n_outputs <= 64;
    for (int i = 0; ok && i < g->n_inputs; i++) {
        const cs_value *v = &g->values[g->inputs[i]];
        int64_t n;
        ok = v->rank >= 0 && cs_dtype_size(v->dtype) && cs_shape_numel(v->rank, v->dims, &n) && n <= 4096;
        for (int d = 0; ok && d < v->rank; d++)
            ok = v->dims[d] > 0;
        if (ok)
            ok = (ins[i] = cs_tensor_new(v->dtype, v->rank, v->dims, &err)) != NULL;
    }
    if (ok)
        cs_exec_run(g, plan, (const cs_tensor *const *)ins, outs, NULL, NULL, &err);
    for (int i = 0; i < 16; i++)
        cs_tensor_free(ins[i]);
    for (int i = 0; i < 64; i++)
        cs_tensor_free(outs[i]);
    cs_plan_free(plan);
}

void fuzz_model(const char *path)
{
    fuzz_setup();
    cs_graph *g = NULL;
    cs_error err = {0};
    if (cs_model_load(path, &g, &err) == CS_OK) {
        fuzz_lower_and_run(g);
        cs_graph_free(g);
    }
}

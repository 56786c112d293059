/* fuzz_common.c — see fuzz_common.h: private files under /dev/shm (or /tmp), a small memory budget so a
 * model that asks for gigabytes is refused rather than reported as an out-of-memory crash, and the persistent
 * sandbox server of the HDF5 targets with the inputs libhdf5 failed on saved for run.sh. */
#include "fuzz_common.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/exec.h"
#include "engine/membudget.h"
#include "engine/model.h"
#include "engine/sandbox.h"
#include "engine/sandbox_server.h"

/* for code whose coverage says nothing about our readers (the fuzz targets are always built with clang) */
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))

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
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* initialised before the sandbox server is forked: it inherits both */
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

/* The little-endian unsigned integer of n (1..8) bytes at offset at of the image, reading zeros past its end as
 * libhdf5's in-memory driver does. */
NO_COVERAGE static uint64_t le(const uint8_t *image, size_t len, uint64_t at, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;)
        v = v << 8 | (at + i < len ? image[at + i] : 0);
    return v;
}

/* Size of lengths from the superblock at offset 0 (versions 0-1: byte 14, 2-3: byte 10), else 8. */
NO_COVERAGE static size_t sizeof_lengths(const uint8_t *image, size_t len)
{
    if (len < 16 || memcmp(image, "\211HDF\r\n\032\n", 8) != 0)
        return 8;
    size_t n = image[8] < 2 ? image[14] : image[10];
    return n == 2 || n == 4 || n == 8 ? n : 8;
}

NO_COVERAGE bool fuzz_h5_heaps_terminate(const uint8_t *image, size_t len)
{
    size_t L = sizeof_lengths(image, len), hdr = 8 + L, objhdr = 8 + L;
    for (size_t off = 0; off + hdr <= len; off++) {
        if (image[off] != 'G' || memcmp(image + off, "GCOL", 4) != 0 || image[off + 4] != 1)
            continue;
        uint64_t size = le(image, len, off + 8, L);
        for (uint64_t p = hdr; p < size && size - p >= objhdr;) {
            unsigned idx = (unsigned)le(image, len, off + p, 2);
            uint64_t obj = le(image, len, off + p + 8, L);
            uint64_t need = idx > 0 ? (obj > size ? UINT64_MAX : objhdr + ((obj + 7) & ~(uint64_t)7)) : obj;
            if (need == 0 || need > size - p)
                return false;
            p += need;
        }
    }
    return true;
}

static char artifact_prefix[4096] = "./";
static unsigned long lib_failures, lib_saved;

static void report_failures(void)
{
    fprintf(stderr, "fuzz: libhdf5 failed in the sandbox server on %lu input(s), %lu saved\n", lib_failures, lib_saved);
}

void fuzz_sandbox_server(int *argc, char ***argv)
{
    fuzz_setup();
    for (int i = 1; i < *argc; i++)
        if (strncmp((*argv)[i], "-artifact_prefix=", 17) == 0)
            snprintf(artifact_prefix, sizeof artifact_prefix, "%s", (*argv)[i] + 17);
    /* CS_FUZZ_SANDBOX=1: the real sandbox (a fork per input), as run.sh replays each input saved below */
    if (getenv("CS_FUZZ_SANDBOX") != NULL)
        return;
    if (cs_sandbox_server_start(CS_FUZZ_SERVER_CPU_SECONDS))
        atexit(report_failures);
    else
        fprintf(stderr, "fuzz: no sandbox server (%s): a fork per input\n", strerror(errno));
}

/* Copies the input at path to ARTIFACT_PREFIX "hdf5-" REASON "-" FNV-1a hash, unless that file exists or this
 * process saved CS_FUZZ_SAVE_PER_REASON inputs for that reason already. Not instrumented for coverage, which would
 * make inputs libhdf5 fails on "interesting" by their size or reason. */
NO_COVERAGE static void save_library_failure(const char *path, const char *why)
{
    static char reasons[16][96];
    static unsigned saved[16];
    int r = 0;
    while (r < 16 && reasons[r][0] && strcmp(reasons[r], why) != 0)
        r++;
    if (r == 16 || saved[r] >= CS_FUZZ_SAVE_PER_REASON)
        return;
    snprintf(reasons[r], sizeof reasons[r], "%s", why);
    saved[r]++, lib_saved++;
    uint8_t *data = NULL;
    size_t n = 0;
    FILE *f = fopen(path, "rb");
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = (size_t)ftell(f)) < ((size_t)1 << 30) && fseek(f, 0, SEEK_SET) == 0)
        data = malloc(n + 1);
    if (data && fread(data, 1, n, f) == n) {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < n; i++)
            h = (h ^ data[i]) * 0x100000001b3ULL;
        char name[4200], *p = name + snprintf(name, sizeof name, "%shdf5-", artifact_prefix);
        for (; *why && p < name + sizeof name - 24; why++) /* "over its 0.5-second CPU limit": over-its-0.5-... */
            *p++ = (char)(isalnum((unsigned char)*why) || *why == '.' ? *why : '-');
        snprintf(p, (size_t)(name + sizeof name - p), "-%016llx", (unsigned long long)h);
        if (access(name, F_OK) != 0)
            fuzz_write(name, data, n);
    }
    free(data);
    if (f)
        fclose(f);
}

int fuzz_model(const char *path)
{
    fuzz_setup();
    cs_graph *g = NULL;
    cs_error err = {0};
    const char *why;
    unsigned long failed = cs_sandbox_failures(NULL);
    if (cs_model_load(path, &g, &err) == CS_OK) {
        fuzz_lower_and_run(g);
        cs_graph_free(g);
    }
    if (cs_sandbox_failures(&why) == failed)
        return 0;
    if (cs_sandbox_server_active()) { /* not while run.sh replays one */
        lib_failures++;
        save_library_failure(path, why);
    }
    return -1;
}

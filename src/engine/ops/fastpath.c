/* fastpath.c — the process-wide kernel choice (fast / reference) and the thread count shared by
 * oneDNN's OpenMP runtime, OpenBLAS and the engine (see fastpath.h). */
#include "fastpath.h"

#include <cblas.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static _Atomic int kernels_mode = CS_KERNELS_FAST;
static _Atomic int thread_count = 0; /* 0: not set yet, from the environment or 1 */
static _Thread_local int applied = 0;
static _Thread_local int cap = 0; /* cs_threads_cap: 0 for none */
static _Thread_local bool solo = false; /* cs_threads_solo */

void cs_kernels_set(cs_kernels k) { atomic_store(&kernels_mode, (int)k); }
cs_kernels cs_kernels_get(void) { return (cs_kernels)atomic_load(&kernels_mode); }
bool cs_kernels_fast(void) { return atomic_load(&kernels_mode) == CS_KERNELS_FAST; }

bool cs_cpu_avx512(void)
{
#if defined(__x86_64__)
    static _Atomic int have = -1;
    int h = atomic_load(&have);
    if (h < 0)
        atomic_store(&have, h = __builtin_cpu_supports("avx512f") ? 1 : 0);
    return h == 1;
#else
    return false;
#endif
}

bool cs_kernels_parse(const char *s, cs_kernels *out)
{
    if (strcmp(s, "fast") == 0)
        *out = CS_KERNELS_FAST;
    else if (strcmp(s, "reference") == 0)
        *out = CS_KERNELS_REFERENCE;
    else
        return false;
    return true;
}

const char *cs_kernels_name(cs_kernels k) { return k == CS_KERNELS_REFERENCE ? "reference" : "fast"; }

void cs_threads_set(int n)
{
    if (n < 1)
        n = 1;
    atomic_store(&thread_count, n);
    openblas_set_num_threads(n);
    cs_threads_apply();
}

static int env_threads(void)
{
    const char *names[] = {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"};
    for (int i = 0; i < 2; i++) {
        const char *v = getenv(names[i]);
        long n = v ? strtol(v, NULL, 10) : 0;
        if (n >= 1 && n <= 4096)
            return (int)n;
    }
    return 1;
}

void cs_threads_solo(bool on)
{
    solo = on;
    cs_threads_apply();
}

int cs_threads_get(void)
{
    if (solo)
        return 1;
    int n = atomic_load(&thread_count);
    if (n == 0) {
        n = env_threads();
        int unset = 0;
        if (atomic_compare_exchange_strong(&thread_count, &unset, n))
            openblas_set_num_threads(n);
        else
            n = unset;
    }
    return n;
}

void cs_threads_apply(void)
{
    int n = cs_threads_get();
    if (cap > 0 && cap < n)
        n = cap;
    if (applied != n) {
        omp_set_num_threads(n);
        applied = n;
    }
}

void cs_threads_cap(int n)
{
    cap = n > 0 ? n : 0;
    cs_threads_apply();
}

double cs_threads_min_us(void)
{
    const char *spin = getenv("GOMP_SPINCOUNT"), *policy = getenv("OMP_WAIT_POLICY");
    bool passive = spin && *spin ? strtol(spin, NULL, 10) == 0 && strncasecmp(spin, "inf", 3) != 0
                                 : policy && strcasecmp(policy, "passive") == 0;
    return passive ? 50.0 : 10.0;
}

int cs_threads_for_cost(double cost_us)
{
    int n = cs_threads_get();
    if (n <= 1)
        return 1; /* without reading the environment: this runs for every convolution call */
    double fit = cost_us / cs_threads_min_us();
    return fit >= n ? n : fit >= 2 ? (int)fit : 1;
}

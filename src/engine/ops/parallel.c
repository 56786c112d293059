/* parallel.c — cs_parallel_for (see parallel.h) on GNU OpenMP's team through its stable entry point, so no
 * file needs -fopenmp (clang-built fuzzers link the same objects against libgomp). */
#include "parallel.h"

#include <omp.h>
#include <string.h>

#include "fastpath.h"

/* libgomp's entry point for `#pragma omp parallel` (GCC >= 4.9 ABI): runs fn(data) on a team of
 * num_threads (0: the default count) with the caller as thread 0, and returns when all have finished. */
extern void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);

typedef struct par_job {
    cs_par_fn fn;
    void *user;
    int64_t n;
} par_job;

static void par_body(void *p)
{
    const par_job *j = p;
    int64_t t = omp_get_thread_num(), k = omp_get_num_threads();
    int64_t begin = j->n * t / k, end = j->n * (t + 1) / k;
    if (begin < end)
        j->fn(j->user, begin, end);
}

int cs_parallel_threads(int64_t n, int64_t min_per_thread)
{
    int threads = cs_threads_get();
    if (threads <= 1 || n <= 0 || omp_in_parallel())
        return 1;
    if (min_per_thread < 1)
        min_per_thread = 1;
    int64_t fit = n / min_per_thread;
    return fit < threads ? (fit < 1 ? 1 : (int)fit) : threads;
}

void cs_parallel_for(int64_t n, int64_t min_per_thread, cs_par_fn fn, void *user)
{
    if (n <= 0)
        return;
    int threads = cs_parallel_threads(n, min_per_thread);
    if (threads <= 1) {
        fn(user, 0, n);
        return;
    }
    par_job job = {fn, user, n};
    GOMP_parallel(par_body, &job, (unsigned)threads, 0);
}

typedef struct team_job {
    cs_team_fn fn;
    void *user;
} team_job;

static void team_body(void *p)
{
    const team_job *j = p;
    j->fn(j->user, omp_get_thread_num(), omp_get_num_threads());
}

void cs_parallel_team(int threads, cs_team_fn fn, void *user)
{
    if (threads <= 1 || omp_in_parallel()) {
        fn(user, 0, 1);
        return;
    }
    team_job job = {fn, user};
    GOMP_parallel(team_body, &job, (unsigned)threads, 0);
}

typedef struct copy_job {
    char *dst;
    const char *src;
    size_t bytes;
} copy_job;

#define COPY_BLOCK 4096 /* bytes per item: parts start on page-sized blocks */

static void copy_part(void *user, int64_t begin, int64_t end)
{
    const copy_job *j = user;
    size_t b = (size_t)begin * COPY_BLOCK, e = (size_t)end * COPY_BLOCK < j->bytes ? (size_t)end * COPY_BLOCK : j->bytes;
    memcpy(j->dst + b, j->src + b, e - b);
}

void cs_parallel_memcpy(void *dst, const void *src, size_t bytes)
{
    copy_job job = {dst, src, bytes};
    int64_t blocks = (int64_t)((bytes + COPY_BLOCK - 1) / COPY_BLOCK);
    /* a memory-bound copy: each thread should move at least ~4 bytes per element of CS_PAR_MIN_ELEMS */
    cs_parallel_for(blocks, CS_PAR_MIN_ELEMS * 4 / COPY_BLOCK, copy_part, &job);
}

typedef struct rows_job {
    char *dst;
    const char *src;
    size_t dst_stride, src_stride, chunk;
} rows_job;

static void rows_part(void *user, int64_t begin, int64_t end)
{
    const rows_job *j = user;
    for (int64_t r = begin; r < end; r++)
        memcpy(j->dst + (size_t)r * j->dst_stride, j->src + (size_t)r * j->src_stride, j->chunk);
}

void cs_parallel_copy_rows(void *dst, size_t dst_stride, const void *src, size_t src_stride, int64_t rows,
                           size_t chunk)
{
    if (chunk == 0 || rows <= 0)
        return;
    rows_job job = {dst, src, dst_stride, src_stride, chunk};
    int64_t min_rows = (int64_t)((size_t)(CS_PAR_MIN_ELEMS * 4) / chunk);
    cs_parallel_for(rows, min_rows > 0 ? min_rows : 1, rows_part, &job);
}

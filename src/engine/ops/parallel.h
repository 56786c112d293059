/* parallel.h — the engine's own parallel loops: a range split over the --threads count (fastpath.h) on the
 * calling thread's OpenMP team, the one oneDNN uses, so engine loops and oneDNN never oversubscribe. */
#ifndef CS_PARALLEL_H
#define CS_PARALLEL_H

#include <stddef.h>
#include <stdint.h>

/* Work on items [begin, end) of a range; called from several threads at once on disjoint parts. */
typedef void (*cs_par_fn)(void *user, int64_t begin, int64_t end);

/* Items one thread should have at least before a loop is shared: a fork/join of the team costs about
 * 5-50 us (more where waiting workers sleep, OMP_WAIT_POLICY=PASSIVE), a memory-bound f32 element about
 * 1 ns, so a share under ~32K elements loses more to the fork than it gains. */
#define CS_PAR_MIN_ELEMS ((int64_t)32768)

/* Calls fn over [0, n) in contiguous parts, one per thread, using at most cs_threads_get() threads and
 * giving each thread at least min_per_thread items; runs fn(user, 0, n) on the caller when one thread would
 * do (small n, --threads 1, already inside a parallel region). fn must only write what its part owns. */
void cs_parallel_for(int64_t n, int64_t min_per_thread, cs_par_fn fn, void *user);

/* memcpy(dst, src, bytes) with big copies shared over the --threads count. */
void cs_parallel_memcpy(void *dst, const void *src, size_t bytes);

/* rows chunks of chunk bytes: row r from src + r * src_stride to dst + r * dst_stride (the row-wise copy of
 * Split and Concat), the rows shared over the --threads count when the copy is big. */
void cs_parallel_copy_rows(void *dst, size_t dst_stride, const void *src, size_t src_stride, int64_t rows,
                           size_t chunk);

/* Runs fn(user, t, threads) on a team of `threads` threads (t = 0 .. threads-1, the caller is thread 0) and
 * returns when all have finished; on the caller alone (threads 1) inside a parallel region or for threads <= 1. */
typedef void (*cs_team_fn)(void *user, int thread, int threads);
void cs_parallel_team(int threads, cs_team_fn fn, void *user);

/* The thread count cs_parallel_for would use for n items. */
int cs_parallel_threads(int64_t n, int64_t min_per_thread);

#endif

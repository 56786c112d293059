/* fastpath.h — which kernels run (the fast oneDNN/vectorised path or the reference oracle) and how many
 * threads oneDNN (OpenMP), OpenBLAS and the engine's own loops use. Process-wide settings. */
#ifndef CS_FASTPATH_H
#define CS_FASTPATH_H

#include <stdbool.h>

typedef enum {
    CS_KERNELS_FAST = 0,    /* default: oneDNN convolutions with fused post-ops, vectorised elementwise math */
    CS_KERNELS_REFERENCE    /* the reference kernels (im2col + BLAS, double-precision math): the oracle */
} cs_kernels;

void cs_kernels_set(cs_kernels k);
cs_kernels cs_kernels_get(void);
bool cs_kernels_fast(void);
/* Whether the processor runs AVX-512F code (the hand-written kernels' paths test it once; false off x86-64). */
bool cs_cpu_avx512(void);
/* "fast" or "reference"; false for anything else. */
bool cs_kernels_parse(const char *s, cs_kernels *out);
const char *cs_kernels_name(cs_kernels k);

/* Sets the thread count for oneDNN (OpenMP), OpenBLAS and engine loops (n >= 1). The default is 1 unless
 * OMP_NUM_THREADS / OPENBLAS_NUM_THREADS say otherwise. */
void cs_threads_set(int n);
int cs_threads_get(void);
/* While on, the calling thread counts as the only one (cs_threads_get() is 1 there): a worker of the
 * executor's sub-batch team runs its share of the batch on its own, building one-thread primitives. */
void cs_threads_solo(bool on);
/* Applies the thread count to the calling thread's OpenMP setting (OpenMP's count is per thread):
 * every fast kernel calls it before handing work to oneDNN, so job threads follow --threads too. */
void cs_threads_apply(void);
/* Caps the calling thread's kernels at n threads (0: no cap, the count above) until the next call: a small
 * primitive is built and run on fewer threads than a fork/join of the whole team would cost. */
void cs_threads_cap(int n);
/* Threads worth using for work a single thread does in cost_us microseconds: each thread gets at least
 * cs_threads_min_us() of it (one thread below that), at most cs_threads_get(). */
int cs_threads_for_cost(double cost_us);
/* One thread's share below which a fork/join of the team costs more than it saves: 10 us where waiting
 * OpenMP workers spin (a fork costs a few us), 50 us where they sleep (OMP_WAIT_POLICY=PASSIVE or
 * GOMP_SPINCOUNT=0: each fork and join pays a futex wake-up, tens of us on a virtual machine). */
double cs_threads_min_us(void);

#endif

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
/* "fast" or "reference"; false for anything else. */
bool cs_kernels_parse(const char *s, cs_kernels *out);
const char *cs_kernels_name(cs_kernels k);

/* Sets the thread count for oneDNN (OpenMP), OpenBLAS and engine loops (n >= 1). The default is 1 unless
 * OMP_NUM_THREADS / OPENBLAS_NUM_THREADS say otherwise. */
void cs_threads_set(int n);
int cs_threads_get(void);
/* Applies the thread count to the calling thread's OpenMP setting (OpenMP's count is per thread):
 * every fast kernel calls it before handing work to oneDNN, so job threads follow --threads too. */
void cs_threads_apply(void);

#endif

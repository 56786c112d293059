/* pool_nhwc.h — a hand-written AVX-512 MaxPool over channels-last (N,H,W,C) float32 storage, the fast path's
 * pool between convolutions: oneDNN's pooling primitive took about twice ONNX Runtime's time on ResNet's stem pool. */
#ifndef CS_POOL_NHWC_H
#define CS_POOL_NHWC_H

#include <stdbool.h>
#include <stdint.h>

#include "spatial.h"

/* Whether cs_maxpool_nhwc takes window w (2-D, no dilation, every window with at least one input position in
 * it) on this processor (AVX-512F). */
bool cs_maxpool_nhwc_fits(const cs_window *w);

/* y[n, oh, ow, c] = the maximum of x over the window's input positions, taken in row-major order as the plain
 * kernel does: the first position, then v replacing it only where v > it (so a NaN first position stays, a later
 * NaN does not replace). x holds batch x w->in[0] x w->in[1] x channels floats, y batch x w->out[0] x w->out[1] x
 * channels; output rows are shared over the --threads count. Only for windows cs_maxpool_nhwc_fits accepts. */
void cs_maxpool_nhwc(const cs_window *w, int64_t batch, int64_t channels, const float *x, float *y);

#endif

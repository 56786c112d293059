/* preprocess.h — the plan that fits 8-bit pixels (H, W, C) into one model input: layout chosen from
 * the declared rank, dims and layout, target size, channel count, dtype, scale and per-channel mean/std. */
#ifndef CS_PREPROCESS_H
#define CS_PREPROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../graph.h"
#include "../status.h"
#include "../tensor.h"
#include "input_opts.h"

typedef enum {
    CS_PX_NCHW, CS_PX_NHWC, CS_PX_CHW, CS_PX_HWC, CS_PX_NHW, CS_PX_HW,
    CS_PX_NF,   /* [N, H*W*C] flattened */
    CS_PX_F     /* [H*W*C] flattened */
} cs_pixel_layout;

typedef struct cs_pixel_plan {
    const char *input;          /* the input's name (borrowed from the graph) */
    cs_pixel_layout layout;
    char why[200];              /* why this layout was chosen */
    cs_dtype dtype;
    bool dtype_guessed;         /* undeclared dtype: f32 */
    int rank;
    int64_t dims[CS_MAX_RANK];  /* the tensor shape built for one call (batch resolved) */
    int batch_axis;             /* -1 when the layout has no batch axis */
    int64_t declared_batch;     /* -1 unknown, 0 no batch axis */
    int h, w, c;                /* target size and channel count */
    bool size_declared;         /* h and w come from the declared shape (else from the image) */
    bool flat_chw;              /* flattened layouts: channel-major order */
    int64_t sb, sc, sy, sx;     /* element strides of batch, channel, row, column */
    double scale;
    const char *scale_why;
    double mean[4], std[4];     /* per target channel */
    bool has_mean, has_std;
    bool bgr;                   /* write channels in B,G,R order (the model declares a BGR image input) */
} cs_pixel_plan;

/* Plans how an img_h x img_w x img_c image fits graph input `input`; errors say why it cannot. */
cs_status cs_pixel_plan_make(const cs_graph *g, int input, int img_h, int img_w, int img_c,
                             const cs_input_opts *opts, cs_pixel_plan *plan, cs_error *err);
/* Writes the notes (one line per choice) for feeding `source` of the given size through the plan. */
void cs_pixel_plan_describe(const cs_pixel_plan *plan, const char *source, int img_h, int img_w, int img_c,
                            char *notes, size_t size);
/* A zeroed tensor of the plan's shape with `batch` samples (batch must be 1 without a batch axis). */
cs_tensor *cs_pixel_plan_tensor(const cs_pixel_plan *plan, int64_t batch, cs_error *err);
/* Converts, resizes and writes pixels (h, w, c) as sample b of t (made by cs_pixel_plan_tensor). */
cs_status cs_pixel_plan_fill(const cs_pixel_plan *plan, const uint8_t *px, int h, int w, int c, cs_tensor *t,
                             int64_t b, cs_error *err);

const char *cs_pixel_layout_name(cs_pixel_layout layout);

#endif

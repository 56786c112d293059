/* input.h — turns a user's input SPEC into the tensor a model input wants: images (resized,
 * channel-converted, laid out and scaled, each choice described), .npy, .pb, and dataset samples. */
#ifndef CS_INPUT_H
#define CS_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../graph.h"
#include "../status.h"
#include "../tensor.h"
#include "input_opts.h"


/* Loads SPEC for graph input number `input` (index into g->inputs). Images and dataset samples are
 * fitted to the input's declared shape; .npy/.pb are fed exactly as stored (shape must match where
 * declared). `notes` receives one line per choice made ("resized 32x32 -> 28x28", ...). */
cs_status cs_input_load(const cs_graph *g, int input, const char *spec, const cs_input_opts *opts, cs_tensor **out,
                        char *notes, size_t notes_size, cs_error *err);

/* The tensor for graph input `input` from raw pixels (h, w, c uint8, interleaved), with exactly the
 * preprocessing `--input IMAGE` applies (see preprocess.h); `source` names the pixels in the notes.
 * A declared batch larger than 1 gets the sample in every slot. */
cs_status cs_input_from_pixels(const cs_graph *g, int input, const uint8_t *px, int h, int w, int c,
                               const char *source, const cs_input_opts *opts, cs_tensor **out, char *notes,
                               size_t notes_size, cs_error *err);

/* A zeroed tensor of n samples for input `input`, planned for h x w x c images; notes say the choices. */
cs_status cs_input_new_batch(const cs_graph *g, int input, int h, int w, int c, int64_t n, const cs_input_opts *opts,
                             cs_tensor **out, char *notes, size_t notes_size, cs_error *err);
/* Fills sample b of a tensor made by cs_input_new_batch. Where the input's size is undeclared the plan
 * follows each image, so samples of other sizes are refused: use one cs_pixel_plan for those. */
cs_status cs_input_fill_batch(const cs_graph *g, int input, const uint8_t *px, int h, int w, int c,
                              const cs_input_opts *opts, cs_tensor *batch, int64_t b, cs_error *err);

#endif

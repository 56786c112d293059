/* coreml_internal.h — shared state and helpers of the CoreML loader (coreml*.c): the loader context around
 * the lowering kit (lower.h: graph, current layer, place, error, nodes and constants), blob names. */
#ifndef CS_COREML_INTERNAL_H
#define CS_COREML_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../graph.h"
#include "../status.h"
#include "coreml/Model.pb-c.h"
#include "lower.h"

#define CM_MAX_ALIASES 64

typedef struct cm_loader {
    cs_lower lw;             /* graph, current layer, place ("layer 'conv1' (convolution)"), model path, error */
    char *weights_dir;       /* package's Data/com.apple.CoreML directory (NULL for a plain .mlmodel) */
    int spec_version;
    const CoreML__Specification__Model *model;
    bool exact_mapping;      /* NeuralNetwork EXACT_ARRAY_MAPPING: blobs keep their declared rank */
    /* blob name -> value index overrides (preprocessed inputs, renamed output features) */
    char *alias_name[CM_MAX_ALIASES];
    int alias_value[CM_MAX_ALIASES];
    int n_aliases;
    const struct cm_loader *outer; /* an ML Program block's enclosing loader (cond branches); NULL at top level */
} cm_loader;

/* The value for blob `name` (aliases first); -1 with err set on failure. */
int cm_blob(cm_loader *ld, const char *name);
bool cm_alias(cm_loader *ld, const char *name, int value);
/* Copies every field of a protobuf params message into the current layer's attributes
 * (WeightParams fields are skipped: they become weights). */
cs_status cm_params_to_attrs(cm_loader *ld, const ProtobufCMessage *msg, const char *prefix);

/* ---- weights (coreml_weights.c) ---- */

/* Decodes WeightParams holding `expected` values (float, f16, raw f32, quantized) into an f32 tensor
 * of the given shape; *stored receives the stored precision. `what` names the weight in messages. */
cs_status cm_weight_tensor(cm_loader *ld, const CoreML__Specification__WeightParams *w, const char *what,
                           int rank, const int64_t *dims, int64_t out_channels, cs_tensor **out, cs_dtype *stored);
/* Decodes and adds the weight as a constant and a layer weight; returns the value index or -1. */
int cm_weight_value(cm_loader *ld, const CoreML__Specification__WeightParams *w, const char *what, int rank,
                    const int64_t *dims, cs_layout layout);

/* ---- model parts ---- */
cs_status cm_declare_inputs(cm_loader *ld, const CoreML__Specification__Model *m); /* coreml.c */
cs_status cm_nn_load(cm_loader *ld, const CoreML__Specification__Model *m);      /* coreml_nn.c */
cs_status cm_nn_layer(cm_loader *ld, const CoreML__Specification__NeuralNetworkLayer *l); /* coreml_layers.c */
cs_status cm_mil_load(cm_loader *ld, const CoreML__Specification__Model *m);     /* coreml_mil.c */

/* MILBlob storage (coreml_blob.c): reads the blob at metadata `offset` in file `path` into an f32 tensor
 * of `numel` values; *stored receives the stored dtype. */
cs_status cm_blob_read(cm_loader *ld, const char *path, uint64_t offset, int64_t numel, int rank, const int64_t *dims,
                       cs_tensor **out, cs_dtype *stored);

#endif

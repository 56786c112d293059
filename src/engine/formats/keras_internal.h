/* keras_internal.h — shared state of the Keras loader (keras*.c): the HDF5 weight store, the model
 * topology walk, and the per-layer IR emitters that keep Keras's own activation layout. */
#ifndef CS_KERAS_INTERNAL_H
#define CS_KERAS_INTERNAL_H

#include <hdf5.h>
#include <jansson.h>
#include <stdbool.h>

#include "../graph.h"
#include "../status.h"
#include "lower.h"

#define KS_MAX_CALL_IO 64

/* The open weight file: Keras 2 h5 (model_weights/<layer>/<weight_names>) or Keras 3 (layers/<name>/vars/N). */
typedef struct ks_store {
    hid_t file;
    hid_t root;            /* model_weights (Keras 2 full model) or the file root */
    bool v3_layout;        /* layers/<name>/vars/<i> */
} ks_store;

typedef struct ks_loader {
    cs_graph *g;
    const char *path;
    cs_error *err;
    ks_store store;
    int keras_major;       /* 2 or 3 (hard_sigmoid differs) */
    char keras_version[64];
} ks_loader;

/* The layer being emitted: the source layer all its IR nodes belong to, and its loaded weights. */
typedef struct ks_layer_ctx {
    ks_loader *ld;
    const char *name;      /* Keras layer name */
    const char *cls;       /* class_name */
    json_t *cfg;           /* the layer's "config" object */
    cs_lower lw;           /* the lowering kit on this layer (lw.layer: its cs_layer index) */
    cs_tensor **w;         /* weights as read, in Keras order (NULL once turned into constants) */
    cs_dtype *w_dtype;     /* stored precision of each */
    int n_w;
    int *w_val;            /* constant value of each weight, -1 until used */
    int cache[8];          /* derived constants (OIHW kernels...) shared by every call, -1 until made */
    int call;              /* 0 for the first call of a shared layer */
} ks_layer_ctx;

/* ---- keras_h5.c: HDF5 access ---- */
/* A string attribute (fixed or variable length) as a malloc'd string; NULL when absent. */
char *ks_h5_attr_string(hid_t obj, const char *name);
/* A string-array attribute; returns the count (-1 absent or not strings) and a malloc'd array of malloc'd strings. */
int ks_h5_attr_strings(hid_t obj, const char *name, char ***out);
void ks_strings_free(char **v, int n);
/* Reads the weights of the layer at chain[0..depth-1] (layer names, enclosing models first; vchain holds
 * their Keras 3 weights path names), in Keras order: *ts and *dts are malloc'd arrays of n f32 tensors and
 * their stored dtypes. */
cs_status ks_weights_read(ks_loader *ld, const char *const *chain, const char *const *vchain, int depth,
                          cs_tensor ***ts, cs_dtype **dts, int *n);

/* ---- keras_emit.c: IR building helpers beyond the kit (lower.h on lc->lw: fail, constants, transpose) ---- */
json_t *ks_cfg(const ks_layer_ctx *lc, const char *key);
/* Integer / float / bool / string options with defaults; a wrong JSON type is an error (returns false). */
bool ks_int(const ks_layer_ctx *lc, const char *key, int64_t dflt, int64_t *out);
bool ks_num(const ks_layer_ctx *lc, const char *key, double dflt, double *out);
bool ks_bool(const ks_layer_ctx *lc, const char *key, bool dflt, bool *out);
const char *ks_str(const ks_layer_ctx *lc, const char *key, const char *dflt);
/* An int or a list of n ints (a single int is repeated); false with the error set when malformed. */
bool ks_ints(const ks_layer_ctx *lc, const char *key, int n, int64_t dflt, int64_t *out);
/* channels_first? (data_format) */
bool ks_channels_first(const ks_layer_ctx *lc, bool *out);

/* Appends node `op` on inputs with one new output whose shape the op's infer declares once the node's
 * attributes are set (cs_lower_infer(&lc->lw, node)); returns the output value or -1 (error set). */
int ks_op(ks_layer_ctx *lc, const char *op, const int *ins, int n_in, int *node_out);
/* Appends node `op` on inputs; its single output gets declared shape (rank, dims), for ops without infer. Returns the output
 * value, -1 on failure (error set). *node_out receives the node index when not NULL. */
int ks_node(ks_layer_ctx *lc, const char *op, const int *ins, int n_in, int rank, const int64_t *dims,
            int *node_out);
/* Same, with the convscope domain. */
int ks_node_ext(ks_layer_ctx *lc, const char *op, const int *ins, int n_in, int rank, const int64_t *dims,
                int *node_out);
/* Declared shape of value v. */
int ks_rank(const ks_layer_ctx *lc, int v);
const int64_t *ks_dims(const ks_layer_ctx *lc, int v);
const cs_tensor *ks_weight(const ks_layer_ctx *lc, int i);
/* Fails unless the layer has exactly n weights. */
cs_status ks_expect_weights(const ks_layer_ctx *lc, int n, const char *which);
/* Fails unless weight i has the given shape (what names it in the message). */
cs_status ks_check_weight(const ks_layer_ctx *lc, int i, const char *what, int rank, const int64_t *dims);
/* Weight i as a graph constant named <layer>/<role>, listed as a layer weight with layout; -1 on failure. */
int ks_use_weight(ks_layer_ctx *lc, int i, const char *role, cs_layout layout);
/* Applies the activation named by the layer's "activation" option (or `name`). */
int ks_activation(ks_layer_ctx *lc, int v, const char *name);
/* Sets the layout of value v from its rank and the layer's data_format. */
void ks_set_layout(ks_layer_ctx *lc, int v, bool channels_first);

/* ---- keras_layers.c, keras_layers2.c: layer emitters ---- */
/* An emitter builds one call of a layer on input values and returns its output value (-1 on error). */
typedef int (*ks_emit_fn)(ks_layer_ctx *lc, const int *ins, int n_in);
/* The emitter for a Keras class name; NULL when unsupported. */
ks_emit_fn ks_layer_emitter(const char *cls);
/* Emitters exported across files. */
int ks_emit_conv(ks_layer_ctx *lc, const int *ins, int n_in);
int ks_emit_pool(ks_layer_ctx *lc, const int *ins, int n_in);
int ks_emit_global_pool(ks_layer_ctx *lc, const int *ins, int n_in);
int ks_emit_dense(ks_layer_ctx *lc, const int *ins, int n_in);
int ks_emit_batchnorm(ks_layer_ctx *lc, const int *ins, int n_in);
int ks_emit_layernorm(ks_layer_ctx *lc, const int *ins, int n_in);
int ks_emit_conv_transpose(ks_layer_ctx *lc, const int *ins, int n_in);
int ks_emit_shape_layer(ks_layer_ctx *lc, const int *ins, int n_in);
int ks_emit_merge(ks_layer_ctx *lc, const int *ins, int n_in);
int ks_emit_act_layer(ks_layer_ctx *lc, const int *ins, int n_in);
int ks_emit_misc(ks_layer_ctx *lc, const int *ins, int n_in);

/* ---- keras_weights.c: weights-only files (save_weights) ---- */
/* The file is a Keras 2 save_weights file (layer_names at its root). */
bool ks_is_weights_file(hid_t file);
/* Loads every layer group as a weights-only layer (class inferred from its weights). */
cs_status ks_load_weights_only(ks_loader *ld);

/* ---- keras_model.c: topology ---- */
cs_status ks_build_model(ks_loader *ld, json_t *config);

#endif

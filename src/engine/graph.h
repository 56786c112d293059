/* graph.h — the model IR shared by every format: values, nodes with typed attributes, and
 * source layers (what the user of the original format calls a layer) pointing at the nodes that implement them. */
#ifndef CS_GRAPH_H
#define CS_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"
#include "tensor.h"

/* Attribute types use ONNX AttributeProto.AttributeType numbers. */
typedef enum {
    CS_ATTR_UNDEFINED = 0,
    CS_ATTR_FLOAT = 1,
    CS_ATTR_INT = 2,
    CS_ATTR_STRING = 3,
    CS_ATTR_TENSOR = 4,
    CS_ATTR_GRAPH = 5,
    CS_ATTR_FLOATS = 6,
    CS_ATTR_INTS = 7,
    CS_ATTR_STRINGS = 8
} cs_attr_type;

struct cs_graph;

typedef struct cs_attr {
    char *name;
    cs_attr_type type;
    double f;              /* FLOAT */
    int64_t i;             /* INT */
    char *s;               /* STRING (NUL-terminated copy) */
    int count;             /* number of items in floats / ints / strings */
    double *floats;        /* FLOATS */
    int64_t *ints;         /* INTS */
    char **strings;        /* STRINGS */
    cs_tensor *tensor;     /* TENSOR */
    struct cs_graph *graph; /* GRAPH (owned) */
} cs_attr;

typedef struct cs_attrs {
    cs_attr *items;
    int count;
    int cap;
} cs_attrs;

/* Lookup; NULL when absent. */
const cs_attr *cs_attrs_find(const cs_attrs *attrs, const char *name);
int64_t cs_attrs_int(const cs_attrs *attrs, const char *name, int64_t dflt);
double cs_attrs_float(const cs_attrs *attrs, const char *name, double dflt);
const char *cs_attrs_string(const cs_attrs *attrs, const char *name, const char *dflt);
/* INTS attribute: returns its count (or -1 when absent) and points *out at the items. */
int cs_attrs_ints(const cs_attrs *attrs, const char *name, const int64_t **out);
int cs_attrs_floats(const cs_attrs *attrs, const char *name, const double **out);

/* Adders copy their arguments; they return false only on allocation failure. */
bool cs_attrs_add_int(cs_attrs *attrs, const char *name, int64_t v);
bool cs_attrs_add_float(cs_attrs *attrs, const char *name, double v);
bool cs_attrs_add_string(cs_attrs *attrs, const char *name, const char *v);
bool cs_attrs_add_ints(cs_attrs *attrs, const char *name, const int64_t *v, int n);
bool cs_attrs_add_floats(cs_attrs *attrs, const char *name, const double *v, int n);
bool cs_attrs_add_strings(cs_attrs *attrs, const char *name, const char *const *v, int n);
/* Takes ownership of t / g. */
bool cs_attrs_add_tensor(cs_attrs *attrs, const char *name, cs_tensor *t);
bool cs_attrs_add_graph(cs_attrs *attrs, const char *name, struct cs_graph *g);
void cs_attrs_free(cs_attrs *attrs);

/* A named value: a graph input, an initializer/constant (data != NULL) or a node output. */
typedef struct cs_value {
    char *name;
    cs_tensor *data;       /* owned constant data, or NULL for computed values */
    int producer;          /* index of the node producing it, -1 for inputs and constants */
    cs_layout layout;      /* semantic layout where the loader knows it */
    cs_dtype dtype;        /* declared dtype, CS_DT_UNDEFINED when unknown */
    cs_value_kind kind;    /* declared kind: tensor (also when unknown), sequence or optional (value.h) */
    int rank;              /* declared rank, -1 when unknown */
    int64_t dims[CS_MAX_RANK]; /* declared dims, -1 for symbolic/unknown */
    bool raw_pixels;       /* image input: feed raw 0..255 pixels, the model scales them itself (CoreML) */
    bool bgr;              /* image input wants channels in B,G,R order (CoreML BGR colour space) */
    bool fp16;             /* declared half precision by the source (ML Program fp16 types): see precision.h */
} cs_value;

typedef struct cs_node {
    char *name;
    char *op;              /* IR op name (ONNX op names are the IR vocabulary) */
    char *domain;          /* "" for the default domain */
    int *inputs;           /* value indices; -1 for an absent optional input */
    int n_inputs;
    int *outputs;          /* value indices; -1 for an unused optional output */
    int n_outputs;
    cs_attrs attrs;
    int layer;             /* index into graph->layers, -1 when none */
} cs_node;

/* A weight as stored by the source format, in the source's own layout. */
typedef struct cs_weight {
    char *name;
    cs_tensor *tensor;     /* owned when value < 0; else borrowed from graph->values[value].data */
    int value;             /* graph constant holding the weight, -1 when the layer owns it */
    cs_layout layout;
    cs_dtype stored_dtype; /* precision in the file (f16, u8 quantized...) even if dequantized here */
    bool is_buffer;        /* a non-trainable buffer (PyTorch running_mean...): not a parameter */
} cs_weight;

/* A layer as the user of the source format knows it. */
typedef struct cs_layer {
    char *name;            /* "conv1", "layer1.0.bn1", "/conv1/Conv", "conv2d_1" */
    char *type;            /* "Conv2d", "Conv", "Conv2D", "convolution" */
    cs_attrs attrs;        /* as written in the source file */
    cs_weight *weights;
    int n_weights;
    int *nodes;            /* IR nodes implementing it, in order */
    int n_nodes;
    int *outputs;          /* values this layer outputs (as the user sees them) */
    int n_outputs;
    int parent;            /* enclosing layer for nesting (a ResNet block), -1 at top level */
} cs_layer;

typedef struct cs_graph {
    char *path;            /* file it came from, for messages */
    char *format;          /* "onnx", "torchscript", "coreml", "keras" */
    char *producer;        /* producer name and version as written */
    int64_t opset;         /* default-domain opset (ONNX), 0 when not applicable */
    int64_t ir_version;
    bool weights_only;     /* a checkpoint without architecture: layers hold weights, no nodes to run */
    int precision;         /* cs_precision (precision.h) the graph computes in; 0 = fp32 */

    cs_value *values;
    int n_values, cap_values;
    cs_node *nodes;
    int n_nodes, cap_nodes;
    cs_layer *layers;
    int n_layers, cap_layers;

    int *inputs;           /* graph inputs (value indices), excluding initializers */
    int n_inputs;
    int *outputs;
    int n_outputs;

    /* Subgraphs (GRAPH attributes of If/Loop/Scan) only: values read from an enclosing graph by name
     * (outer scope). The executor binds them like inputs; the owning node lists the outer values too. */
    int *captures;
    int n_captures;

    /* name -> value index hash (open addressing) */
    int *index;
    int index_cap;
} cs_graph;

cs_graph *cs_graph_new(const char *path, const char *format);
/* For a subgraph: fills captures with the values it reads (or outputs) that none of its inputs, constants or
 * nodes define, so they come from an enclosing graph. False when out of memory. */
bool cs_graph_find_captures(cs_graph *sub);
void cs_graph_free(cs_graph *g);
/* Replaces the producer string with a copy of `producer`; false (producer unchanged) on allocation failure. */
bool cs_graph_set_producer(cs_graph *g, const char *producer);

/* The value named `name`, or -1. */
int cs_graph_find_value(const cs_graph *g, const char *name);
/* Whether n is an op of ONNX's default domain ("" or "ai.onnx"), not a convscope or custom one. */
bool cs_node_default_domain(const cs_node *n);

/* The value v stands for once Identity nodes are looked through (exporters share initializers that way): the
 * first value on the way that holds data or is not made by a one-input Identity; -1 for v < 0 or after 8 hops. */
int cs_graph_skip_identity(const cs_graph *g, int v);
/* The value named `name`, created when absent; -1 on allocation failure. */
int cs_graph_value(cs_graph *g, const char *name);
/* A new value with a fresh unique name built from `hint`. */
int cs_graph_new_value(cs_graph *g, const char *hint);
/* Renames value v; false when the name is taken or memory runs out. */
bool cs_graph_rename_value(cs_graph *g, int v, const char *name);
/* Adds a constant value owning `t`; -1 on failure (t is freed). */
int cs_graph_add_constant(cs_graph *g, const char *name, cs_tensor *t);

/* Appends a node; returns its index or -1. Inputs/outputs are value indices (-1 = absent). */
int cs_graph_add_node(cs_graph *g, const char *op, const char *name,
                      const int *inputs, int n_inputs, const int *outputs, int n_outputs);
/* Appends a layer; returns its index or -1. */
int cs_graph_add_layer(cs_graph *g, const char *name, const char *type, int parent);
/* Links node -> layer (appends the node to the layer's node list). */
bool cs_layer_add_node(cs_graph *g, int layer, int node);
bool cs_layer_add_output(cs_graph *g, int layer, int value);
/* Adds a weight (takes ownership of t). */
bool cs_layer_add_weight(cs_graph *g, int layer, const char *name, cs_tensor *t,
                         cs_layout layout, cs_dtype stored_dtype);
/* Adds a weight that refers to constant value `value` (no copy). */
bool cs_layer_add_weight_ref(cs_graph *g, int layer, const char *name, int value, cs_layout layout);

bool cs_graph_add_input(cs_graph *g, int value);
bool cs_graph_add_output(cs_graph *g, int value);

/* Total element count of all distinct layer weights (or, for graphs without layer weights, of all constants). */
int64_t cs_graph_param_count(const cs_graph *g);
int64_t cs_layer_param_count(const cs_layer *layer);
/* The value a group of layers outputs: the first output of its last layer (-1 when none). */
int cs_layer_group_output(const cs_graph *g, const int *layers, int n);

/* The class labels a classifier declares (a CoreML model's classLabels attribute, strings or ints),
 * or NULL when the model names none. */
const cs_attr *cs_graph_class_labels(const cs_graph *g);

#endif

/* kind.c — classifies source layers of every format by their type string (and, for generic
 * CoreML/Keras layers, by an attribute) into format-neutral kinds for matching. */
#include "kind.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *type;  /* lower-cased type without punctuation, e.g. "conv2d", "maxpooling2d" */
    cs_layer_kind kind;
} kind_row;

static const kind_row rows[] = {
    {"conv", CS_KIND_CONV}, {"conv1d", CS_KIND_CONV}, {"conv2d", CS_KIND_CONV}, {"conv3d", CS_KIND_CONV},
    {"convolution", CS_KIND_CONV}, {"depthwiseconv2d", CS_KIND_CONV}, {"separableconv2d", CS_KIND_CONV},
    {"convtranspose", CS_KIND_DECONV}, {"convtranspose2d", CS_KIND_DECONV}, {"conv2dtranspose", CS_KIND_DECONV},
    {"deconvolution", CS_KIND_DECONV},
    {"gemm", CS_KIND_DENSE}, {"linear", CS_KIND_DENSE}, {"dense", CS_KIND_DENSE}, {"innerproduct", CS_KIND_DENSE},
    {"matmul", CS_KIND_DENSE}, {"addmm", CS_KIND_DENSE}, {"batchedmatmul", CS_KIND_DENSE},
    {"batchnormalization", CS_KIND_BN}, {"batchnorm", CS_KIND_BN}, {"batchnorm1d", CS_KIND_BN},
    {"batchnorm2d", CS_KIND_BN}, {"batchnorm3d", CS_KIND_BN}, {"batchnormfoldedin", CS_KIND_BN},
    {"layernormalization", CS_KIND_NORM}, {"layernorm", CS_KIND_NORM}, {"instancenormalization", CS_KIND_NORM},
    {"lrn", CS_KIND_NORM}, {"l2normalize", CS_KIND_NORM}, {"groupnorm", CS_KIND_NORM},
    {"relu", CS_KIND_ACT}, {"relu6", CS_KIND_ACT}, {"leakyrelu", CS_KIND_ACT}, {"prelu", CS_KIND_ACT},
    {"elu", CS_KIND_ACT}, {"selu", CS_KIND_ACT}, {"sigmoid", CS_KIND_ACT}, {"hardsigmoid", CS_KIND_ACT},
    {"tanh", CS_KIND_ACT}, {"softplus", CS_KIND_ACT}, {"softsign", CS_KIND_ACT}, {"gelu", CS_KIND_ACT},
    {"hardtanh", CS_KIND_ACT}, {"clip", CS_KIND_ACT}, {"activation", CS_KIND_ACT}, {"silu", CS_KIND_ACT},
    {"swish", CS_KIND_ACT}, {"mish", CS_KIND_ACT}, {"thresholdedrelu", CS_KIND_ACT}, {"hardswish", CS_KIND_ACT},
    {"softmax", CS_KIND_SOFTMAX}, {"logsoftmax", CS_KIND_SOFTMAX}, {"softmaxnd", CS_KIND_SOFTMAX},
    {"maxpool", CS_KIND_MAXPOOL}, {"maxpool1d", CS_KIND_MAXPOOL}, {"maxpool2d", CS_KIND_MAXPOOL},
    {"maxpooling1d", CS_KIND_MAXPOOL}, {"maxpooling2d", CS_KIND_MAXPOOL}, {"maxpool2dwithindices", CS_KIND_MAXPOOL},
    {"averagepool", CS_KIND_AVGPOOL}, {"avgpool1d", CS_KIND_AVGPOOL}, {"avgpool2d", CS_KIND_AVGPOOL},
    {"averagepooling1d", CS_KIND_AVGPOOL}, {"averagepooling2d", CS_KIND_AVGPOOL},
    {"globalaveragepool", CS_KIND_GLOBALPOOL}, {"globalmaxpool", CS_KIND_GLOBALPOOL},
    {"adaptiveavgpool2d", CS_KIND_GLOBALPOOL}, {"adaptiveavgpool1d", CS_KIND_GLOBALPOOL},
    {"adaptivemaxpool2d", CS_KIND_GLOBALPOOL}, {"globalaveragepooling1d", CS_KIND_GLOBALPOOL},
    {"globalaveragepooling2d", CS_KIND_GLOBALPOOL}, {"globalmaxpooling2d", CS_KIND_GLOBALPOOL},
    {"flatten", CS_KIND_RESHAPE}, {"reshape", CS_KIND_RESHAPE}, {"view", CS_KIND_RESHAPE},
    {"squeeze", CS_KIND_RESHAPE}, {"reshapestatic", CS_KIND_RESHAPE}, {"flattento2d", CS_KIND_RESHAPE},
    {"transpose", CS_KIND_TRANSPOSE}, {"permute", CS_KIND_TRANSPOSE}, {"contiguous", CS_KIND_IDENTITY},
    {"add", CS_KIND_ADD}, {"sum", CS_KIND_ADD}, {"addbroadcastable", CS_KIND_ADD},
    {"mul", CS_KIND_MUL}, {"multiply", CS_KIND_MUL}, {"concat", CS_KIND_CONCAT}, {"concatenate", CS_KIND_CONCAT},
    {"cat", CS_KIND_CONCAT}, {"concatnd", CS_KIND_CONCAT},
    {"pad", CS_KIND_PAD}, {"padding", CS_KIND_PAD}, {"zeropadding2d", CS_KIND_PAD}, {"constantpadnd", CS_KIND_PAD},
    {"zeropad2d", CS_KIND_PAD}, {"constantpad2d", CS_KIND_PAD}, {"reflectionpad2d", CS_KIND_PAD},
    {"replicationpad2d", CS_KIND_PAD}, {"reflectionpad1d", CS_KIND_PAD}, {"zeropad1d", CS_KIND_PAD},
    {"upsample", CS_KIND_UPSAMPLE}, {"resize", CS_KIND_UPSAMPLE}, {"upsampling2d", CS_KIND_UPSAMPLE},
    {"upsamplenearest2d", CS_KIND_UPSAMPLE}, {"upsamplebilinear2d", CS_KIND_UPSAMPLE},
    {"upsamplenearest1d", CS_KIND_UPSAMPLE}, {"upsamplebicubic2d", CS_KIND_UPSAMPLE}, {"interpolate", CS_KIND_UPSAMPLE},
    {"dropout", CS_KIND_IDENTITY}, {"identity", CS_KIND_IDENTITY}, {"spatialdropout2d", CS_KIND_IDENTITY},
    {"gaussiannoise", CS_KIND_IDENTITY}, {"inputlayer", CS_KIND_IDENTITY},
    {"shape", CS_KIND_SHAPEOP}, {"gather", CS_KIND_SHAPEOP}, {"unsqueeze", CS_KIND_SHAPEOP},
    {"constant", CS_KIND_SHAPEOP}, {"cast", CS_KIND_SHAPEOP}, {"size", CS_KIND_SHAPEOP},
    {"constantofshape", CS_KIND_SHAPEOP}, {"loadconstant", CS_KIND_SHAPEOP},
    {"preprocessing", CS_KIND_PREPROC}, {"scaler", CS_KIND_PREPROC}, {"rescaling", CS_KIND_PREPROC},
};

static const char *kind_names[CS_KIND_COUNT] = {
    "other", "conv", "deconv", "dense", "batchnorm", "norm", "activation", "softmax", "maxpool", "avgpool",
    "globalpool", "reshape", "transpose", "add", "mul", "concat", "pad", "upsample", "identity", "shape-op",
    "preprocessing", "container",
};

const char *cs_layer_kind_name(cs_layer_kind kind)
{
    return kind >= 0 && kind < CS_KIND_COUNT ? kind_names[kind] : "other";
}

/* "MaxPool2d" -> "maxpool2d", "aten::relu_" -> "relu", "torch.flatten" -> "flatten". */
static void normalise(const char *type, char *out, size_t size)
{
    const char *s = type;
    const char *colon = strrchr(s, ':'), *dot = strrchr(s, '.');
    if (colon)
        s = colon + 1;
    if (dot && dot + 1 > s)
        s = dot + 1;
    size_t n = 0;
    for (; *s && n + 1 < size; s++)
        if (isalnum((unsigned char)*s))
            out[n++] = (char)tolower((unsigned char)*s);
    out[n] = 0;
}

static cs_layer_kind lookup(const char *norm)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (strcmp(rows[i].type, norm) == 0)
            return rows[i].kind;
    return CS_KIND_OTHER;
}

/* CoreML "pooling" and "activation" layers say what they are in an attribute. */
static cs_layer_kind refine_generic(const cs_layer *l, cs_layer_kind kind, const char *norm)
{
    if (strcmp(norm, "pooling") == 0) {
        const char *type = cs_attrs_string(&l->attrs, "type", "");
        bool global = cs_attrs_int(&l->attrs, "globalPooling", 0) != 0;
        if (global)
            return CS_KIND_GLOBALPOOL;
        return strcasecmp(type, "MAX") == 0 ? CS_KIND_MAXPOOL : CS_KIND_AVGPOOL;
    }
    return kind;
}

/* Whether value v is shape arithmetic: a constant, a Shape/Size, or computed from such values only. */
static bool shape_derived(const cs_graph *g, int v, int depth)
{
    if (v < 0 || g->values[v].data)
        return true;
    int prod = g->values[v].producer;
    if (prod < 0 || depth > 32)
        return false;
    const cs_node *node = &g->nodes[prod];
    if (strcmp(node->op, "Shape") == 0 || strcmp(node->op, "Size") == 0)
        return true;
    for (int q = 0; q < node->n_inputs; q++)
        if (!shape_derived(g, node->inputs[q], depth + 1))
            return false;
    return true;
}

bool cs_layer_only_shapes(const cs_graph *g, int layer)
{
    const cs_layer *l = &g->layers[layer];
    for (int k = 0; k < l->n_nodes; k++) {
        const cs_node *node = &g->nodes[l->nodes[k]];
        for (int o = 0; o < node->n_outputs; o++)
            if (node->outputs[o] >= 0 && !shape_derived(g, node->outputs[o], 0))
                return false;
    }
    return true;
}

cs_layer_kind cs_layer_kind_of(const cs_graph *g, int layer)
{
    const cs_layer *l = &g->layers[layer];
    if (cs_layer_only_shapes(g, layer)) { /* a module whose own nodes (if any) only do shape arithmetic */
        bool has_children = false;
        for (int i = 0; i < g->n_layers && !has_children; i++)
            has_children = g->layers[i].parent == layer;
        if (has_children)
            return CS_KIND_CONTAINER;
    }
    char norm[128];
    normalise(l->type, norm, sizeof norm);
    size_t n = strlen(norm);
    while (n > 0 && norm[n - 1] == '_')
        norm[--n] = 0;
    return refine_generic(l, lookup(norm), norm);
}

/* One spelling per activation across formats: "hard_sigmoid", "HardSigmoid" and CoreML's
 * "sigmoidHard" all become "hardsigmoid"; "ReLU" becomes "relu". */
static void canonical_act(const char *name, char *out, size_t size)
{
    normalise(name, out, size);
    static const char *aliases[][2] = {{"sigmoidhard", "hardsigmoid"}, {"swish", "silu"}, {"scaledtanh", "tanh"},
                                       {"relu6", "clip"}, {"hardtanh", "clip"}};
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(out, aliases[i][0]) == 0)
            snprintf(out, size, "%s", aliases[i][1]);
}

const char *cs_layer_act_name(const cs_graph *g, int layer)
{
    static __thread char act[128];
    const cs_layer *l = &g->layers[layer];
    const char *fused = cs_attrs_string(&l->attrs, "activation", NULL);
    if (fused) {
        canonical_act(fused, act, sizeof act);
        return strcmp(act, "linear") == 0 ? "" : act;
    }
    char norm[128];
    normalise(l->type, norm, sizeof norm);
    if (strcmp(norm, "activation") == 0 && l->attrs.count > 0) { /* CoreML: the oneof field names it */
        canonical_act(l->attrs.items[0].name, act, sizeof act);
        return act;
    }
    cs_layer_kind k = lookup(norm);
    if ((k == CS_KIND_ACT || k == CS_KIND_SOFTMAX) && strcmp(norm, "activation") != 0) {
        canonical_act(l->type, act, sizeof act);
        return act;
    }
    return "";
}

bool cs_kinds_compatible(cs_layer_kind a, cs_layer_kind b)
{
    if (a == b)
        return true;
    if ((a == CS_KIND_GLOBALPOOL && b == CS_KIND_AVGPOOL) || (a == CS_KIND_AVGPOOL && b == CS_KIND_GLOBALPOOL))
        return true;
    if ((a == CS_KIND_RESHAPE && b == CS_KIND_TRANSPOSE) || (a == CS_KIND_TRANSPOSE && b == CS_KIND_RESHAPE))
        return true;
    if ((a == CS_KIND_ACT && b == CS_KIND_SOFTMAX) || (a == CS_KIND_SOFTMAX && b == CS_KIND_ACT))
        return true; /* Keras Activation('softmax') vs a Softmax node */
    return false;
}

bool cs_kind_is_minor(cs_layer_kind kind)
{
    return kind == CS_KIND_IDENTITY || kind == CS_KIND_SHAPEOP || kind == CS_KIND_TRANSPOSE ||
           kind == CS_KIND_CONTAINER;
}

bool cs_kinds_swapped(cs_layer_kind a, cs_layer_kind b)
{
    return (a == CS_KIND_ADD && b == CS_KIND_IDENTITY) || (a == CS_KIND_IDENTITY && b == CS_KIND_ADD);
}

bool cs_acts_related(const char *a, const char *b)
{
    static const char *relu_family[] = {"relu", "relu6", "clip", "hardtanh", "leakyrelu", "prelu", "elu", "selu",
                                        "thresholdedrelu"};
    bool in_a = false, in_b = false;
    for (size_t i = 0; i < sizeof relu_family / sizeof relu_family[0]; i++) {
        in_a = in_a || strcmp(a, relu_family[i]) == 0;
        in_b = in_b || strcmp(b, relu_family[i]) == 0;
    }
    return in_a && in_b;
}

/* keras_act.c — Keras activation functions (the activation= option of any layer, and the Activation
 * layer) as ONNX nodes, following the definitions of the file's Keras version (hard_sigmoid differs). */
#include <string.h>

#include "keras_internal.h"

static int unary(ks_layer_ctx *lc, int v, const char *op, int *node)
{
    return ks_node(lc, op, &v, 1, ks_rank(lc, v), ks_dims(lc, v), node);
}

static int with_float(ks_layer_ctx *lc, int v, const char *op, const char *attr, double val)
{
    int node, out = unary(lc, v, op, &node);
    if (out >= 0 && attr && !cs_attrs_add_float(cs_lower_attrs(&lc->lw, node), attr, val)) {
        cs_lower_nomem(&lc->lw);
        return -1;
    }
    return out;
}

static int hard_sigmoid(ks_layer_ctx *lc, int v)
{
    int node, out = unary(lc, v, "HardSigmoid", &node);
    /* Keras 2: clip(0.2x + 0.5, 0, 1); Keras 3: relu6(x + 3) / 6. */
    double alpha = lc->ld->keras_major >= 3 ? 1.0 / 6.0 : 0.2;
    if (out >= 0 && (!cs_attrs_add_float(cs_lower_attrs(&lc->lw, node), "alpha", alpha) ||
                     !cs_attrs_add_float(cs_lower_attrs(&lc->lw, node), "beta", 0.5))) {
        cs_lower_nomem(&lc->lw);
        return -1;
    }
    return out;
}

/* x * f(x) where f is Sigmoid or (Keras 3) hard_sigmoid. */
static int times_self(ks_layer_ctx *lc, int v, bool hard)
{
    int s = hard ? hard_sigmoid(lc, v) : unary(lc, v, "Sigmoid", NULL);
    int ins[2] = {v, s};
    return s < 0 ? -1 : ks_node(lc, "Mul", ins, 2, ks_rank(lc, v), ks_dims(lc, v), NULL);
}

static int clip(ks_layer_ctx *lc, int v, float lo, float hi)
{
    int ins[3] = {v, cs_lower_const_f32(&lc->lw, "clip_min", &lo, 0, NULL), cs_lower_const_f32(&lc->lw, "clip_max",
                                                                                               &hi, 0, NULL)};
    if (ins[1] < 0 || ins[2] < 0)
        return -1;
    return ks_node(lc, "Clip", ins, 3, ks_rank(lc, v), ks_dims(lc, v), NULL);
}

static int softmax(ks_layer_ctx *lc, int v, int64_t axis)
{
    int node, out = unary(lc, v, "Softmax", &node);
    if (out >= 0 && !cs_attrs_add_int(cs_lower_attrs(&lc->lw, node), "axis", axis)) {
        cs_lower_nomem(&lc->lw);
        return -1;
    }
    return out;
}

static int gelu(ks_layer_ctx *lc, int v, bool approximate)
{
    int node, out = unary(lc, v, "Gelu", &node);
    if (out >= 0 && !cs_attrs_add_string(cs_lower_attrs(&lc->lw, node), "approximate", approximate ? "tanh" : "none")) {
        cs_lower_nomem(&lc->lw);
        return -1;
    }
    return out;
}

/* The activation's name: a string, or a Keras 3 serialized function {"config": "relu", ...}. */
static const char *activation_name(ks_layer_ctx *lc, bool *ok)
{
    json_t *a = ks_cfg(lc, "activation");
    *ok = true;
    if (!a)
        return "linear";
    if (json_is_object(a)) {
        json_t *c = json_object_get(a, "config");
        a = json_is_string(c) ? c : json_object_get(a, "class_name");
    }
    if (json_is_string(a))
        return json_string_value(a);
    *ok = false;
    cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "option 'activation' must be a name");
    return NULL;
}

int ks_activation(ks_layer_ctx *lc, int v, const char *name)
{
    bool ok = true;
    if (v < 0)
        return -1;
    if (!name && !(name = activation_name(lc, &ok)))
        return -1;
    if (!*name || strcmp(name, "linear") == 0)
        return v;
    static const struct { const char *keras, *onnx; } simple[] = {
        {"relu", "Relu"}, {"sigmoid", "Sigmoid"}, {"tanh", "Tanh"}, {"softplus", "Softplus"},
        {"softsign", "Softsign"}, {"selu", "Selu"}, {"exponential", "Exp"}, {"elu", "Elu"},
    };
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        if (strcmp(name, simple[i].keras) == 0)
            return unary(lc, v, simple[i].onnx, NULL);
    if (strcmp(name, "relu6") == 0)
        return clip(lc, v, 0.0f, 6.0f);
    if (strcmp(name, "softmax") == 0)
        return softmax(lc, v, -1);
    if (strcmp(name, "swish") == 0 || strcmp(name, "silu") == 0)
        return times_self(lc, v, false);
    if (strcmp(name, "hard_swish") == 0 || strcmp(name, "hard_silu") == 0)
        return times_self(lc, v, true);
    if (strcmp(name, "hard_sigmoid") == 0)
        return hard_sigmoid(lc, v);
    if (strcmp(name, "gelu") == 0)
        return gelu(lc, v, false);
    if (strcmp(name, "leaky_relu") == 0)
        return with_float(lc, v, "LeakyRelu", "alpha", 0.2);
    cs_lower_fail(&lc->lw, CS_ERR_UNSUPPORTED, "activation '%s' is not supported", name);
    return -1;
}

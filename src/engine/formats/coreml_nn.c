/* coreml_nn.c — CoreML NeuralNetwork models (plain, classifier, regressor) to the IR: inputs, the image
 * preprocessing as IR nodes, the layers (coreml_layers.c), declared outputs and the classifier's scores/label. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coreml_internal.h"

typedef CoreML__Specification__NeuralNetworkLayer cm_layer;
typedef CoreML__Specification__NeuralNetworkPreprocessing cm_pre;

typedef struct nn_parts {
    cm_layer **layers;
    size_t n_layers;
    cm_pre **pre;
    size_t n_pre;
    int array_mapping;
    const CoreML__Specification__NeuralNetworkClassifier *clf;
} nn_parts;

static void nn_parts_of(const CoreML__Specification__Model *m, nn_parts *p)
{
    memset(p, 0, sizeof *p);
    if (m->type_case == CORE_ML__SPECIFICATION__MODEL__TYPE_NEURAL_NETWORK) {
        const CoreML__Specification__NeuralNetwork *n = m->neuralnetwork;
        *p = (nn_parts){n->layers, n->n_layers, n->preprocessing, n->n_preprocessing, n->arrayinputshapemapping, NULL};
    } else if (m->type_case == CORE_ML__SPECIFICATION__MODEL__TYPE_NEURAL_NETWORK_CLASSIFIER) {
        const CoreML__Specification__NeuralNetworkClassifier *n = m->neuralnetworkclassifier;
        *p = (nn_parts){n->layers, n->n_layers, n->preprocessing, n->n_preprocessing, n->arrayinputshapemapping, n};
    } else {
        const CoreML__Specification__NeuralNetworkRegressor *n = m->neuralnetworkregressor;
        *p = (nn_parts){n->layers, n->n_layers, n->preprocessing, n->n_preprocessing, n->arrayinputshapemapping, NULL};
    }
}

/* Per-channel bias of the image scaler in the input's channel order. */
static int scaler_bias(const CoreML__Specification__NeuralNetworkImageScaler *s, const cs_value *in, float *bias)
{
    if (in->rank != 4 || in->dims[1] == 1) {
        bias[0] = s->graybias;
        return 1;
    }
    if (in->bgr) {
        bias[0] = s->bluebias, bias[1] = s->greenbias, bias[2] = s->redbias;
    } else {
        bias[0] = s->redbias, bias[1] = s->greenbias, bias[2] = s->bluebias;
    }
    return 3;
}

static cs_status preprocess_one(cm_loader *ld, const cm_pre *p)
{
    const cs_graph *g = ld->lw.g;
    int in = -1;
    for (int i = 0; i < g->n_inputs; i++)
        if ((!p->featurename || !*p->featurename) ? g->n_inputs == 1 : strcmp(g->values[g->inputs[i]].name,
                                                                             p->featurename) == 0)
            in = g->inputs[i];
    if (in < 0)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "preprocessing names input '%s', which the model does not have",
                             p->featurename ? p->featurename : "");
    if (cm_params_to_attrs(ld, &p->base, "") != CS_OK)
        return ld->lw.err->status;
    int x = cm_blob(ld, g->values[in].name), y = cs_lower_tmp(&ld->lw, "preprocessed");
    if (x < 0 || y < 0)
        return ld->lw.err->status;
    if (p->preprocessor_case == CORE_ML__SPECIFICATION__NEURAL_NETWORK_PREPROCESSING__PREPROCESSOR_SCALER) {
        float bias[3];
        int64_t dims[3] = {scaler_bias(p->scaler, &g->values[in], bias), 1, 1};
        int s = cs_lower_const_scalar(&ld->lw, "channelScale", p->scaler->channelscale);
        int b = cs_lower_const_f32(&ld->lw, "bias", bias, 3, dims), mid = cs_lower_tmp(&ld->lw, "scaled");
        if (s < 0 || b < 0 || mid < 0 || cs_lower_node(&ld->lw, "Mul", (int[]){x, s}, 2, &mid, 1) < 0 ||
            cs_lower_node(&ld->lw, "Add", (int[]){mid, b}, 2, &y, 1) < 0)
            return ld->lw.err->status;
    } else if (p->preprocessor_case == CORE_ML__SPECIFICATION__NEURAL_NETWORK_PREPROCESSING__PREPROCESSOR_MEAN_IMAGE) {
        const cs_value *v = &g->values[in];
        int64_t dims[3] = {v->rank == 4 ? v->dims[1] : 0, v->rank == 4 ? v->dims[2] : 0, v->rank == 4 ? v->dims[3] : 0};
        if (v->rank != 4 || (int64_t)p->meanimage->n_meanimage != dims[0] * dims[1] * dims[2])
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                                 "mean image has %zu values, the image input needs C*H*W of them",
                                 p->meanimage->n_meanimage);
        int mean = cs_lower_const_f32(&ld->lw, "meanImage", p->meanimage->meanimage, 3, dims);
        if (mean < 0 || cs_lower_node(&ld->lw, "Sub", (int[]){x, mean}, 2, &y, 1) < 0)
            return ld->lw.err->status;
    } else {
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "preprocessing of an unknown kind");
    }
    return cm_alias(ld, g->values[in].name, y) && cs_layer_add_output(ld->lw.g, ld->lw.layer,
                                                                      y) ? CS_OK : cs_lower_nomem(&ld->lw);
}

static cs_status preprocess(cm_loader *ld, const nn_parts *p)
{
    if (p->n_pre == 0)
        return CS_OK;
    if (cs_lower_layer(&ld->lw, "preprocessing", "NeuralNetworkPreprocessing", -1) != CS_OK)
        return ld->lw.err->status;
    for (size_t i = 0; i < p->n_pre; i++)
        if (preprocess_one(ld, p->pre[i]) != CS_OK)
            return ld->lw.err->status;
    return CS_OK;
}

/* Output features are computed into hidden "NAME/nn" blobs so that their final form can take the name. */
static cs_status alias_outputs(cm_loader *ld, const CoreML__Specification__ModelDescription *d)
{
    for (size_t i = 0; i < d->n_output; i++) {
        char name[300];
        if (!d->output[i]->name || !*d->output[i]->name)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "an output feature has no name");
        snprintf(name, sizeof name, "%s/nn", d->output[i]->name);
        int v = cs_graph_value(ld->lw.g, name);
        if (v < 0 || !cm_alias(ld, d->output[i]->name, v))
            return cs_lower_nomem(&ld->lw);
    }
    return CS_OK;
}

static bool produced(const cm_loader *ld, int v)
{
    return v >= 0 && (ld->lw.g->values[v].producer >= 0 || ld->lw.g->values[v].data);
}

/* The blob holding class scores: labelProbabilityLayerName, else the probabilities output, else the last layer's. */
static int scores_blob(cm_loader *ld, const nn_parts *p, const CoreML__Specification__ModelDescription *d)
{
    const char *names[2] = {p->clf->labelprobabilitylayername, d->predictedprobabilitiesname};
    for (int k = 0; k < 2; k++)
        if (names[k] && *names[k]) {
            int v = cm_blob(ld, names[k]);
            if (produced(ld, v))
                return v;
        }
    for (size_t i = p->n_layers; i-- > 0;)
        if (p->layers[i]->n_output)
            return cm_blob(ld, p->layers[i]->output[0]);
    return -1;
}

static cs_status add_labels_attr(cm_loader *ld, const CoreML__Specification__NeuralNetworkClassifier *c, int64_t *n)
{
    cs_attrs *a = &ld->lw.g->layers[ld->lw.layer].attrs;
    bool ok = true;
    *n = 0;
    if (c->class_labels_case == CORE_ML__SPECIFICATION__NEURAL_NETWORK_CLASSIFIER__CLASS_LABELS_STRING_CLASS_LABELS) {
        *n = (int64_t)c->stringclasslabels->n_vector;
        ok = cs_attrs_add_strings(a, "classLabels", (const char *const *)c->stringclasslabels->vector, (int)*n);
    } else if (c->class_labels_case == CORE_ML__SPECIFICATION__NEURAL_NETWORK_CLASSIFIER__CLASS_LABELS_INT64_CLASS_LABELS) {
        *n = (int64_t)c->int64classlabels->n_vector;
        ok = cs_attrs_add_ints(a, "classLabels", c->int64classlabels->vector, (int)*n);
    }
    if (ok && c->labelprobabilitylayername && *c->labelprobabilitylayername)
        ok = cs_attrs_add_string(a, "labelProbabilityLayerName", c->labelprobabilitylayername);
    return ok ? CS_OK : cs_lower_nomem(&ld->lw);
}

static cs_status finish_output(cm_loader *ld, int v)
{
    return cs_graph_add_output(ld->lw.g, v) && cs_layer_add_output(ld->lw.g, ld->lw.layer,
                                                                   v) ? CS_OK : cs_lower_nomem(&ld->lw);
}

/* The predicted label: argmax of the scores, mapped through int64 labels when the classifier has them. */
static cs_status label_output(cm_loader *ld, const CoreML__Specification__NeuralNetworkClassifier *c, int flat,
                              const char *name)
{
    int idx = cs_lower_tmp(&ld->lw, "argmax"), out = cs_graph_value(ld->lw.g, name);
    int n = idx >= 0 && out >= 0 ? cs_lower_node(&ld->lw, "ArgMax", &flat, 1, &idx, 1) : -1;
    if (n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "axis", 0) || !cs_attrs_add_int(cs_lower_attrs(&ld->lw,
                                                                                                              n), "keepdims", 0))
        return ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw);
    if (c->class_labels_case == CORE_ML__SPECIFICATION__NEURAL_NETWORK_CLASSIFIER__CLASS_LABELS_INT64_CLASS_LABELS) {
        int labels = cs_lower_const_i64(&ld->lw, "classLabels", c->int64classlabels->vector,
                                        (int)c->int64classlabels->n_vector);
        if (labels < 0 || cs_lower_node(&ld->lw, "Gather", (int[]){labels, idx}, 2, &out, 1) < 0)
            return ld->lw.err->status;
    } else if (cs_lower_node1(&ld->lw, "Identity", idx, out) < 0) {
        return ld->lw.err->status;
    }
    ld->lw.g->values[out].dtype = CS_DT_I64;
    ld->lw.g->values[out].rank = 0;
    return finish_output(ld, out);
}

static cs_status classifier_outputs(cm_loader *ld, const nn_parts *p, const CoreML__Specification__ModelDescription *d)
{
    int scores = scores_blob(ld, p, d);
    if (!produced(ld, scores))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "the classifier's probability blob is not produced by any layer");
    if (cs_lower_layer(&ld->lw, "classifier", "NeuralNetworkClassifier", -1) != CS_OK)
        return ld->lw.err->status;
    int64_t n_labels, minus1 = -1;
    if (add_labels_attr(ld, p->clf, &n_labels) != CS_OK)
        return ld->lw.err->status;
    for (size_t i = 0; i < d->n_output; i++) {
        const CoreML__Specification__FeatureDescription *f = d->output[i];
        int kind = f->type ? (int)f->type->type_case : 0;
        if (kind == CORE_ML__SPECIFICATION__FEATURE_TYPE__TYPE_DICTIONARY_TYPE ||
            kind == CORE_ML__SPECIFICATION__FEATURE_TYPE__TYPE_MULTI_ARRAY_TYPE) {
            int shape = cs_lower_const_i64(&ld->lw, "shape", &minus1, 1), out = cs_graph_value(ld->lw.g, f->name);
            if (shape < 0 || out < 0 || cs_lower_node(&ld->lw, "Reshape", (int[]){scores, shape}, 2, &out, 1) < 0)
                return ld->lw.err->status;
            ld->lw.g->values[out].dtype = CS_DT_F32;
            ld->lw.g->values[out].rank = 1;
            ld->lw.g->values[out].dims[0] = n_labels ? n_labels : -1;
            if (finish_output(ld, out) != CS_OK)
                return ld->lw.err->status;
        }
    }
    int flat = -1;
    for (int i = 0; i < ld->lw.g->n_outputs; i++)
        flat = ld->lw.g->outputs[i];
    if (flat < 0) {
        int shape = cs_lower_const_i64(&ld->lw, "shape", &minus1, 1);
        flat = cs_lower_tmp(&ld->lw, "scores");
        if (shape < 0 || flat < 0 || cs_lower_node(&ld->lw, "Reshape", (int[]){scores, shape}, 2, &flat, 1) < 0)
            return ld->lw.err->status;
    }
    for (size_t i = 0; i < d->n_output; i++) {
        int kind = d->output[i]->type ? (int)d->output[i]->type->type_case : 0;
        if ((kind == CORE_ML__SPECIFICATION__FEATURE_TYPE__TYPE_INT64_TYPE ||
             kind == CORE_ML__SPECIFICATION__FEATURE_TYPE__TYPE_STRING_TYPE) &&
            label_output(ld, p->clf, flat, d->output[i]->name) != CS_OK)
            return ld->lw.err->status;
    }
    return CS_OK;
}

/* A multi-array output: the hidden blob reshaped to the declared shape (rank-5 blobs fold away). */
static cs_status array_output(cm_loader *ld, const CoreML__Specification__FeatureDescription *f)
{
    int blob = cm_blob(ld, f->name), out = cs_graph_value(ld->lw.g, f->name);
    if (blob < 0 || out < 0)
        return ld->lw.err->status;
    if (!produced(ld, blob))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "output '%s' is not produced by any layer", f->name);
    const CoreML__Specification__ArrayFeatureType *a =
        f->type && f->type->type_case == CORE_ML__SPECIFICATION__FEATURE_TYPE__TYPE_MULTI_ARRAY_TYPE
            ? f->type->multiarraytype : NULL;
    int64_t minus1 = -1;
    bool declared = a && a->n_shape > 0 && a->n_shape <= CS_MAX_RANK && !ld->exact_mapping;
    if (ld->exact_mapping) { /* rank-N blobs already have the output's shape */
        if (cs_lower_node1(&ld->lw, "Identity", blob, out) < 0)
            return ld->lw.err->status;
    } else {
        int shape = cs_lower_const_i64(&ld->lw, "shape", declared ? a->shape : &minus1, declared ? (int)a->n_shape : 1);
        if (shape < 0 || cs_lower_node(&ld->lw, "Reshape", (int[]){blob, shape}, 2, &out, 1) < 0)
            return ld->lw.err->status;
    }
    cs_value *v = &ld->lw.g->values[out];
    v->dtype = CS_DT_F32;
    v->rank = declared ? (int)a->n_shape : -1;
    for (int i = 0; i < v->rank; i++)
        v->dims[i] = a->shape[i];
    return finish_output(ld, out);
}

static cs_status plain_outputs(cm_loader *ld, const CoreML__Specification__ModelDescription *d)
{
    if (cs_lower_layer(&ld->lw, "outputs", "ModelDescription", -1) != CS_OK)
        return ld->lw.err->status;
    for (size_t i = 0; i < d->n_output; i++)
        if (array_output(ld, d->output[i]) != CS_OK)
            return ld->lw.err->status;
    return CS_OK;
}

cs_status cm_nn_load(cm_loader *ld, const CoreML__Specification__Model *m)
{
    nn_parts p;
    nn_parts_of(m, &p);
    ld->exact_mapping = p.array_mapping == CORE_ML__SPECIFICATION__NEURAL_NETWORK_MULTI_ARRAY_SHAPE_MAPPING__EXACT_ARRAY_MAPPING;
    const CoreML__Specification__ModelDescription *d = m->description;
    if (!d || d->n_output == 0)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "the model description declares no outputs");
    if (p.n_layers == 0)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "the neural network has no layers");
    if (cm_declare_inputs(ld, m) != CS_OK || preprocess(ld, &p) != CS_OK || alias_outputs(ld, d) != CS_OK)
        return ld->lw.err->status;
    for (size_t i = 0; i < p.n_layers; i++)
        if (cm_nn_layer(ld, p.layers[i]) != CS_OK)
            return ld->lw.err->status;
    ld->lw.where[0] = 0;
    return p.clf ? classifier_outputs(ld, &p, d) : plain_outputs(ld, d);
}

/* keras_weights.c — Keras 2 weights-only HDF5 files (model.save_weights): layer groups listed by the root's
 * layer_names attribute, loaded as a weights-only graph whose layer classes are inferred from the weights. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras_internal.h"

#define KW_MAX_WEIGHTS 64

/* "lstm/lstm_cell/recurrent_kernel:0" -> "recurrent_kernel" (into out). */
static void leaf_name(const char *wname, char *out, size_t size)
{
    const char *slash = strrchr(wname, '/');
    snprintf(out, size, "%s", slash ? slash + 1 : wname);
    char *colon = strrchr(out, ':');
    if (colon)
        *colon = 0;
}

static bool has_leaf(char leaves[][48], int n, const char *leaf)
{
    for (int i = 0; i < n; i++)
        if (strcmp(leaves[i], leaf) == 0)
            return true;
    return false;
}

static const cs_tensor *find_leaf(char leaves[][48], cs_tensor **ts, int n, const char *leaf)
{
    for (int i = 0; i < n; i++)
        if (strcmp(leaves[i], leaf) == 0)
            return ts[i];
    return NULL;
}

/* The Keras class a layer's weights imply (the file does not say): recurrent layers by the gate count of
 * recurrent_kernel [units, gates*units], convolutions by kernel rank, normalisations by their vectors. */
static const char *infer_class(char leaves[][48], cs_tensor **ts, const char *const *names, int n)
{
    const cs_tensor *rk = find_leaf(leaves, ts, n, "recurrent_kernel");
    if (rk && rk->rank == 2 && rk->dims[0] > 0) {
        int64_t gates = rk->dims[1] / rk->dims[0];
        bool bidir = false;
        for (int i = 0; i < n; i++)
            bidir |= strstr(names[i], "forward_") != NULL || strstr(names[i], "backward_") != NULL;
        if (bidir)
            return "Bidirectional";
        return gates == 4 ? "LSTM" : gates == 3 ? "GRU" : gates == 1 ? "SimpleRNN" : "Recurrent";
    }
    if (has_leaf(leaves, n, "depthwise_kernel"))
        return has_leaf(leaves, n, "pointwise_kernel") ? "SeparableConv2D" : "DepthwiseConv2D";
    if (has_leaf(leaves, n, "moving_mean"))
        return "BatchNormalization";
    if (has_leaf(leaves, n, "gamma") || has_leaf(leaves, n, "beta"))
        return "LayerNormalization";
    if (has_leaf(leaves, n, "embeddings"))
        return "Embedding";
    const cs_tensor *k = find_leaf(leaves, ts, n, "kernel");
    if (k)
        return k->rank == 2 ? "Dense" : k->rank == 3 ? "Conv1D" : k->rank == 4 ? "Conv2D" : k->rank == 5 ? "Conv3D"
                                                                                                        : "Layer";
    return n ? "Layer" : "NoWeights";
}

static cs_layout leaf_layout(const char *cls, const char *leaf, const cs_tensor *t)
{
    if (strcmp(leaf, "kernel") != 0)
        return CS_LAYOUT_UNKNOWN;
    if (t->rank == 2 && strcmp(cls, "Dense") == 0)
        return CS_LAYOUT_IO;
    return t->rank == 4 ? CS_LAYOUT_HWIO : CS_LAYOUT_UNKNOWN;
}

/* Reads one layer group (its weight_names, in order) and adds it as a layer. */
static cs_status add_layer(ks_loader *ld, const char *lname)
{
    const char *chain[1] = {lname};
    cs_tensor **ts = NULL;
    cs_dtype *dts = NULL;
    int n = 0;
    cs_status st = ks_weights_read(ld, chain, chain, 1, &ts, &dts, &n);
    if (st != CS_OK)
        return st;
    char **names = NULL;
    int count = 0;
    hid_t grp = H5Lexists(ld->store.root, lname, H5P_DEFAULT) > 0 ? H5Gopen2(ld->store.root, lname, H5P_DEFAULT)
                                                                   : -1;
    if (grp >= 0) {
        count = ks_h5_attr_strings(grp, "weight_names", &names);
        H5Gclose(grp);
    }
    if (n > 0 && (count != n || n > KW_MAX_WEIGHTS))
        st = cs_error_set(ld->err, CS_ERR_FORMAT, "%s: layer '%s': %d weights (at most %d are read) for %d weight names",
                          ld->path, lname, n, KW_MAX_WEIGHTS, count);
    char leaves[KW_MAX_WEIGHTS][48];
    for (int i = 0; st == CS_OK && i < n; i++)
        leaf_name(names[i], leaves[i], sizeof leaves[i]);
    int layer = -1;
    if (st == CS_OK && n > 0) {
        const char *cls = infer_class(leaves, ts, (const char *const *)names, n);
        layer = cs_graph_add_layer(ld->g, lname, cls, -1);
        if (layer < 0)
            st = cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
        for (int i = 0; st == CS_OK && i < n; i++) {
            char wname[512];
            snprintf(wname, sizeof wname, "%s", names[i]);
            char *colon = strrchr(wname, ':');
            if (colon)
                *colon = 0;
            cs_layout lay = leaf_layout(cls, leaves[i], ts[i]);
            bool ok = cs_layer_add_weight(ld->g, layer, wname, ts[i], lay, dts[i]);
            ts[i] = NULL; /* owned by the graph now, or freed */
            if (!ok)
                st = cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
        }
    }
    for (int i = 0; i < n; i++)
        cs_tensor_free(ts[i]);
    free(ts);
    free(dts);
    ks_strings_free(names, count);
    return st;
}

bool ks_is_weights_file(hid_t file)
{
    return H5Aexists(file, "layer_names") > 0;
}

cs_status ks_load_weights_only(ks_loader *ld)
{
    char **layers = NULL;
    int n = ks_h5_attr_strings(ld->store.file, "layer_names", &layers);
    if (n < 0)
        return cs_error_set(ld->err, CS_ERR_FORMAT, "%s: layer_names is not a list of strings", ld->path);
    ld->store.root = ld->store.file;
    ld->g->weights_only = true;
    cs_status st = CS_OK;
    for (int i = 0; st == CS_OK && i < n; i++)
        st = add_layer(ld, layers[i]);
    ks_strings_free(layers, n);
    return st;
}

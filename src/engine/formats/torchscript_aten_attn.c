/* torchscript_aten_attn.c — the attention family of the aten lowering: the fused kernels nn.MultiheadAttention and
 * nn.TransformerEncoderLayer call in eval mode (aten::_native_multi_head_attention,
 * aten::_transformer_encoder_layer_fwd), composed from linear, reshape, matmul and softmax with torch's semantics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchscript_internal.h"

#define A(pos, name) cs_ts_arg(a, kw, n, pos, name)

static tv *call(ts_ctx *c, const char *op, tv **args, int n_args)
{
    char *kw[8] = {NULL};
    return n_args <= 8 ? cs_ts_aten(c, op, args, kw, n_args) : NULL;
}

static tv *int_tv(ts_ctx *c, int64_t i)
{
    return cs_ts_int(c, i);
}

static tv *int_list(ts_ctx *c, const int64_t *v, int nv)
{
    tv *l = cs_ts_new(c, TV_LIST);
    tv **items = l ? cs_ts_keep(c, calloc((size_t)nv, sizeof *items)) : NULL;
    if (!items)
        return cs_ts_oom(c);
    for (int k = 0; k < nv; k++)
        if (!(items[k] = int_tv(c, v[k])))
            return NULL;
    l->items = items, l->n = nv;
    return l;
}

/* Rows [part*E, (part+1)*E) of a packed [3E, ...] projection weight or bias. */
static tv *part_of(ts_ctx *c, tv *w, int64_t part, int64_t E)
{
    tv *args[5] = {w, int_tv(c, 0), int_tv(c, part * E), int_tv(c, (part + 1) * E), int_tv(c, 1)};
    return args[4] ? call(c, "slice", args, 5) : NULL;
}

/* [B, L, E] -> [B, H, L, D] */
static tv *heads(ts_ctx *c, tv *x, int64_t H, int64_t D)
{
    int64_t shp[4] = {0, 0, H, D}, perm[4] = {0, 2, 1, 3};
    tv *s = int_list(c, shp, 4), *p = int_list(c, perm, 4);
    tv *r = s && p ? call(c, "reshape", (tv *[]){x, s}, 2) : NULL;
    return r ? call(c, "permute", (tv *[]){r, p}, 2) : NULL;
}

/* Scaled dot-product attention of batch-first query/key/value with packed in-projection, then out-projection.
 * Returns the output; *weights receives the head-averaged attention weights when asked. */
static tv *mha(ts_ctx *c, tv *q, tv *k, tv *v, int64_t E, int64_t H, tv *w_in, tv *b_in, tv *w_out, tv *b_out,
               tv *mask, tv **weights)
{
    if (H < 1 || E < H || E % H)
        return cs_ts_fail(c, CS_ERR_FORMAT, "attention with embed_dim %lld and %lld heads", (long long)E, (long long)H);
    if (cs_ts_present(mask))
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "fused multi-head attention with a mask");
    int64_t D = E / H;
    tv *x[3] = {q, k, v};
    for (int i = 0; i < 3; i++) {
        tv *wi = part_of(c, w_in, i, E), *bi = cs_ts_present(b_in) ? part_of(c, b_in, i, E) : b_in;
        tv *lin = wi && bi ? call(c, "linear", (tv *[]){x[i], wi, bi}, 3) : NULL;
        if (!lin || !(x[i] = heads(c, lin, H, D)))
            return NULL;
    }
    tv *kt = call(c, "transpose", (tv *[]){x[1], int_tv(c, -2), int_tv(c, -1)}, 3);
    tv *s = kt ? call(c, "matmul", (tv *[]){x[0], kt}, 2) : NULL;
    tv sc = {.kind = TV_FLOAT, .f = sqrt((double)D)};
    s = s ? call(c, "div", (tv *[]){s, &sc}, 2) : NULL;
    tv *p = s ? call(c, "softmax", (tv *[]){s, int_tv(c, -1)}, 2) : NULL;
    tv *o = p ? call(c, "matmul", (tv *[]){p, x[2]}, 2) : NULL;
    int64_t perm[4] = {0, 2, 1, 3}, shp[3] = {0, 0, E};
    o = o ? call(c, "permute", (tv *[]){o, int_list(c, perm, 4)}, 2) : NULL;
    o = o ? call(c, "reshape", (tv *[]){o, int_list(c, shp, 3)}, 2) : NULL;
    o = o ? call(c, "linear", (tv *[]){o, w_out, b_out}, 3) : NULL;
    if (o && weights) {
        int64_t one = 1;
        tv f = {.kind = TV_BOOL, .i = 0};
        *weights = call(c, "mean", (tv *[]){p, int_list(c, &one, 1), &f}, 3);
    }
    return o;
}

/* _native_multi_head_attention(query, key, value, embed_dim, num_head, qkv_weight, qkv_bias, proj_weight,
 * proj_bias, mask=None, need_weights=True, average_attn_weights=True, mask_type=None) -> (out, weights) */
static tv *native_mha(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)name;
    tv *w = NULL;
    tv *o = mha(c, A(0, "query"), A(1, "key"), A(2, "value"), cs_ts_get_int(A(3, "embed_dim"), 0),
                cs_ts_get_int(A(4, "num_head"), 0), A(5, "qkv_weight"), A(6, "qkv_bias"), A(7, "proj_weight"),
                A(8, "proj_bias"), A(9, "mask"), &w);
    if (!o || !w)
        return NULL;
    int outs[2] = {o->value, w->value};
    return cs_ts_tuple_of(c, outs, 2, 3);
}

static tv *layer_norm(ts_ctx *c, tv *x, int64_t E, tv *w, tv *b, tv *eps)
{
    tv *shape = int_list(c, &E, 1);
    return shape ? call(c, "layer_norm", (tv *[]){x, shape, w, b, eps}, 5) : NULL;
}

/* _transformer_encoder_layer_fwd(src, embed_dim, num_heads, qkv_weight, qkv_bias, proj_weight, proj_bias, use_gelu,
 * norm_first, eps, norm_weight_1, norm_bias_1, norm_weight_2, norm_bias_2, ffn_weight_1, ffn_bias_1, ffn_weight_2,
 * ffn_bias_2, mask=None, mask_type=None) */
static tv *encoder_layer(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)name;
    tv *src = A(0, "src"), *eps = A(9, "layer_norm_eps");
    int64_t E = cs_ts_get_int(A(1, "embed_dim"), 0), H = cs_ts_get_int(A(2, "num_heads"), 0);
    bool gelu = cs_ts_get_int(A(7, "use_gelu"), 0) != 0, first = cs_ts_get_int(A(8, "norm_first"), 0) != 0;
    if (!cs_ts_need_tensor(c, "transformer_encoder_layer_fwd", src))
        return NULL;
    tv *x = first ? layer_norm(c, src, E, A(10, "norm_weight_1"), A(11, "norm_bias_1"), eps) : src;
    tv *att = x ? mha(c, x, x, x, E, H, A(3, "qkv_weight"), A(4, "qkv_bias"), A(5, "proj_weight"), A(6, "proj_bias"),
                      A(18, "mask"), NULL)
                : NULL;
    tv *h = att ? call(c, "add", (tv *[]){src, att}, 2) : NULL;
    if (h && !first)
        h = layer_norm(c, h, E, A(10, "norm_weight_1"), A(11, "norm_bias_1"), eps);
    tv *y = h && first ? layer_norm(c, h, E, A(12, "norm_weight_2"), A(13, "norm_bias_2"), eps) : h;
    y = y ? call(c, "linear", (tv *[]){y, A(14, "ffn_weight_1"), A(15, "ffn_bias_1")}, 3) : NULL;
    y = y ? call(c, gelu ? "gelu" : "relu", &y, 1) : NULL;
    y = y ? call(c, "linear", (tv *[]){y, A(16, "ffn_weight_2"), A(17, "ffn_bias_2")}, 3) : NULL;
    tv *out = y ? call(c, "add", (tv *[]){h, y}, 2) : NULL;
    if (out && !first)
        out = layer_norm(c, out, E, A(12, "norm_weight_2"), A(13, "norm_bias_2"), eps);
    return out;
}

const ts_aten_def cs_ts_aten_attn[] = {
    {"_native_multi_head_attention", native_mha}, {"_transformer_encoder_layer_fwd", encoder_layer}, {NULL, NULL}};

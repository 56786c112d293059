/* exec_layout.c — channels-last values between fast convolutions: which consumers take them as they are
 * (elementwise ops, through N,H,W,C views), the global average pool over them, and conversion back. */
#include "exec_layout.h"

#include <stdlib.h>
#include <string.h>

#include "bufpool.h"
#include "ops/parallel.h"

static bool in_list(const char *op, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(op, list[i]) == 0)
            return true;
    return false;
}

/* Same-shape elementwise ops whose other inputs are attributes or scalars. */
static const char *const unary_ops[] = {"Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "HardSigmoid", "HardSwish",
                                        "Elu", "Selu", "Softplus", "Mish", "Erf", "Exp", "Neg", "Abs", "Sqrt",
                                        "Identity", NULL};
static const char *const binary_ops[] = {"Add", "Mul", "Sub", "Div", "Max", "Min", NULL};

cs_layout_use cs_layout_use_of(const cs_node *n)
{
    if (!cs_node_default_domain(n) || n->n_outputs != 1)
        return CS_USE_CANONICAL;
    if (strcmp(n->op, "Conv") == 0)
        return CS_USE_CONV;
    if (in_list(n->op, unary_ops))
        return CS_USE_UNARY;
    if (in_list(n->op, binary_ops) && n->n_inputs == 2)
        return CS_USE_BINARY;
    if (strcmp(n->op, "GlobalAveragePool") == 0 && n->n_inputs == 1)
        return CS_USE_GAP;
    if ((strcmp(n->op, "MaxPool") == 0 || strcmp(n->op, "AveragePool") == 0) && n->n_inputs == 1)
        return CS_USE_POOL;
    return CS_USE_CANONICAL;
}

/* A channels-last [N,C,H,W] with H*W == 1 or C == 1 is byte-identical to its canonical form. */
bool cs_layout_trivial(const cs_tensor *t)
{
    return t->rank != 4 || t->dims[2] * t->dims[3] == 1 || t->dims[1] == 1;
}

/* dst[k][p] = src[p][k] for one image: tiles of 16 positions x 16 channels keep both sides in cache. */
static void transpose_f32(float *restrict dst, const float *restrict src, int64_t hw, int64_t ch)
{
    for (int64_t p0 = 0; p0 < hw; p0 += 16)
        for (int64_t k0 = 0; k0 < ch; k0 += 16)
            for (int64_t k = k0; k < ch && k < k0 + 16; k++)
                for (int64_t p = p0; p < hw && p < p0 + 16; p++)
                    dst[k * hw + p] = src[p * ch + k];
}

cs_tensor *cs_layout_to_canonical(struct cs_bufpool *pool, const cs_tensor *t, cs_error *err)
{
    cs_tensor *c = cs_bufpool_take(pool, t->dtype, t->rank, t->dims, false, err);
    if (!c)
        return NULL;
    int64_t n = t->dims[0], ch = t->dims[1], hw = t->dims[2] * t->dims[3];
    size_t es = cs_dtype_size(t->dtype);
    for (int64_t b = 0; b < n; b++) {
        const char *src = (const char *)t->data + (size_t)(b * hw * ch) * es;
        char *dst = (char *)c->data + (size_t)(b * hw * ch) * es;
        if (es == sizeof(float)) {
            transpose_f32((float *)dst, (const float *)src, hw, ch);
            continue;
        }
        for (int64_t k = 0; k < ch; k++)
            for (int64_t p = 0; p < hw; p++)
                memcpy(dst + (size_t)(k * hw + p) * es, src + (size_t)(p * ch + k) * es, es);
    }
    return c;
}

/* The N,H,W,C view of a channels-last [N,C,H,W]. */
static cs_tensor nhwc_view(const cs_tensor *t)
{
    cs_tensor v = *t;
    v.dims[1] = t->dims[2], v.dims[2] = t->dims[3], v.dims[3] = t->dims[1];
    return v;
}

/* The other operand of a binary op against a channels-last [N,C,H,W] x, as it broadcasts against
 * x's N,H,W,C view; false when it cannot (the executor then converts x). */
static bool other_view(const cs_tensor *o, bool o_nhwc, const cs_tensor *x, cs_tensor *v)
{
    *v = *o;
    if (o_nhwc && o->rank == 4 && cs_tensor_same_shape(o, x)) {
        *v = nhwc_view(o);
        return true;
    }
    if (cs_tensor_numel(o) == 1 && o->rank <= 4)
        return true;
    if (o->rank == 4 && o->dims[2] == 1 && o->dims[3] == 1 && o->dims[1] == x->dims[1]) {
        v->dims[1] = 1, v->dims[2] = 1, v->dims[3] = o->dims[1];
        return true;
    }
    if (o->rank == 3 && o->dims[1] == 1 && o->dims[2] == 1 && o->dims[0] == x->dims[1]) {
        v->dims[0] = 1, v->dims[1] = 1, v->dims[2] = o->dims[0];
        return true;
    }
    return false;
}

bool cs_layout_binary_views(const cs_tensor *a, bool a_nhwc, const cs_tensor *b, bool b_nhwc, cs_tensor *va,
                            cs_tensor *vb)
{
    if (a_nhwc && a->rank == 4) {
        *va = nhwc_view(a);
        return other_view(b, b_nhwc, a, vb);
    }
    if (b_nhwc && b->rank == 4) {
        *vb = nhwc_view(b);
        return other_view(a, a_nhwc, b, va);
    }
    return false;
}

void cs_layout_relabel(cs_tensor *t)
{
    int64_t h = t->dims[1], w = t->dims[2];
    t->dims[1] = t->dims[3], t->dims[2] = h, t->dims[3] = w;
}

/* Sixteen floats as one vector (GCC's vector extension: one AVX-512 register in the avx512f clone below). */
typedef float v16 __attribute__((vector_size(64)));

/* (through a pointer: a vector returned by value would change the ABI between the clones) */
static inline void add16(v16 *acc, const float *p)
{
    v16 v;
    memcpy(&v, p, sizeof v);
    *acc += v;
}

/* acc[k] = sum over hw channels-last positions of src[p * ch + k]: 64 channels at a time summed in registers
 * across the positions, so each element is read once and each sum stored once. */
__attribute__((target_clones("avx512f", "avx2", "default"))) static void sum_positions(float *restrict acc,
                                                                                      const float *restrict src,
                                                                                      int64_t hw, int64_t ch)
{
    int64_t k0 = 0;
    for (; k0 + 64 <= ch; k0 += 64) {
        v16 s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
        for (int64_t p = 0; p < hw; p++) {
            const float *row = src + p * ch + k0;
            add16(&s0, row), add16(&s1, row + 16), add16(&s2, row + 32), add16(&s3, row + 48);
        }
        memcpy(acc + k0, &s0, sizeof s0), memcpy(acc + k0 + 16, &s1, sizeof s1);
        memcpy(acc + k0 + 32, &s2, sizeof s2), memcpy(acc + k0 + 48, &s3, sizeof s3);
    }
    for (; k0 + 16 <= ch; k0 += 16) {
        v16 s0 = {0};
        for (int64_t p = 0; p < hw; p++)
            add16(&s0, src + p * ch + k0);
        memcpy(acc + k0, &s0, sizeof s0);
    }
    for (; k0 < ch; k0++) {
        float s0 = 0;
        for (int64_t p = 0; p < hw; p++)
            s0 += src[p * ch + k0];
        acc[k0] = s0;
    }
}

typedef struct gap_job {
    const float *src;
    float *dst;
    int64_t ch, hw;
} gap_job;

/* The means of images [begin, end) of the batch: each writes only its own row of ch outputs. */
static void gap_part(void *user, int64_t begin, int64_t end)
{
    const gap_job *j = user;
    for (int64_t b = begin; b < end; b++) {
        float *acc = j->dst + b * j->ch;
        sum_positions(acc, j->src + b * j->hw * j->ch, j->hw, j->ch);
        float inv = j->hw ? 1.0f / (float)j->hw : 0.0f;
        for (int64_t k = 0; k < j->ch; k++)
            acc[k] *= inv;
    }
}

typedef struct gap_split_job {
    const gap_job *gap;
    float *partial;          /* threads x ch sums */
} gap_split_job;

/* Thread t's share of the positions, in the contiguous parts cs_parallel_for gives an element-wise pass over the
 * same image (the SiLU after a convolution), so each thread mostly reads what it wrote, from its own cache. */
static void gap_split_part(void *user, int thread, int threads)
{
    const gap_split_job *j = user;
    int64_t hw = j->gap->hw, ch = j->gap->ch, p0 = hw * thread / threads, p1 = hw * (thread + 1) / threads;
    sum_positions(j->partial + thread * ch, j->gap->src + p0 * ch, p1 - p0, ch);
}

/* One image's means with its positions shared over the threads: measured on EfficientNet-B0 at batch 1 on two
 * threads, its 17 pools took 0.38 ms on one thread reading what both had written (0.22 ms with one thread in all)
 * and 0.15 ms shared. False when out of memory (the caller then reduces on one thread). */
static bool gap_split(const gap_job *gap, int threads)
{
    float *partial = malloc((size_t)(threads * gap->ch) * sizeof *partial);
    if (!partial)
        return false;
    gap_split_job job = {gap, partial};
    cs_parallel_team(threads, gap_split_part, &job);
    float inv = gap->hw ? 1.0f / (float)gap->hw : 0.0f;
    for (int64_t k = 0; k < gap->ch; k++) {
        float sum = 0;
        for (int t = 0; t < threads; t++)
            sum += partial[t * gap->ch + k];
        gap->dst[k] = sum * inv;
    }
    free(partial);
    return true;
}

cs_tensor *cs_layout_gap(struct cs_bufpool *pool, const cs_tensor *x, cs_error *err)
{
    if (x->dtype != CS_DT_F32 || x->rank != 4)
        return NULL;
    int64_t dims[4] = {x->dims[0], x->dims[1], 1, 1}, n = x->dims[0], ch = x->dims[1], hw = x->dims[2] * x->dims[3];
    cs_tensor *y = cs_bufpool_take(pool, CS_DT_F32, 4, dims, false, err);
    if (!y)
        return NULL;
    gap_job job = {x->data, y->data, ch, hw};
    int64_t per_image = ch * hw > 0 ? ch * hw : 1;
    int threads = cs_parallel_threads(ch * hw, CS_PAR_MIN_ELEMS);
    if (n == 1 && threads > 1 && gap_split(&job, threads))
        return y;
    cs_parallel_for(n, (CS_PAR_MIN_ELEMS + per_image - 1) / per_image, gap_part, &job);
    return y;
}

/* y[p * ch + k] = x[p * ch + k] * s[k] over hw positions (y may be x). */
__attribute__((target_clones("avx512f", "avx2", "default"))) static void scale_positions(float *y, const float *x,
                                                                                        const float *restrict s,
                                                                                        int64_t hw, int64_t ch)
{
    for (int64_t p = 0; p < hw; p++) {
        const float *xr = x + p * ch;
        float *yr = y + p * ch;
        int64_t k = 0;
        for (; k + 16 <= ch; k += 16) {
            v16 v, f;
            memcpy(&v, xr + k, sizeof v), memcpy(&f, s + k, sizeof f);
            v *= f;
            memcpy(yr + k, &v, sizeof v);
        }
        for (; k < ch; k++)
            yr[k] = xr[k] * s[k];
    }
}

/* Whether s is one factor per channel of x ([N or 1, C, 1, 1] or [C, 1, 1]); *per_image: s has N rows. */
static bool channel_factors(const cs_tensor *x, const cs_tensor *s, bool *per_image)
{
    int64_t n = x->dims[0], ch = x->dims[1];
    *per_image = false;
    if (s->dtype != CS_DT_F32 || cs_tensor_numel(s) == 0)
        return false;
    if (s->rank == 3)
        return s->dims[0] == ch && s->dims[1] == 1 && s->dims[2] == 1;
    if (s->rank != 4 || s->dims[1] != ch || s->dims[2] != 1 || s->dims[3] != 1 || (s->dims[0] != 1 && s->dims[0] != n))
        return false;
    *per_image = s->dims[0] == n && n > 1;
    return true;
}

bool cs_layout_scale_fits(const cs_tensor *x, const cs_tensor *s)
{
    bool per_image;
    return x->dtype == CS_DT_F32 && x->rank == 4 && channel_factors(x, s, &per_image);
}

typedef struct scale_job {
    const float *x, *s;
    float *y;
    int64_t hw, ch;
    bool per_image;
} scale_job;

/* Positions [begin, end) of the whole batch (image b holds positions b * hw .. b * hw + hw - 1). */
static void scale_part(void *user, int64_t begin, int64_t end)
{
    const scale_job *j = user;
    for (int64_t p = begin; p < end;) {
        int64_t b = p / j->hw, stop = (b + 1) * j->hw < end ? (b + 1) * j->hw : end;
        scale_positions(j->y + p * j->ch, j->x + p * j->ch, j->s + (j->per_image ? b * j->ch : 0), stop - p, j->ch);
        p = stop;
    }
}

/* Elements one thread scales before the scaling is shared, as for the SiLU pass and the pool before it: in a
 * squeeze-and-excitation block x was written by that pass and read by the global pool in the same contiguous parts
 * (gap_split), so each thread scales what sits in its own cache. Measured on EfficientNet-B0 at batch 1 on 2
 * threads (4 interleaved runs of 150): pools 0.38 -> 0.15 ms and scalings 0.23 -> 0.15 ms against both on one
 * thread; with the pool split alone, the scalings read the other core's half and took 0.37 ms. */
#define SCALE_MIN_PER_THREAD CS_PAR_MIN_ELEMS

void cs_layout_scale_channels(const cs_tensor *x, const cs_tensor *s, cs_tensor *y)
{
    bool per_image;
    channel_factors(x, s, &per_image);
    int64_t n = x->dims[0], ch = x->dims[1], hw = x->dims[2] * x->dims[3];
    if (hw <= 0 || ch <= 0)
        return;
    scale_job job = {x->data, s->data, y->data, hw, ch, per_image};
    cs_parallel_for(n * hw, (SCALE_MIN_PER_THREAD + ch - 1) / ch, scale_part, &job);
}

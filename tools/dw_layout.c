/* dw_layout.c — times a MobileNet-style block (1x1 expand, 3x3 depthwise, 1x1 project) through oneDNN in
 * three layouts: channels-last (nhwc), blocked (nChw16c) and oneDNN's own choice (format_tag::any), at a batch
 * and thread count given. Used to choose the layout of batched depthwise convolutions; not part of the build.
 * cc -O2 -o build/dw_layout tools/dw_layout.c -ldnnl && build/dw_layout [BATCH] [C_IN] [C_EXP] [HW] [STRIDE] */
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHECK(x) do { if ((x) != dnnl_success) { fprintf(stderr, "failed: %s (line %d)\n", #x, __LINE__); exit(1); } } while (0)

static dnnl_engine_t eng;
static dnnl_stream_t strm;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

typedef struct conv {
    dnnl_primitive_t prim;
    dnnl_memory_t src, wei, dst;
    const char *impl;
} conv;

/* A convolution whose src/dst use tag (dnnl_format_tag_any lets oneDNN choose); src may be given (chained). */
static void conv_make(conv *c, dnnl_memory_t src, const dnnl_dims_t x, const dnnl_dims_t w, int wr, const dnnl_dims_t y,
                      int k, int stride, dnnl_format_tag_t tag, const dnnl_memory_desc_t *src_md_in)
{
    dnnl_memory_desc_t xm, wm, ym;
    if (src_md_in)
        xm = *src_md_in;
    else
        CHECK(dnnl_memory_desc_init_by_tag(&xm, 4, x, dnnl_f32, tag));
    CHECK(dnnl_memory_desc_init_by_tag(&wm, wr, w, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&ym, 4, y, dnnl_f32, tag));
    dnnl_dims_t st = {stride, stride}, pad = {k / 2, k / 2}, dil = {0, 0};
    dnnl_convolution_desc_t cd;
    CHECK(dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &xm, &wm,
                                                     NULL, &ym, st, dil, pad, pad));
    dnnl_primitive_attr_t attr;
    CHECK(dnnl_primitive_attr_create(&attr));
    dnnl_post_ops_t po;
    CHECK(dnnl_post_ops_create(&po));
    CHECK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_clip_v2, 0.0f, 6.0f));
    CHECK(dnnl_primitive_attr_set_post_ops(attr, po));
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &cd, attr, eng, NULL));
    CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &c->impl));
    CHECK(dnnl_primitive_create(&c->prim, pd));
    if (src)
        c->src = src;
    else
        CHECK(dnnl_memory_create(&c->src, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), eng, DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_memory_create(&c->wei, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), eng, DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_memory_create(&c->dst, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), eng, DNNL_MEMORY_ALLOCATE));
    float *p;
    const dnnl_memory_desc_t *md;
    size_t n;
    dnnl_memory_t ms[3] = {c->src, c->wei, c->dst};
    for (int i = 0; i < 3; i++) {
        CHECK(dnnl_memory_get_memory_desc(ms[i], &md));
        n = dnnl_memory_desc_get_size(md) / 4;
        CHECK(dnnl_memory_get_data_handle(ms[i], (void **)&p));
        for (size_t j = 0; j < n; j++)
            p[j] = (float)((j * 7919) % 13) * 0.01f;
    }
    dnnl_post_ops_destroy(po);
    dnnl_primitive_attr_destroy(attr);
    dnnl_primitive_desc_destroy(pd);
}

static double conv_run(const conv *c, int reps)
{
    dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, c->src}, {DNNL_ARG_WEIGHTS, c->wei}, {DNNL_ARG_DST, c->dst}};
    CHECK(dnnl_primitive_execute(c->prim, strm, 3, args));
    CHECK(dnnl_stream_wait(strm));
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now_ms();
        CHECK(dnnl_primitive_execute(c->prim, strm, 3, args));
        CHECK(dnnl_stream_wait(strm));
        double t = now_ms() - t0;
        best = t < best ? t : best;
    }
    return best;
}

int main(int argc, char **argv)
{
    long b = argc > 1 ? atol(argv[1]) : 16, ci = argc > 2 ? atol(argv[2]) : 16, ce = argc > 3 ? atol(argv[3]) : 96;
    long hw = argc > 4 ? atol(argv[4]) : 112, s = argc > 5 ? atol(argv[5]) : 2;
    long ho = (hw + 2 - 3) / s + 1;
    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&strm, eng, dnnl_stream_default_flags));
    const char *names[] = {"nhwc", "nChw16c", "any"};
    dnnl_format_tag_t tags[] = {dnnl_nhwc, dnnl_nChw16c, dnnl_format_tag_any};
    for (int t = 0; t < 3; t++) {
        conv e, d, p;
        dnnl_dims_t x = {b, ci, hw, hw}, we = {ce, ci, 1, 1}, ye = {b, ce, hw, hw};
        dnnl_dims_t wd = {ce, 1, 1, 3, 3}, yd = {b, ce, ho, ho}, wp = {ci, ce, 1, 1}, yp = {b, ci, ho, ho};
        conv_make(&e, NULL, x, we, 4, ye, 1, 1, tags[t], NULL);
        const dnnl_memory_desc_t *emd;
        CHECK(dnnl_memory_get_memory_desc(e.dst, &emd));
        conv_make(&d, e.dst, ye, wd, 5, yd, 3, (int)s, tags[t], emd);
        const dnnl_memory_desc_t *dmd;
        CHECK(dnnl_memory_get_memory_desc(d.dst, &dmd));
        conv_make(&p, d.dst, yd, wp, 4, yp, 1, 1, tags[t], dmd);
        double te = conv_run(&e, 3), td = conv_run(&d, 3), tp = conv_run(&p, 3);
        double dw_gflop = 2.0 * b * ce * ho * ho * 9 / 1e6 / td;
        printf("%-8s expand %8.2f ms (%s)  dw %8.2f ms %5.1f GFLOP/s (%s)  project %8.2f ms (%s)  total %8.2f\n",
               names[t], te, e.impl, td, dw_gflop, d.impl, tp, p.impl, te + td + tp);
    }
    return 0;
}

/* verdict_test.c — the diff's scale-aware metrics (align.c) and the noise floor a layer's own error is judged
 * against (verdict.c): near-zero elements do not fail a tensor, NaN/Inf are counted, SQNR and the floor scale. */
#include <math.h>
#include <string.h>

#include "engine/diff/align.h"
#include "engine/diff/verdict.h"
#include "engine/tensor.h"
#include "test.h"

static cs_tensor *vec(const float *v, int n)
{
    int64_t dims[1] = {n};
    cs_tensor *t = cs_tensor_new(CS_DT_F32, 1, dims, NULL);
    if (t)
        memcpy(t->data, v, (size_t)n * sizeof(float));
    return t;
}

TEST(act_compare_tolerance_is_relative_to_the_tensors_scale)
{
    /* float32 noise of 1e-6 on a tensor of scale 10: every near-zero element fails |a-b| <= atol + rtol*|b|
     * (rtol 1e-4, atol 1e-8 here), yet max|a-b| = 1e-6 <= atol + rtol*max|a| = 1e-3: within */
    float a[4] = {10.0f, 1e-7f, -2e-7f, 3.0f}, b[4] = {10.000001f, 1.1e-6f, 8e-7f, 3.000001f};
    cs_tensor *ta = vec(a, 4), *tb = vec(b, 4);
    cs_act_stats st;
    cs_act_compare(ta, tb, 1e-4, 1e-8, &st);
    EXPECT(st.compared && st.within);
    EXPECT(st.frac_outside >= 0.5);            /* the two near-zero elements fail the elementwise test */
    EXPECT_NEAR(st.ref_scale, 10.0, 1e-6);
    EXPECT_NEAR(st.rel_max, st.max_abs / 10.0, 1e-12);
    EXPECT(st.sqnr_db > 100);                  /* 10 log10(109 / ~3e-12) */
    /* a real difference on the same tensor: beyond tolerance */
    b[3] = 3.5f;
    cs_tensor *tc = vec(b, 4);
    cs_act_compare(ta, tc, 1e-4, 1e-8, &st);
    EXPECT(!st.within);
    EXPECT_NEAR(st.max_abs, 0.5, 1e-6);
    EXPECT_NEAR(st.sqnr_db, 10 * log10((100.0 + 9.0) / 0.25), 0.01);
    cs_tensor_free(ta), cs_tensor_free(tb), cs_tensor_free(tc);
}

TEST(act_compare_counts_nan_and_inf_per_side)
{
    float a[3] = {1.0f, NAN, INFINITY}, b[3] = {1.0f, NAN, 2.0f};
    cs_tensor *ta = vec(a, 3), *tb = vec(b, 3);
    cs_act_stats st;
    cs_act_compare(ta, tb, 1e-4, 1e-5, &st);
    EXPECT(st.nan_a == 1 && st.nan_b == 1 && st.inf_a == 1 && st.inf_b == 0);
    EXPECT(!st.within); /* Inf against 2: an infinite difference */
    EXPECT_NEAR(st.ref_scale, 1.0, 0); /* finite elements only */
    cs_tensor_free(ta), cs_tensor_free(tb);
}

TEST(noise_floor_grows_with_reduction_length_and_precision)
{
    double rho = 1.0 / 65536, r = 1e-4;
    double f1 = cs_noise_floor(r, rho, 1, CS_UNIT_F32, 0);
    double f64 = cs_noise_floor(r, rho, 64, CS_UNIT_F32, 0);
    EXPECT_NEAR(f1, 4 * (CS_UNIT_F32 / rho) * r, 1e-18);
    EXPECT_NEAR(f64 / f1, 8.0, 1e-9); /* sqrt(64) */
    EXPECT_NEAR(cs_noise_floor(r, rho, 1, CS_UNIT_F16, 0) / f1, CS_UNIT_F16 / CS_UNIT_F32, 1e-6);
    /* no measured response: only the output's own rounding */
    EXPECT_NEAR(cs_noise_floor(NAN, rho, 9, CS_UNIT_F32, 2.0), 8 * CS_UNIT_F32, 1e-18);
}

TEST(verdict_names_are_stable)
{
    EXPECT(strcmp(cs_verdict_name(CS_VERDICT_MATCH), "match") == 0);
    EXPECT(strcmp(cs_verdict_name(CS_VERDICT_DIVERGE), "diverge") == 0);
    EXPECT(strcmp(cs_verdict_name(CS_VERDICT_PRECISION), "precision") == 0);
    EXPECT(strcmp(cs_pair_verdict_name(CS_PAIR_INHERITED), "inherited") == 0);
    EXPECT(cs_pair_verdict_diverges(CS_PAIR_DIVERGE) && !cs_pair_verdict_diverges(CS_PAIR_INHERITED) &&
           !cs_pair_verdict_diverges(CS_PAIR_PRECISION));
}

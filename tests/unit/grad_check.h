/* grad_check.h — shared by the gradient unit tests (grad_test.c, op_infer_test.c): the loss sum(w * f(x)) of a
 * one-input, one-output plan and the central-difference check of an analytic gradient of it. */
#ifndef CS_TEST_GRAD_CHECK_H
#define CS_TEST_GRAD_CHECK_H

#include "engine/exec.h"

/* sum(w[i] * y[i]) in double over the f32 output y of running plan on x; NAN (reason printed) when it fails. */
double grad_weighted_sum(const cs_graph *g, const cs_plan *plan, const cs_tensor *x, const cs_tensor *w);

/* How many elements i of x have |fd - an| > atol + rtol * max(|fd|, |an|), an = grad[i] (the analytic
 * d sum(w*f(x)) / dx[i]) and fd the central difference with step eps; the first three are printed as
 * "  LABEL[i]: analytic AN, finite difference FD". x is perturbed in place and restored. */
int grad_fd_mismatches(const cs_graph *g, const cs_plan *plan, cs_tensor *x, const cs_tensor *w, const float *grad,
                       double eps, double atol, double rtol, const char *label);

#endif

/* grad_check.c — the gradient unit tests' finite-difference check (contract in grad_check.h): one copy of the
 * weighted-sum loss and the perturb-and-compare loop that grad_test.c and op_infer_test.c each had. */
#include "grad_check.h"

#include <math.h>
#include <stdio.h>

double grad_weighted_sum(const cs_graph *g, const cs_plan *plan, const cs_tensor *x, const cs_tensor *w)
{
    cs_tensor *y = NULL;
    cs_error err = {0};
    if (cs_exec_run(g, plan, &x, &y, NULL, NULL, &err) != CS_OK) {
        fprintf(stderr, "  forward failed: %s\n", err.msg);
        return NAN;
    }
    double s = 0;
    for (int64_t i = 0; i < cs_tensor_numel(y); i++)
        s += (double)((const float *)y->data)[i] * ((const float *)w->data)[i];
    cs_tensor_free(y);
    return s;
}

int grad_fd_mismatches(const cs_graph *g, const cs_plan *plan, cs_tensor *x, const cs_tensor *w, const float *grad,
                       double eps, double atol, double rtol, const char *label)
{
    float *xd = x->data;
    int bad = 0;
    for (int64_t i = 0; i < cs_tensor_numel(x); i++) {
        float keep = xd[i];
        xd[i] = (float)(keep + eps);
        double fp = grad_weighted_sum(g, plan, x, w);
        xd[i] = (float)(keep - eps);
        double fm = grad_weighted_sum(g, plan, x, w);
        xd[i] = keep;
        double fd = (fp - fm) / (2 * eps), an = grad[i];
        if (!(fabs(fd - an) <= atol + rtol * fmax(fabs(fd), fabs(an)))) {
            if (bad < 3)
                fprintf(stderr, "  %s[%lld]: analytic %.6g, finite difference %.6g\n", label, (long long)i, an, fd);
            bad++;
        }
    }
    return bad;
}

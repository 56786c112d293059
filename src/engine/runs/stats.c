/* stats.c — timing summaries: one median and one p90 definition for the whole tool. */
#include "stats.h"

#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void cs_timing_of(const double *ms, int n, cs_timing *out)
{
    memset(out, 0, sizeof *out);
    double *s = n > 0 ? malloc(sizeof *s * (size_t)n) : NULL;
    if (!s)
        return;
    memcpy(s, ms, sizeof *s * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += s[i];
    out->n = n;
    out->min = s[0], out->max = s[n - 1], out->mean = sum / n;
    out->median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    out->p90 = s[(int)((n - 1) * 0.9 + 0.5)];
    free(s);
}

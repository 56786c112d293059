/* stats.h — the one summary of repeated timings used by every client (CLI bench, explorer timing jobs,
 * reports): min, median (mean of the two middle values for an even count), p90 (nearest rank), max, mean. */
#ifndef CS_RUNS_STATS_H
#define CS_RUNS_STATS_H

typedef struct cs_timing {
    int n;
    double min, median, p90, max, mean;
} cs_timing;

/* Summarises ms[0..n-1] (not modified); all zeros when n <= 0 or memory runs out. */
void cs_timing_of(const double *ms, int n, cs_timing *out);

#endif

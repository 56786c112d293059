/* session.h — the one engine API the explorer drives: models A and optional B, the current input, the diff
 * (activations kept), rows aligned by the matching with layer nesting, cached statistics, and a queue of
 * timing/eval/attack jobs. Loading, diffing and jobs run on worker threads; readers hold cs_session_lock. */
#ifndef CS_SESSION_H
#define CS_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "session_types.h"
#include "status.h"
#include "summary.h"

cs_status cs_session_new(cs_session **out, cs_error *err);
/* Cancels the work in flight, joins the workers and frees everything. */
void cs_session_free(cs_session *s);

void cs_session_lock(cs_session *s);
void cs_session_unlock(cs_session *s);
/* Fills v from the current state (call locked). */
void cs_session_view_get(cs_session *s, cs_session_view *v);
/* A counter bumped on every change a reader may want to redraw for (no lock needed). */
unsigned long cs_session_generation(cs_session *s);

/* Requests run on the worker; a newer request supersedes (and cancels) one in flight.
 * spec NULL or "" means: fallback_image when A's declared input is 28x28, else a blank (zero) input. */
void cs_session_open(cs_session *s, const char *path_a, const char *path_b, const char *spec,
                     const char *fallback_image);
void cs_session_set_input(cs_session *s, const char *spec);
void cs_session_set_tolerance(cs_session *s, double rtol, double atol);
void cs_session_set_map(cs_session *s, const char *map_path);

/* ---- per-row data (call locked; pointers valid until unlock) ---- */

/* The activation tensors of a row: A's output, B's aligned to A's layout (NULL when absent). */
void cs_session_row_acts(cs_session *s, int row, const cs_tensor **a, const cs_tensor **b);
/* Cached summary of a row's activation (side 0 A, 1 B); NULL when absent. */
const cs_summary *cs_session_act_summary(cs_session *s, int row, int side);
/* Cached summary of weight `w` of layer `layer` on side 0 (A) or 1 (B). */
const cs_summary *cs_session_weight_summary(cs_session *s, int side, int layer, int w);
/* Shape of a row's output on a side, "-" when unknown. */
const char *cs_session_row_shape(cs_session *s, int row, int side, char *buf, size_t size);
/* The attribute's value as text ("[3,3]", "1e-05", "'same'"). */
const char *cs_attr_str(const cs_attr *a, char *buf, size_t size);

/* ---- jobs (types in session_types.h) ---- */

void cs_job_params_default(cs_job_params *p, cs_job_kind kind);
/* Queues a job on the open models; returns its id (> 0) or -1 with err set. */
int cs_session_job_start(cs_session *s, const cs_job_params *p, cs_error *err);
/* Cancels a queued or running job (it keeps its partial result). */
void cs_session_job_cancel(cs_session *s, int id);
/* Jobs in start order (call locked). */
int cs_session_n_jobs(cs_session *s);
const cs_job_info *cs_session_job_at(cs_session *s, int i);
/* Writes a job's result as JSON to path. */
cs_status cs_session_job_save(cs_session *s, int id, const char *path, cs_error *err);
bool cs_session_jobs_active(cs_session *s);

#endif

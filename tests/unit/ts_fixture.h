/* ts_fixture.h — shared by the TorchScript unit tests: reads the raw tensors the fixture scripts write
 * (tests/fixtures/make_*_fixtures.py) and runs a fixture PREFIX.pt on PREFIX.in.f32 beside its PREFIX.out.f32. */
#ifndef CS_TEST_TS_FIXTURE_H
#define CS_TEST_TS_FIXTURE_H

#include <stdbool.h>

#include "engine/exec.h"
#include "engine/model.h"

#define TS_MAX_OUT 4

/* One fixture run: the loaded graph and plan, its input, torch's output and the engine's outputs. */
typedef struct ts_case {
    cs_graph *g;
    cs_plan *plan;
    cs_tensor *in, *ref;
    cs_tensor *out[TS_MAX_OUT];
    cs_error err; /* the reason, when open or run fails (empty message when a tensor did not read) */
} ts_case;

/* Raw fixture tensor: u32 rank, u32 dims[rank], f32 data (little-endian); NULL when absent or short. */
cs_tensor *ts_read_raw(const char *path);

/* Loads PREFIX.pt, builds its plan and reads PREFIX.in.f32 and PREFIX.out.f32 (in/ref stay NULL when absent).
 * false (c->err says why) when the model does not load or plan; c is always safe to ts_case_close. */
bool ts_case_open(ts_case *c, const char *prefix);

/* Runs the graph on c->in: true when in and ref were read, the graph has at most TS_MAX_OUT outputs, it ran,
 * and out[0] has as many elements as ref. */
bool ts_case_run(ts_case *c);

/* max|out - ref| / max(1, max|ref|) over ref's elements (out read as f64, ref as f32). */
double ts_rel_error(const cs_tensor *out, const cs_tensor *ref);

/* Frees everything c holds (set c->g = NULL first to keep the graph). */
void ts_case_close(ts_case *c);

#endif

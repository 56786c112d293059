/* session_budget_test.c — the explorer's session under a memory budget (--max-memory) too small for a job: the
 * job fails with the budget's figures, and the same session then runs a timing job and a new diff as usual. */
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "engine/membudget.h"
#include "engine/session.h"
#include "test.h"

/* Waits until the diff on an input whose spec contains `spec` is ready (or the session failed). */
static cs_phase wait_phase(cs_session *s, const char *spec, double seconds)
{
    cs_session_view v = {0};
    for (int i = 0; i < (int)(seconds * 100); i++) {
        cs_session_lock(s);
        cs_session_view_get(s, &v);
        bool done = (v.phase == CS_PHASE_READY && v.diff && strstr(v.input_spec, spec)) || v.phase == CS_PHASE_FAILED;
        cs_session_unlock(s);
        if (done)
            break;
        usleep(10000);
    }
    return v.phase;
}

/* Starts a job (retrying while the session is still busy) and waits until it ends; returns its final state. */
static cs_job_state run_job(cs_session *s, const cs_job_params *p, char *last, size_t size)
{
    cs_error err = {0};
    int id = -1;
    for (int i = 0; i < 2000 && id < 0; i++)
        if ((id = cs_session_job_start(s, p, &err)) < 0)
            usleep(10000);
    if (id < 0) {
        snprintf(last, size, "not started: %.150s", err.msg);
        return CS_JOB_QUEUED;
    }
    for (int i = 0; i < 3000 && cs_session_jobs_active(s); i++)
        usleep(10000);
    cs_session_lock(s);
    const cs_job_info *j = cs_session_job_at(s, cs_session_n_jobs(s) - 1);
    cs_job_state st = j->id == id ? j->state : CS_JOB_QUEUED;
    snprintf(last, size, "%s", j->n_lines ? j->lines[j->n_lines - 1] : "");
    cs_session_unlock(s);
    return st;
}

TEST(session_job_over_the_memory_budget_fails_and_the_session_stays_usable)
{
    if (access("samples/lenet5/lenet5.pt", R_OK) != 0 || access("samples/lenet5/lenet5.onnx", R_OK) != 0)
        return;
    cs_session *s = NULL;
    EXPECT(cs_session_new(&s, NULL) == CS_OK);
    cs_session_open(s, "samples/lenet5/lenet5.pt", "samples/lenet5/lenet5.onnx", "samples/lenet5/images/0_tshirt.png",
                    NULL);
    EXPECT(wait_phase(s, "0_tshirt.png", 30) == CS_PHASE_READY);

    /* LeNet-5's weights alone are 0.2 MiB: a 100 KiB budget refuses the run before it starts */
    cs_mem_set_budget((size_t)100 << 10);
    cs_job_params p;
    cs_job_params_default(&p, CS_JOB_BENCH);
    p.runs = 5;
    char line[200];
    EXPECT(run_job(s, &p, line, sizeof line) == CS_JOB_FAILED);
    EXPECT(strstr(line, "error: ") == line && strstr(line, "over the memory budget of 0.1 MiB"));
    if (access("/usr/share/datasets/fashion-mnist", R_OK) == 0) {
        cs_job_params e;
        cs_job_params_default(&e, CS_JOB_EVAL);
        e.limit = 20;
        EXPECT(run_job(s, &e, line, sizeof line) == CS_JOB_FAILED);
        EXPECT(strstr(line, "over the memory budget of 0.1 MiB"));
    }

    /* back to the default budget: the same session times the models and re-runs the diff on a new input */
    cs_mem_set_budget(0);
    EXPECT(run_job(s, &p, line, sizeof line) == CS_JOB_DONE);
    EXPECT(strstr(line, "B lenet5.onnx: 5 runs, median "));
    cs_session_set_input(s, "samples/lenet5/images/1_trouser.png");
    EXPECT(wait_phase(s, "1_trouser.png", 30) == CS_PHASE_READY);
    cs_session_view v;
    cs_session_lock(s);
    cs_session_view_get(s, &v);
    EXPECT(v.phase == CS_PHASE_READY && v.n_rows >= 9 && v.first_divergent_row == -1);
    cs_session_unlock(s);
    cs_session_free(s);
}

/* fuzz_pickle.c — libFuzzer target: the pickle virtual machine on raw bytes, with user classes allowed and
 * persistent ids resolved to zero-filled storages (up to 1 MiB), then every tensor view materialised. */
#include <stdlib.h>

#include "engine/formats/pickle.h"
#include "engine/formats/torch_archive.h"
#include "fuzz_common.h"

static cs_pv *persistent(void *user, cs_pickle *p, cs_pv *pid, cs_error *err)
{
    (void)user;
    cs_pv *s = cs_torch_storage_stub(p, pid, "fuzz.pkl", err);
    if (s && !s->bytes && s->nbytes && s->nbytes <= (1u << 20))
        s->bytes = calloc(1, s->nbytes);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    cs_pickle *p = cs_pickle_new();
    cs_error err = {0};
    cs_pickle_opts opts = {.persistent = persistent, .allow_user_classes = true};
    size_t used = 0;
    if (p && cs_pickle_load(p, data, size, &used, &opts, "fuzz.pkl", &err))
        for (int k = 0; k < p->n_all; k++)
            if (p->all[k]->kind == CS_PV_TENSOR) {
                cs_error e2 = {0};
                cs_tensor_free(cs_pickle_tensor(p->all[k], "fuzz.pkl", &e2));
            }
    cs_pickle_free(p);
    return 0;
}

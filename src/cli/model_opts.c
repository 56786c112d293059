/* model_opts.c — options every command that opens models accepts: --arch FILE (a Keras to_json()
 * architecture for weights-only .h5 files), --ts-arg NAME=VALUE (load-time TorchScript arguments), --precision fp32|fp16|model and --max-memory SIZE (the run
 * memory budget). They set process-wide options before models open. */
#include <stdio.h>

#include "../engine/membudget.h"
#include "../engine/model.h"
#include "../engine/precision.h"
#include "cli.h"

bool cs_opt_model(int argc, char **argv, int *i, const char *cmd, int *rc)
{
    const char *v = NULL;
    bool missing = false;
    if (cs_opt_value(argc, argv, i, "--arch", &v, &missing)) {
        if (missing)
            *rc = cs_cli_usage_error(cmd, "--arch needs a Keras architecture file (model.to_json())");
        else
            cs_model_set_keras_arch(v);
        return true;
    }
    if (cs_opt_value(argc, argv, i, "--ts-arg", &v, &missing)) {
        if (missing || !cs_model_add_ts_arg(v))
            *rc = cs_cli_usage_error(cmd, "--ts-arg needs NAME=VALUE (a number, or [d0,d1,...] for a tensor shape)");
        return true;
    }
    if (cs_opt_value(argc, argv, i, "--max-memory", &v, &missing)) {
        size_t bytes;
        if (missing || !cs_mem_parse(v, &bytes))
            *rc = cs_cli_usage_error(cmd, "--max-memory needs a size such as 512M or 4G");
        else
            cs_mem_set_budget(bytes);
        return true;
    }
    if (cs_opt_value(argc, argv, i, "--precision", &v, &missing)) {
        cs_precision p;
        if (missing || !cs_precision_parse(v, &p))
            *rc = cs_cli_usage_error(cmd, "--precision needs fp32, fp16 or model");
        else
            cs_precision_set_default(p);
        return true;
    }
    return false;
}

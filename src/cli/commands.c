/* commands.c — the subcommand table and the shared CLI helpers (errors, option scanning, help).
 * Adding a subcommand means one file and one row here. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

const cs_command cs_commands[] = {
    {"inspect", "inspect MODEL [--json]",
     "format, producer, opset, inputs/outputs, every source layer with weights and parameter counts", cs_cmd_inspect},
    {"run", "run MODEL --input [NAME=]SPEC ... [--scale S] [--mean M] [--std D] [--json] [--dump DIR]",
     "execute the model on an input and print its outputs, time and peak memory", cs_cmd_run},
    {"conform", "conform DIR... [--json] [--skip-list FILE] [--tolerances FILE] [--rtol R] [--atol A] [--report FILE]",
     "run ONNX backend test folders and check outputs with |a-b| <= atol + rtol*|b|", cs_cmd_conform},
    {"eval", "eval A [B] --data SPEC [--limit N] [--batch N] [--threads N] [--scale S] [--mean M] [--std D] [--json]",
     "accuracy of each model on a labelled dataset, top-1 agreement, confusion counts, largest output difference",
     cs_cmd_eval},
    {"bench", "bench MODEL... [--input SPEC] [--runs N] [--warmup N] [--threads N] [--batch N] [--scale S] [--mean M] "
              "[--std D] [--json]",
     "latency min/median/p90/max, CPU time, throughput, peak memory, size, parameters, MACs, slowest layers and ops",
     cs_cmd_bench},
    {"attack", "attack A [B] --method fgsm|pgd|simba [--eps E] [--steps N] [--alpha S] [--norm inf|2] [--data SPEC] "
               "[--limit N] [--batch N] [--threads N] [--seed S] [--save DIR] [--scale S] [--mean M] [--std D] [--json]",
     "adversarial robustness (FGSM, PGD, SimBA): clean/robust accuracy, success rate, perturbation sizes, queries, "
     "transfer A<->B; perturbations in [0,1] pixel space (pixel/255) clamped to [0,1]; eps 0.1 L-inf by default",
     cs_cmd_attack},
    {"diff", "diff A B (--input SPEC | --weights-only) [--rtol R] [--atol T] [--layer-tol FILE] [--map FILE] [--strict] "
             "[--scale S] [--json] [--node-data DIR]",
     "match layers across formats, compare weights and activations, report the first divergence and name its "
     "cause (kinds: weights_layout weights_scaled weights_precision weights_different bias_missing attribute "
     "activation_substituted input_order layout preprocessing precision unknown); --node-data writes Model Explorer "
     "node data per side (exit 0 same or within fp16 rounding, 1 differ; --strict: fp16 rounding differs)", cs_cmd_diff},
};
const int cs_n_commands = (int)(sizeof cs_commands / sizeof cs_commands[0]);

int cs_cli_fail(const cs_error *err)
{
    fprintf(stderr, "convscope: %s\n", err->msg[0] ? err->msg : cs_status_name(err->status));
    return CS_EXIT_ERROR;
}

int cs_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "convscope %s: %s (see convscope --help)\n", cmd, msg);
    return CS_EXIT_ERROR;
}

const char cs_cli_input_forms[] =
    "\ninput SPEC forms: an image (PNG, JPEG, BMP, PGM/PPM), a .npy array, an ONNX TensorProto .pb,\n"
    "  or a dataset sample: fashion-mnist:test:INDEX / fashion-mnist:train:INDEX,\n"
    "  idx:IMAGES:LABELS:INDEX (IDX files, gzipped or not), DIR:INDEX (a folder with one subfolder of\n"
    "  images per class); a model with several inputs takes --input NAME=SPEC once per input\n"
    "\nmodel options and exit status: convscope --help; the manual: man convscope\n";

void cs_cli_help(void)
{
    printf("convscope — a terminal debugger for converted deep-learning models\n\n");
    printf("usage: convscope COMMAND [ARGS...]\n       convscope [A [B]] [--input SPEC] [--max-memory SIZE]   (the "
           "explorer; no models: the bundled sample pair)\n       convscope --help | --version\n\ncommands:\n");
    for (int i = 0; i < cs_n_commands; i++)
        printf("  %s\n      %s\n", cs_commands[i].usage, cs_commands[i].summary);
    printf("%.*s", (int)(strstr(cs_cli_input_forms, "\nmodel options") - cs_cli_input_forms), cs_cli_input_forms);
    printf("\nmodel options (inspect, run, diff, eval, bench, attack):\n"
           "  --arch FILE  a Keras model.to_json() architecture for a weights-only .h5 (model.save_weights);\n"
           "               without it such a file loads as weights only\n"
           "  --ts-arg NAME=VALUE  a TorchScript forward argument fixed at load: a number (an int argument such as\n"
           "               Silero's sr=16000) or [d0,d1,...], the shape of a tensor argument\n"
           "  --precision fp32|fp16|model  compute precision: fp16 rounds every float op output to half precision\n"
           "               (nearest even); model (default) does so where an ML Program declares fp16 types\n"
           "  --max-memory SIZE  memory budget for running a model (512M, 4G; default 3/4 of RAM): a plan\n"
           "               whose weights + activation peak exceed it, or a tensor that would, exits 2 with the figures;\n"
           "               the explorer takes it too: a diff or job over it fails with the figures, the session goes on\n");
    printf("\nglobal options (any command, and the explorer):\n"
           "  --kernels fast|reference  fast (default): oneDNN convolutions and matrix products with fused\n"
           "               Conv+BN+residual+activation chains (an AVX-512 kernel that streams large weights where a\n"
           "               convolution has at most 64 output pixels) and vectorised exp/sigmoid/tanh/erf (float32\n"
           "               reassociation, <= 3 ULP, erf 8); reference: the plain kernels, the oracle the fast ones are checked on\n"
           "  --threads N  threads for oneDNN (OpenMP), OpenBLAS and the engine (default 1, or OMP_NUM_THREADS)\n");
    printf("\nexit status: 0 success, 1 models differ (diff), 2 any error, 130 a run cancelled with Ctrl-C\n");
}

bool cs_opt_flag(int argc, char **argv, int *i, const char *name)
{
    (void)argc;
    return strcmp(argv[*i], name) == 0;
}

bool cs_opt_value(int argc, char **argv, int *i, const char *name, const char **value, bool *missing)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return true;
    }
    if (strcmp(argv[*i], name) != 0)
        return false;
    if (*i + 1 >= argc) {
        *missing = true;
        return true;
    }
    *value = argv[++*i];
    return true;
}

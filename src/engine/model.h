/* model.h — opening a model file of any supported format into the IR.
 * Format is detected from the file's content (and, where content is ambiguous, its name). */
#ifndef CS_MODEL_H
#define CS_MODEL_H

#include "graph.h"
#include "status.h"

typedef enum {
    CS_FORMAT_UNKNOWN = 0,
    CS_FORMAT_ONNX,
    CS_FORMAT_TORCHSCRIPT,   /* zip with code/ and data.pkl */
    CS_FORMAT_TORCH_PICKLE,  /* torch.save checkpoint / state_dict (zip or legacy) */
    CS_FORMAT_COREML,        /* .mlmodel or .mlpackage */
    CS_FORMAT_KERAS_H5,
    CS_FORMAT_KERAS_V3       /* .keras zip */
} cs_format;

const char *cs_format_name(cs_format f);
/* Detects the format of path by sniffing its first bytes (and directory layout for .mlpackage). */
cs_format cs_model_detect(const char *path);

/* Opens path; on success *out is a graph ready for cs_plan_build (unless weights_only). */
cs_status cs_model_load(const char *path, cs_graph **out, cs_error *err);

/* Architecture for Keras weights-only HDF5 files (save_weights): a Keras model.to_json() file applied to
 * every such file loaded afterwards (NULL: none, the file loads as weights only). Set once by the CLI. */
void cs_model_set_keras_arch(const char *json_path);
const char *cs_model_keras_arch(void);

/* Load-time values of TorchScript forward arguments, "NAME=VALUE" (--ts-arg): an int or float binds that
 * argument to the number (Silero's sr), "[d0,d1,...]" makes it a tensor input of that shape. Up to 16; false
 * when malformed or too many. */
bool cs_model_add_ts_arg(const char *spec);
/* The value given for argument `name`, or NULL. */
const char *cs_model_ts_arg(const char *name);

/* Per-format loaders (formats/<name>.c); each names path in every error message. */
cs_status cs_onnx_load(const char *path, cs_graph **out, cs_error *err);
cs_status cs_torchscript_load(const char *path, cs_graph **out, cs_error *err);
/* The TorchScript interpreter's load-time statement budget (0: the default, 500000); the fuzz targets lower it. */
void cs_torchscript_set_step_budget(int64_t steps);
cs_status cs_torch_checkpoint_load(const char *path, cs_graph **out, cs_error *err);
cs_status cs_coreml_load(const char *path, cs_graph **out, cs_error *err);
cs_status cs_keras_load(const char *path, cs_graph **out, cs_error *err);

#endif

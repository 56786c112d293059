/* onnx.h — ONNX-specific entry points besides the model loader in model.h:
 * reading a serialized TensorProto (.pb), as the ONNX test data and `--input x.pb` use. */
#ifndef CS_FORMATS_ONNX_H
#define CS_FORMATS_ONNX_H

#include "../status.h"
#include "../tensor.h"

/* Reads a TensorProto file; *name receives its name (malloc'd, may be empty) when name is not NULL. */
cs_status cs_onnx_read_tensor_file(const char *path, cs_tensor **out, char **name, cs_error *err);

/* Reads a value file of the given kind: a TensorProto, a SequenceProto or an OptionalProto (ONNX test data). */
cs_status cs_onnx_read_value_file(const char *path, cs_value_kind kind, cs_tensor **out, cs_error *err);

#endif

/* onnx_internal.h — conversions from protobuf-c ONNX structs to engine types, private to formats/onnx*.c.
 * Protobuf structs never leave the loader boundary. */
#ifndef CS_ONNX_INTERNAL_H
#define CS_ONNX_INTERNAL_H

#include "onnx.pb-c.h"

#include "../graph.h"
#include "../status.h"
#include "../tensor.h"

/* Converts a TensorProto into a new tensor, checking that the stored data matches the dims. A tensor with
 * external data is refused here; cs_onnx_tensor_convert_in reads it from a file inside model_dir. */
cs_status cs_onnx_tensor_convert(const Onnx__TensorProto *tp, cs_tensor **out, cs_error *err);
cs_status cs_onnx_tensor_convert_in(const Onnx__TensorProto *tp, const char *model_dir, cs_tensor **out,
                                    cs_error *err);

/* onnx_external.c: where an EXTERNAL tensor's need bytes live: path (inside model_dir, no absolute path, no
 * '..', no symlink leading out, a regular file) and offset, with offset + need checked against the file. */
cs_status cs_onnx_external_locate(const Onnx__TensorProto *tp, const char *model_dir, uint64_t need, char *path,
                                  size_t size, uint64_t *offset, cs_error *err);
cs_status cs_onnx_external_read(const char *path, uint64_t offset, void *dst, size_t n, cs_error *err);

#endif

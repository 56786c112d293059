/* pb_file.h — a protobuf message read whole from an untrusted file: the size-capped read, the unpack, and one
 * error naming the file and what it should have been. Shared by the ONNX model and TensorProto readers. */
#ifndef CS_FORMATS_PB_FILE_H
#define CS_FORMATS_PB_FILE_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#include "../status.h"

/* Reads path (at most max_bytes, cs_read_file's errors) and unpacks it as a `desc` message into *out (free with
 * protobuf_c_message_free_unpacked); "PATH: not a valid WHAT (truncated or corrupt protobuf)" when it does not
 * parse. */
cs_status cs_pb_read_file(const char *path, size_t max_bytes, const ProtobufCMessageDescriptor *desc,
                          const char *what, ProtobufCMessage **out, cs_error *err);

#endif

/* pb_file.c — reads and unpacks one protobuf message from a file (contract in pb_file.h); the one copy of the
 * read, unpack, free sequence the ONNX readers each had. */
#include "pb_file.h"

#include <stdlib.h>

#include "../fileio.h"

cs_status cs_pb_read_file(const char *path, size_t max_bytes, const ProtobufCMessageDescriptor *desc,
                          const char *what, ProtobufCMessage **out, cs_error *err)
{
    *out = NULL;
    uint8_t *buf;
    size_t len;
    cs_status st = cs_read_file(path, max_bytes, &buf, &len, err);
    if (st != CS_OK)
        return st;
    *out = protobuf_c_message_unpack(desc, NULL, len, buf);
    free(buf);
    if (!*out)
        return cs_error_set(err, CS_ERR_FORMAT, "%s: not a valid %s (truncated or corrupt protobuf)", path, what);
    return CS_OK;
}

/* fuzz_pb.c — libFuzzer target: standalone ONNX TensorProto files (.pb tensors, `--input x.pb`), and the same
 * bytes read as a SequenceProto and an OptionalProto (the test data's sequence and optional values). */
#include "engine/formats/onnx.h"
#include "fuzz_common.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    cs_tensor *t = NULL;
    char *name = NULL;
    cs_error err = {0};
    const char *path = fuzz_file(".pb", data, size);
    if (cs_onnx_read_tensor_file(path, &t, &name, &err) == CS_OK)
        cs_tensor_free(t);
    free(name);
    for (int kind = CS_VALUE_SEQUENCE; kind <= CS_VALUE_OPTIONAL; kind++) {
        t = NULL;
        if (cs_onnx_read_value_file(path, (cs_value_kind)kind, &t, &err) == CS_OK)
            cs_tensor_free(t);
    }
    return 0;
}

/* fuzz_pb.c — libFuzzer target: standalone ONNX TensorProto files (.pb tensors, `--input x.pb`). */
#include "engine/formats/onnx.h"
#include "fuzz_common.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    cs_tensor *t = NULL;
    char *name = NULL;
    cs_error err = {0};
    if (cs_onnx_read_tensor_file(fuzz_file(".pb", data, size), &t, &name, &err) == CS_OK)
        cs_tensor_free(t);
    free(name);
    return 0;
}

/* tensor.h — the engine's dense tensor: dtype, shape and owned contiguous row-major data.
 * Dtype numbers follow ONNX TensorProto.DataType so loaders convert without tables. */
#ifndef CS_TENSOR_H
#define CS_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define CS_MAX_RANK 8

typedef enum {
    CS_DT_UNDEFINED = 0,
    CS_DT_F32 = 1,
    CS_DT_U8 = 2,
    CS_DT_I8 = 3,
    CS_DT_U16 = 4,
    CS_DT_I16 = 5,
    CS_DT_I32 = 6,
    CS_DT_I64 = 7,
    CS_DT_STRING = 8, /* data is char *[numel], each element an owned NUL-terminated string (NULL reads as "") */
    CS_DT_BOOL = 9,
    CS_DT_F16 = 10,
    CS_DT_F64 = 11,
    CS_DT_U32 = 12,
    CS_DT_U64 = 13,
    CS_DT_BF16 = 16
} cs_dtype;

/* Semantic layout of a value or weight, where a loader knows it. */
typedef enum {
    CS_LAYOUT_UNKNOWN = 0,
    CS_LAYOUT_NCHW,
    CS_LAYOUT_NHWC,
    CS_LAYOUT_CHW,
    CS_LAYOUT_HWC,
    CS_LAYOUT_NCW,
    CS_LAYOUT_NWC,
    CS_LAYOUT_NC,     /* batch x features */
    CS_LAYOUT_OIHW,   /* conv kernel, PyTorch/ONNX/CoreML */
    CS_LAYOUT_HWIO,   /* conv kernel, Keras/TensorFlow */
    CS_LAYOUT_IO,     /* dense kernel, Keras */
    CS_LAYOUT_OI,     /* dense weight, PyTorch/ONNX Gemm transB */
    CS_LAYOUT_SBCHW,  /* CoreML rank-5 blob */
    CS_LAYOUT_COUNT
} cs_layout;

/* What a value is (ONNX's value kinds). Every ordinary tensor is CS_VALUE_TENSOR (zero). A sequence or an
 * optional (value.h) carries dtype undefined, shape [0] and no data, so code that ignores the kind sees an
 * empty tensor it cannot compute with; the executor keeps such values away from ops that do not take them. */
typedef enum { CS_VALUE_TENSOR = 0, CS_VALUE_SEQUENCE, CS_VALUE_OPTIONAL } cs_value_kind;

typedef struct cs_tensor {
    cs_dtype dtype;
    int rank;
    int64_t dims[CS_MAX_RANK];
    void *data;     /* owned, row-major, nbytes long (may be NULL when nbytes is 0) */
    size_t nbytes;
    cs_value_kind kind;
    int n_items;               /* sequence: its length; optional: 0 (empty) or 1 */
    struct cs_tensor **items;  /* owned: the sequence's elements, or the optional's content */
} cs_tensor;

size_t cs_dtype_size(cs_dtype dtype);            /* 0 for unsupported dtypes */
const char *cs_dtype_name(cs_dtype dtype);       /* "f32", "i64", ... */
bool cs_dtype_is_float(cs_dtype dtype);
bool cs_dtype_is_signed_int(cs_dtype dtype);
const char *cs_layout_name(cs_layout layout);    /* "NCHW", ... or "?" */

/* Product of dims with overflow and negativity checks; false when the shape is impossible. */
bool cs_shape_numel(int rank, const int64_t *dims, int64_t *numel);

/* A new zero-filled tensor; NULL with err set when the shape is bad or too large. */
cs_tensor *cs_tensor_new(cs_dtype dtype, int rank, const int64_t *dims, cs_error *err);
/* A new tensor shaped like `like` with dtype `dtype`. */
cs_tensor *cs_tensor_new_like(const cs_tensor *like, cs_dtype dtype, cs_error *err);
/* A deep copy (string elements, sequence and optional items included). */
cs_tensor *cs_tensor_clone(const cs_tensor *t, cs_error *err);
/* Frees t with its data, strings and items; NULL is fine. */
void cs_tensor_free(cs_tensor *t);

int64_t cs_tensor_numel(const cs_tensor *t);
bool cs_tensor_same_shape(const cs_tensor *a, const cs_tensor *b);
/* Writes "[1,3,28,28]" into buf. */
const char *cs_shape_str(int rank, const int64_t *dims, char *buf, size_t size);

/* Element access through double, for dtype-generic code paths (slow path). */
double cs_tensor_get_f64(const cs_tensor *t, int64_t index);
void cs_tensor_set_f64(cs_tensor *t, int64_t index, double value);
/* Integer access that keeps full int64 precision. */
int64_t cs_tensor_get_i64(const cs_tensor *t, int64_t index);
void cs_tensor_set_i64(cs_tensor *t, int64_t index, int64_t value);

/* A converted copy (numeric casts with C semantics; float->int truncates; f16/bf16 round to nearest even). */
cs_tensor *cs_tensor_cast(const cs_tensor *t, cs_dtype to, cs_error *err);

float cs_f16_to_f32(uint16_t h);
uint16_t cs_f32_to_f16(float f);
float cs_bf16_to_f32(uint16_t h);
uint16_t cs_f32_to_bf16(float f);

/* Memory that a kernel streams through in large runs (packed weights, big activations): 2 MB-aligned where it spans
 * a 2 MB page, with the whole pages inside it offered to the kernel as transparent huge pages (Debian's THP mode is
 * madvise), else 64-byte aligned. Not zeroed; NULL when out of memory; free with free(). */
void *cs_alloc_huge(size_t bytes);

#endif

/* value.h — ONNX values beyond numeric tensors: sequences of values, optionals (empty or holding a value)
 * and string tensors. They ride in cs_tensor (kind, items; dtype CS_DT_STRING) so the executor's slots stay one type. */
#ifndef CS_VALUE_H
#define CS_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"
#include "tensor.h"

/* Most elements a sequence may hold, and bytes one string element may take (untrusted files). */
#define CS_SEQ_MAX_ITEMS (1 << 20)
#define CS_STRING_MAX_BYTES ((size_t)1 << 28)

/* True for an ordinary numeric tensor: what every op that does not say otherwise takes. */
static inline bool cs_value_plain(const cs_tensor *t)
{
    return t->kind == CS_VALUE_TENSOR && t->dtype != CS_DT_STRING;
}

/* cs_tensor_clone and cs_tensor_free (tensor.c) copy and free every kind deeply. */

/* "sequence", "optional", "string tensor" or "tensor", for messages. */
const char *cs_value_kind_name(const cs_tensor *t);

/* A new empty sequence (its elements' dtype is theirs: a sequence does not record one). */
cs_tensor *cs_seq_new(cs_error *err);
/* Inserts item (owned on success) at pos in [0, n_items]; CS_ERR_NOMEM or CS_ERR_ARG (too many) on failure,
 * when item is not taken. */
cs_status cs_seq_insert(cs_tensor *seq, int pos, cs_tensor *item, cs_error *err);
/* Removes element pos (freed). */
void cs_seq_erase(cs_tensor *seq, int pos);
/* A new optional holding content (owned), or empty when content is NULL. */
cs_tensor *cs_optional_new(cs_tensor *content, cs_error *err);

/* String element i of a CS_DT_STRING tensor ("" when unset), and a copy of len bytes into it. */
const char *cs_string_at(const cs_tensor *t, int64_t i);
cs_status cs_string_set(cs_tensor *t, int64_t i, const char *s, size_t len, cs_error *err);
/* The element count of a string tensor (cs_tensor_numel is 0 for it: strings have no byte size). */
int64_t cs_string_count(const cs_tensor *t);

/* A string tensor parsed into numbers of dtype to (floats as strtod reads them: "NaN", "INF", "-INF"; integers in
 * base 10), or numbers printed as strings (floats as numpy prints them: shortest round-trip digits). */
cs_tensor *cs_string_cast(const cs_tensor *t, cs_dtype to, cs_error *err);

#endif

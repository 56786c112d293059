/* json_util.h — small jansson builders shared by every JSON document the tool writes (shapes, tensors,
 * attributes) and the two ways a document leaves: printed on stdout or saved to a file. */
#ifndef CS_JSON_UTIL_H
#define CS_JSON_UTIL_H

#include <jansson.h>
#include <stdbool.h>

#include "../graph.h"
#include "../tensor.h"
#include "../status.h"

json_t *cs_json_shape(int rank, const int64_t *dims);
/* Flat array of the tensor's values as numbers (row-major). */
json_t *cs_json_tensor_data(const cs_tensor *t);
json_t *cs_json_attrs(const cs_attrs *attrs);
/* Prints with 1-space indent and a newline; frees root. */
void cs_json_print(json_t *root);
/* Writes root to path the same way; does not free root. Errors name the path. */
cs_status cs_json_save(const json_t *root, const char *path, cs_error *err);
/* A number, or null when !ok or not finite (JSON has no NaN or infinity). */
json_t *cs_json_num(bool ok, double v);

#endif

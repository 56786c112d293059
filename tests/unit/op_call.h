/* op_call.h — shared by the kernel unit tests: runs one op from the registry as a lone node on given tensors,
 * so a test states only the op, its attributes, inputs and the outputs it expects. */
#ifndef CS_TEST_OP_CALL_H
#define CS_TEST_OP_CALL_H

#include "engine/ops/ops.h"

/* One call: fill op, opset, attrs, in/n_in (and n_out when more than one output); out and err are results. */
typedef struct op_call {
    const char *op;
    int64_t opset;
    cs_attrs attrs;
    const cs_tensor *in[5]; /* a NULL entry below n_in is an absent optional input */
    int n_in;
    cs_tensor *out[4];
    int n_out; /* 0 means 1 */
    cs_error err;
} op_call;

/* Runs c->op (default domain) on c->in as one node named "t"; CS_ERR_UNSUPPORTED when no kernel has the name. */
cs_status op_call_run(op_call *c);

/* Frees the outputs and the attributes (not the inputs). */
void op_call_free(op_call *c);

/* A new tensor of dtype dt and shape dims with values[i] at element i (converted from double). */
cs_tensor *op_tensor(cs_dtype dt, int rank, const int64_t *dims, const double *values);

#endif

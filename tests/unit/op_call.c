/* op_call.c — the kernel unit tests' one-node runner (contract in op_call.h): one copy of building the node
 * and kernel context that test_ops_elementwise.c, test_ops_tensor.c and nn_ops_test.c each had. */
#include "op_call.h"

cs_status op_call_run(op_call *c)
{
    int in_ids[5] = {0, 1, 2, 3, 4}, out_ids[4] = {10, 11, 12, 13};
    for (int i = 0; i < c->n_in; i++)
        if (!c->in[i])
            in_ids[i] = -1;
    int n_out = c->n_out > 0 ? c->n_out : 1;
    cs_node node = {.name = "t", .op = (char *)c->op, .domain = "", .inputs = in_ids, .n_inputs = c->n_in,
                    .outputs = out_ids, .n_outputs = n_out, .attrs = c->attrs, .layer = -1};
    const cs_op_def *def = cs_ops_find("", c->op);
    if (!def)
        return cs_error_set(&c->err, CS_ERR_UNSUPPORTED, "no kernel for %s", c->op);
    cs_kernel_ctx ctx = {.node = &node, .in = c->in, .n_in = c->n_in, .out = c->out, .n_out = n_out,
                         .opset = c->opset, .err = &c->err};
    return def->run(&ctx);
}

void op_call_free(op_call *c)
{
    for (int i = 0; i < 4; i++)
        cs_tensor_free(c->out[i]);
    cs_attrs_free(&c->attrs);
}

cs_tensor *op_tensor(cs_dtype dt, int rank, const int64_t *dims, const double *values)
{
    cs_tensor *t = cs_tensor_new(dt, rank, dims, NULL);
    for (int64_t i = 0; t && i < cs_tensor_numel(t); i++)
        cs_tensor_set_f64(t, i, values[i]);
    return t;
}

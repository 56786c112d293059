/* coreml_mil.h — shared pieces of the ML Program (MIL) conversion: value typing, constants and the
 * per-operation converter of coreml_mil_ops.c. */
#ifndef CS_COREML_MIL_H
#define CS_COREML_MIL_H

#include "coreml_internal.h"

typedef CoreML__Specification__MILSpec__ValueType mil_type;
typedef CoreML__Specification__MILSpec__Value mil_value;
typedef CoreML__Specification__MILSpec__Block mil_block;
typedef CoreML__Specification__MILSpec__Operation mil_op;

#define MIL_MAX_STRINGS 256

/* String constants (pad_type, dtype...) have no tensor form: kept by name while converting. */
typedef struct mil_state {
    char *name[MIL_MAX_STRINGS];
    char *value[MIL_MAX_STRINGS];
    int n;
} mil_state;

void mil_state_free(mil_state *ms);
cs_dtype mil_dtype(int mil_data_type);
/* Sets dtype/rank/dims of value v from a MIL ValueType. */
void mil_declare(cm_loader *ld, int v, const mil_type *vt);
/* A constant Value as an f32/int tensor (*out), or a string (*str, when str is not NULL). */
/* The tensor an immediate value holds, or NULL when the value is not immediate or its oneof is not a tensor. */
const CoreML__Specification__MILSpec__TensorValue *immediate_tensor(const mil_value *val);
cs_status mil_value_tensor(cm_loader *ld, const mil_value *val, cs_tensor **out, cs_dtype *stored, char **str);
cs_status mil_operation(cm_loader *ld, mil_state *ms, const mil_op *op);

/* Argument access for op converters (coreml_mil_ops.c): the value of a required argument (-1/-2 with err
 * set when absent or bad), an optional one (-1 absent, -2 error), load-time numbers, ints and strings. */
int mil_need(cm_loader *ld, const mil_op *op, const char *name);
int mil_opt(cm_loader *ld, const mil_op *op, const char *name);
double mil_num(cm_loader *ld, const mil_op *op, const char *name, double dflt);
int mil_ints(cm_loader *ld, const mil_op *op, const char *name, int64_t *out, int max, bool *bad);
const char *mil_str(mil_state *ms, const mil_op *op, const char *name);

/* The extra operations of coreml_mil_more.c; CS_ERR_UNSUPPORTED without an error message when `op` is not
 * one of them. */
cs_status mil_more_op(cm_loader *ld, mil_state *ms, const mil_op *op, int y);
/* coreml_mil_logic.c: comparisons, select, gather, stack, tile, einsum, argmax...; same contract. */
cs_status mil_logic_op(cm_loader *ld, mil_state *ms, const mil_op *op, int y);
/* coreml_mil_rnn.c: lstm (three outputs: sequence, h, c). */
cs_status mil_lstm(cm_loader *ld, mil_state *ms, const mil_op *op);
/* split: a multi-output operation like classify and lstm. */
cs_status mil_split(cm_loader *ld, const mil_op *op);

#endif

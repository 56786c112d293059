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

/* Argument access for op converters: the value of argument `name` (binding k; -1 absent with err untouched,
 * -2 on error), a required one (-1/-2 with err set), an optional one, load-time numbers, ints and strings. */
int mil_arg_value(cm_loader *ld, const mil_op *op, const char *name, size_t k);
int mil_need(cm_loader *ld, const mil_op *op, const char *name);
static inline int mil_opt(cm_loader *ld, const mil_op *op, const char *name)
{
    return mil_arg_value(ld, op, name, 0);
}
double mil_num(cm_loader *ld, const mil_op *op, const char *name, double dflt);
/* mil_num as an integer clamped to +-1e12 (NaN: -1e12), so that a hostile value never overflows a cast; callers
 * still check the range they need. */
static inline int64_t mil_int(cm_loader *ld, const mil_op *op, const char *name, double dflt)
{
    double d = mil_num(ld, op, name, dflt);
    return !(d >= -1e12) ? (int64_t)-1e12 : d > 1e12 ? (int64_t)1e12 : (int64_t)d;
}
int mil_ints(cm_loader *ld, const mil_op *op, const char *name, int64_t *out, int max, bool *bad);
const char *mil_str(mil_state *ms, const mil_op *op, const char *name);

/* The name -> converter dispatch table. A converter emits the IR nodes computing op's single output y; `arg` is
 * its row's fixed argument (an ONNX op name, a mode word), NULL when it needs none. Every converter file
 * exports one NULL-terminated row array; mil_find looks a MIL op name up in all of them. */
typedef cs_status (*mil_fn)(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg);
typedef struct mil_row {
    const char *name;
    mil_fn fn;
    const char *arg;
} mil_row;
extern const mil_row mil_rows_core[];  /* coreml_mil_ops.c */
extern const mil_row mil_rows_more[];  /* coreml_mil_more.c */
extern const mil_row mil_rows_logic[]; /* coreml_mil_logic.c */
extern const mil_row mil_rows_tensor[]; /* coreml_mil_tensor.c */
extern const mil_row mil_rows_detect[]; /* coreml_mil_detect.c */
extern const mil_row mil_rows_extra[];  /* coreml_mil_extra.c */
extern const mil_row mil_rows_constexpr[]; /* coreml_mil_constexpr.c */
extern const mil_row mil_rows_space[];  /* coreml_mil_space.c */
const mil_row *mil_find(const char *name);
/* Every MIL op name convscope converts (single-output rows, plus the multi-output lstm, split and classify),
 * for coverage listings: returns the count and points *names at a static array. */
int mil_supported_ops(const char *const **names);

/* Multi-output operations: split, topk (coreml_mil_more.c) and lstm (coreml_mil_rnn.c). */
cs_status mil_split(cm_loader *ld, const mil_op *op);
cs_status mil_lstm(cm_loader *ld, mil_state *ms, const mil_op *op);
cs_status mil_topk(cm_loader *ld, const mil_op *op); /* (values, int32 indices), coreml_mil_more.c */
/* gru / rnn (output_sequence, h) (coreml_mil_gru.c); non_maximum_suppression's 4 outputs (coreml_mil_detect.c). */
cs_status mil_gru(cm_loader *ld, mil_state *ms, const mil_op *op);
cs_status mil_rnn(cm_loader *ld, mil_state *ms, const mil_op *op);
/* Shared by the recurrent ops (coreml_mil_rnn.c): the constant tensor of argument `name` (NULL when absent and
 * optional, or with the error set when absent or computed); the ONNX activation of a MIL one (NULL when unknown);
 * a builder result (< 0: failed) as a status. */
const cs_tensor *mil_recurrent_const(cm_loader *ld, const mil_op *op, const char *name, bool required);
const char *mil_recurrent_act(const char *mil);
cs_status mil_recurrent_done(cm_loader *ld, int ok);
cs_status mil_nms(cm_loader *ld, const mil_op *op);
/* v reversed along axis 0 into out (a Slice with step -1): MIL lists a reverse recurrence's outputs in processing
 * order, ONNX aligned with the input. Returns the node or -1. */
int mil_flip_time(cm_loader *ld, int v, int out);
/* True when value v (undefined in ld's graph) is computed or constant in an enclosing block's graph; a constant is
 * copied in (coreml_mil_ops.c). cond: an ONNX If whose branches are the two blocks (coreml_mil_cond.c). */
bool mil_defined_outside(cm_loader *ld, int v);
cs_status mil_cond(cm_loader *ld, mil_state *ms, const mil_op *op);
/* resize_bilinear of x's last two axes to h x w on a MIL sampling grid ONNX Resize lacks (coreml_mil_detect.c). */
cs_status mil_resize_grid(cm_loader *ld, int x, int64_t h, int64_t w, const char *mode, int y);

#endif

/* registry.h — the op family tables that registry.c joins into one lookup.
 * Each family file (math.c, conv.c, ...) defines exactly one of these arrays, ended by {NULL, NULL}. */
#ifndef CS_REGISTRY_H
#define CS_REGISTRY_H

#include "ops.h"

extern const cs_op_def cs_ops_math[];       /* math.c: arithmetic, comparison, logic, unary math, variadic */
extern const cs_op_def cs_ops_activation[]; /* activation.c: Relu, Sigmoid, Clip, ... */
extern const cs_op_def cs_ops_softmax[];    /* softmax.c: Softmax, LogSoftmax, Hardmax, losses */
extern const cs_op_def cs_ops_conv[];       /* conv.c: Conv, ConvTranspose, ConvInteger */
extern const cs_op_def cs_ops_matmul[];     /* matmul.c: Gemm, MatMul, MatMulInteger, Einsum */
extern const cs_op_def cs_ops_pool[];       /* pool.c: MaxPool, AveragePool, global pools, LpPool */
extern const cs_op_def cs_ops_norm[];       /* norm.c: BatchNormalization, LayerNorm, LRN, Dropout, ... */
extern const cs_op_def cs_ops_quant[];      /* quant.c: QuantizeLinear, DequantizeLinear, ... */
extern const cs_op_def cs_ops_shape[];      /* shape.c: Reshape, Transpose, Concat, Split, Cast, ... */
extern const cs_op_def cs_ops_index[];      /* index.c: Slice, Gather*, Scatter*, Pad, Tile, ... */
extern const cs_op_def cs_ops_reduce[];     /* reduce.c: Reduce*, ArgMax/ArgMin, CumSum, TopK */
extern const cs_op_def cs_ops_resize[];     /* resize.c: Resize, Upsample, DepthToSpace, SpaceToDepth */
extern const cs_op_def cs_ops_misc[];       /* misc.c: everything else ONNX */
extern const cs_op_def cs_ops_ext[];        /* ext.c: convscope-domain ops for PyTorch semantics */
extern const cs_op_def cs_ops_coreml[];     /* ext_coreml.c: convscope-domain ops for CoreML semantics */
extern const cs_op_def cs_ops_mil[];         /* ext_mil.c: convscope-domain ops for MIL (ML Program) semantics */
extern const cs_op_def cs_ops_keras[];       /* ext_keras.c: convscope-domain ops for Keras semantics */
extern const cs_op_def cs_ops_rnn[];        /* rnn.c: RNN, GRU, LSTM */
extern const cs_op_def cs_ops_control[];    /* control.c: If, Loop, Scan, SequenceMap (subgraphs) */
extern const cs_op_def cs_ops_sequence[];   /* sequence.c: Sequence*, SplitToSequence, ConcatFromSequence */
extern const cs_op_def cs_ops_optional[];   /* optional.c: Optional, OptionalHasElement, OptionalGetElement */
extern const cs_op_def cs_ops_recent[];     /* recent.c: GroupNormalization, Col2Im, Bitwise*, CenterCropPad, AffineGrid */
extern const cs_op_def cs_ops_regex[];      /* regex.c: RegexFullMatch (RE2 syntax, run by PCRE2) */
extern const cs_op_def cs_ops_text[];       /* text.c: TfIdfVectorizer (integer tokens), String* */
extern const cs_op_def cs_ops_training[];   /* training.c: Adagrad, Momentum, Adam, Gradient (ai.onnx.preview.training) */
/* The Gradient op's kernel: it runs the graph and the gradient module, so it lives in grad/grad_op.c. */
cs_status cs_grad_op_gradient(cs_kernel_ctx *ctx);

#endif

/* rnn_unrolled.h — finds LSTM cells that a converter wrote out as plain ops (MatMul/Add/Split/Sigmoid/Tanh/Mul,
 * as keras2onnx does), so the weights diff can compare them with an LSTM node as the function they compute. */
#ifndef CS_DIFF_RNN_UNROLLED_H
#define CS_DIFF_RNN_UNROLLED_H

#include <stdint.h>

#include "../graph.h"

#define CS_UNROLLED_MAX_BIAS 4
#define CS_UNROLLED_MAX_NODES 32

/* One decomposed LSTM cell:
 *   z = x @ W + h @ R (+ constant biases, any association of Adds);  z0..z3 = Split(z, 4 equal parts, last axis)
 *   (each product a MatMul by a constant, or a Gemm with a constant B, transB either way, and its C a bias: the
 *   form torch.onnx gives nn.LSTMCell)
 *   gates: the part through Tanh is g; the Sigmoid (or HardSigmoid) multiplied by tanh(g) is i; the one whose
 *   product with the previous cell state is added to i*g (giving c') is f; the one multiplied by Tanh(c') is o.
 * W and R are constants [In, 4H] and [H, 4H]; when In == H the one fed from the recurrent state (the source
 * the previous cell state comes from, the h' of another time step with the same kernels, or a constant
 * initial state like c's) is R; a cell where the data flow cannot tell (one step, h and c separate inputs,
 * In == H) is left out. Found from the data flow alone, never from node names. */
typedef struct cs_rnn_unrolled {
    int w_value, r_value;                 /* graph constants: W [In, 4H], R [H, 4H] (or [4H, In], [4H, H]) */
    bool w_gates_first, r_gates_first;    /* stored [4H, K] (a Gemm with transB = 1) */
    int bias_values[CS_UNROLLED_MAX_BIAS]; /* constant Add terms of 4H elements: their sum is the bias */
    int n_bias;
    int chunk_of[4];                      /* Split part holding gate i, f, g, o */
    int64_t hidden, in;
    int first_node;                       /* smallest node index of the cell's MatMuls (order in the graph) */
    int h_value, c_value;                 /* the cell's outputs h' and c' */
    int nodes[CS_UNROLLED_MAX_NODES];     /* the nodes computing the cell, MatMuls to h' */
    int n_nodes;
} cs_rnn_unrolled;

/* Fills out[0..max) with the decomposed LSTM cells of g in graph order; returns how many were found. Time steps
 * of one unrolled sequence share W and R: each appears, so callers that count layers merge equal (W, R). */
int cs_rnn_unrolled_find(const cs_graph *g, cs_rnn_unrolled *out, int max);

#endif

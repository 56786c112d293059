/* rnn_weights.h — compares recurrent layers (LSTM, GRU) across formats as the function they compute:
 * gate order, kernel transposes and the split of the bias between input and recurrent side are lined up first. */
#ifndef CS_DIFF_RNN_WEIGHTS_H
#define CS_DIFF_RNN_WEIGHTS_H

#include <stdbool.h>

#include "../graph.h"
#include "weight_cmp.h"

/* Understood layouts, per cell (one direction of one layer):
 *   ONNX LSTM/GRU/RNN node weights W [D,G*H,In], R [D,G*H,H], B [D,2*G*H] (Wb then Rb); gates i,o,f,c / z,r,h;
 *   PyTorch *.weight_ih_lK[_reverse] [G*H,In], weight_hh [G*H,H], bias_ih, bias_hh; gates i,f,g,o / r,z,n;
 *   Keras kernel [In,G*H], recurrent_kernel [H,G*H], bias [G*H] (GRU reset_after: [2,G*H]); gates i,f,c,o / z,r,h.
 * LSTM biases compare by their sum (b_input + b_recurrent compute the same function however they are split);
 * GRU r and z gates by their sum too, the candidate gate's recurrent bias (inside the reset product) apart.
 * Returns false when layers_a or layers_b holds no recognisable recurrent layer: *out is then untouched. */
bool cs_rnn_weights_compare(const cs_graph *a, const int *layers_a, int n_a, const cs_graph *b, const int *layers_b,
                            int n_b, cs_weight_cmp *out);

/* A recurrent layer of one graph and its counterpart in the other, an LSTM written out as plain ops
 * (rnn_unrolled.h): the recurrent units (layers, decomposed cells) of both graphs in order, paired by place
 * (when one graph holds part of the other's, in the one window where their shapes agree). */
#define CS_RNN_LINK_MAX_LAYERS 256
typedef struct cs_rnn_link {
    bool cell_in_a;                           /* the decomposed cell is A's (the layer B's), or the reverse */
    int layer;                                /* the recurrent layer */
    int cell_layers[CS_RNN_LINK_MAX_LAYERS];  /* the layers holding the cell's nodes, every time step's */
    int n_cell_layers;
} cs_rnn_link;
/* Fills out[0..max) with such links; returns how many. */
int cs_rnn_links(const cs_graph *a, const cs_graph *b, cs_rnn_link *out, int max);

#endif

/* cause_bside.c — hypotheses on B's side of a first divergent pair: B's layer (often a decomposition of A's one
 * op) with one node changed, an elementwise op in place of another or two operands swapped, run on A's input
 * and fitted to A's output; names the one node of B's decomposition that computes the wrong thing. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cause_internal.h"

/* Each node change runs B's whole group once: bounded so a large group costs at most this many runs. */
#define MAX_B_RUNS 64

/* Elementwise unary ops a converter may put one in place of another (GELU's Erf and Tanh forms, SiLU's
 * Sigmoid and HardSigmoid, ...); each runs with its defaults in place of the node's op. */
static const char *const unary_ops[] = {"Erf",      "Tanh",     "Sigmoid", "HardSigmoid", "Relu",      "Exp",
                                        "Softplus", "Softsign", "Abs",     "Neg",         "Sqrt",      "Identity",
                                        "Elu",      "Selu",     "HardSwish", "Log",       "Reciprocal"};
#define N_UNARY ((int)(sizeof unary_ops / sizeof unary_ops[0]))

/* Ops whose operand order matters. */
static bool ordered(const char *op)
{
    return strcmp(op, "Sub") == 0 || strcmp(op, "Div") == 0 || strcmp(op, "Pow") == 0 || strcmp(op, "MatMul") == 0 ||
           strcmp(op, "Concat") == 0;
}

static int unary_index(const char *op)
{
    for (int i = 0; i < N_UNARY; i++)
        if (strcmp(op, unary_ops[i]) == 0)
            return i;
    return -1;
}

static cs_hyp *b_hyp(const cs_probe *p, cs_hyps *hs, const char *kind, int node, const cs_probe_patch *patch)
{
    cs_tensor *h = cs_probe_run_b(p, patch);
    double res = cs_probe_residual(p, h, false, p->va[p->a_out], true);
    cs_tensor_free(h);
    cs_hyp *hy = cs_hyp_add(hs, kind, res);
    if (!hy)
        return NULL;
    const cs_match_pair *mp = &p->r->matching->pairs[p->pair];
    int layer = p->b->nodes[node].layer;
    hy->b_side = true;
    cs_fmt(hy->layer_a, sizeof hy->layer_a, "%s", p->a->layers[mp->a[0]].name);
    cs_fmt(hy->layer_b, sizeof hy->layer_b, "%s", layer >= 0 ? p->b->layers[layer].name : p->b->nodes[node].op);
    return hy;
}

static void order_str(const int *order, int m, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < m && used + 8 < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%d", i ? "," : "", order[i]);
    snprintf(buf + used, size - used, ")");
}

/* B's node n with its operands in `order` (B with them so reproduces A: B reads them in the inverse order). */
static bool try_b_order(const cs_probe *p, cs_hyps *hs, int n, const int *order, int m)
{
    cs_probe_patch patch = {n, NULL, order, -1, NULL, NULL};
    cs_hyp *hy = b_hyp(p, hs, "input_order", n, &patch);
    if (!hy)
        return false;
    int ident[64], inv[64];
    for (int i = 0; i < m; i++)
        ident[i] = i, inv[order[i]] = i;
    order_str(ident, m, hy->a, sizeof hy->a);
    order_str(inv, m, hy->b, sizeof hy->b);
    cs_fmt(hy->what, sizeof hy->what, "B's %s with its operands in order %s", p->b->nodes[n].op, hy->b);
    return true;
}

void cs_hyp_b_side(const cs_probe *p, cs_hyps *hs)
{
    const cs_match_pair *mp = &p->r->matching->pairs[p->pair];
    if (!p->va[p->a_out] || !p->b_local)
        return;
    int runs = 0;
    for (int l = 0; l < mp->n_b && runs < MAX_B_RUNS; l++) {
        const cs_layer *L = &p->b->layers[mp->b[l]];
        for (int k = 0; k < L->n_nodes && runs < MAX_B_RUNS; k++) {
            int n = L->nodes[k];
            const cs_node *nd = &p->b->nodes[n];
            int u = unary_index(nd->op);
            for (int j = 0; u >= 0 && nd->n_inputs == 1 && j < N_UNARY && runs < MAX_B_RUNS; j++) {
                if (j == u)
                    continue;
                cs_probe_patch patch = {n, NULL, NULL, -1, NULL, unary_ops[j]};
                cs_hyp *hy = b_hyp(p, hs, "activation_substituted", n, &patch);
                runs++;
                if (!hy)
                    return;
                cs_fmt(hy->a, sizeof hy->a, "%s", unary_ops[j]);
                cs_fmt(hy->b, sizeof hy->b, "%s", nd->op);
                cs_fmt(hy->what, sizeof hy->what, "%s in place of B's %s", unary_ops[j], nd->op);
            }
            int m = nd->n_inputs, order[64];
            if (m < 2 || m > 64 || !ordered(nd->op))
                continue;
            for (int i = 0; i < m; i++)
                order[i] = m - 1 - i;
            if (!try_b_order(p, hs, n, order, m))
                return;
            runs++;
            for (int s = 0; m > 2 && s + 1 < m && s < 6 && runs < MAX_B_RUNS; s++, runs++) {
                for (int i = 0; i < m; i++)
                    order[i] = i == s ? s + 1 : i == s + 1 ? s : i;
                if (!try_b_order(p, hs, n, order, m))
                    return;
            }
        }
    }
}

/* match_align.c — builds the matching: user pairs from --map first, then a global alignment
 * (maximum total confidence, order preserved) of the remaining layers, then fused/folded leftovers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff_files.h"
#include "match.h"
#include "match_internal.h"
#include "rnn_weights.h"

typedef struct side {
    const cs_graph *g;
    int *seq;            /* layer indices in execution order */
    int n;
    layer_features *f;   /* per position */
    int *pair_of;        /* per position: pair index or -1 */
    int *owner;          /* B only, per position: the A position whose name scope holds this layer, or -1 */
    int *lo, *hi;        /* A only, per position: the B positions an in-order anchor leaves open (lo, hi) */
    bool *shape_only;    /* per position: the layer only computes shape arithmetic */
} side;

typedef struct builder {
    side a, b;
    cs_matching *m;
    int cap;
} builder;

static int position_of(const side *s, int layer)
{
    for (int i = 0; i < s->n; i++)
        if (s->seq[i] == layer)
            return i;
    return -1;
}

static int find_layer(const cs_graph *g, const char *name)
{
    for (int l = 0; l < g->n_layers; l++)
        if (strcmp(g->layers[l].name, name) == 0)
            return l;
    return -1;
}

static cs_match_pair *new_pair(builder *bd)
{
    if (bd->m->n_pairs == bd->cap) {
        bd->cap = bd->cap ? bd->cap * 2 : 16;
        bd->m->pairs = realloc(bd->m->pairs, (size_t)bd->cap * sizeof(cs_match_pair));
    }
    cs_match_pair *p = &bd->m->pairs[bd->m->n_pairs++];
    memset(p, 0, sizeof *p);
    return p;
}

static void pair_add(int **items, int *n, int v)
{
    *items = realloc(*items, (size_t)(*n + 1) * sizeof(int));
    (*items)[(*n)++] = v;
}

/* ---- user map ---- */

static cs_status map_entry(builder *bd, const char *path, int line, const char *a_name, const char **b_names, int nb,
                           cs_error *err)
{
    int la = find_layer(bd->a.g, a_name), pa = position_of(&bd->a, la);
    if (la < 0)
        return cs_error_set(err, CS_ERR_ARG, "%s:%d: model A has no layer '%s'", path, line, a_name);
    cs_match_pair *p = new_pair(bd);
    int idx = bd->m->n_pairs - 1;
    p->from_map = true;
    p->confidence = 1;
    snprintf(p->evidence, sizeof p->evidence, "user map");
    pair_add(&p->a, &p->n_a, la);
    if (pa >= 0)
        bd->a.pair_of[pa] = idx;
    for (int k = 0; k < nb; k++) {
        int lb = find_layer(bd->b.g, b_names[k]), pb = position_of(&bd->b, lb);
        if (lb < 0)
            return cs_error_set(err, CS_ERR_ARG, "%s:%d: model B has no layer '%s'", path, line, b_names[k]);
        pair_add(&p->b, &p->n_b, lb);
        if (pb >= 0)
            bd->b.pair_of[pb] = idx;
    }
    return CS_OK;
}

static cs_status load_map(builder *bd, const char *path, cs_error *err)
{
    cs_layer_map map;
    cs_status st = cs_layer_map_load(path, &map, err);
    for (int i = 0; st == CS_OK && i < map.n; i++)
        st = map_entry(bd, path, map.entries[i].line, map.entries[i].a, (const char **)map.entries[i].b,
                       map.entries[i].n_b, err);
    cs_layer_map_free(&map);
    return st;
}

/* Whether B's node name "/layer1/layer1.0/bn1/Sub" lies in the scope of A's module "layer1.0.bn1"
 * (or "ln1" for "/ln1/ReduceMean"): the exporter's scope path, less the node's own name. */
/* The module path a PyTorch exporter's scope spells: "/features/features.4/block/block.0/block.0.2/Mul" is
 * features.4.block.0.2 (each component repeats its parent's path when the parent is a Sequential). */
static bool scope_module_path(const char *b_name, char *out, size_t size)
{
    const char *end = strrchr(b_name, '/');
    if (!end || b_name[0] != '/' || (size_t)(end - b_name) >= size)
        return false;
    char comp[256], prev[256] = "";
    size_t used = 0;
    out[0] = 0;
    for (const char *c = b_name + 1; c < end;) {
        const char *slash = strchr(c, '/');
        size_t n = (size_t)(slash - c);
        if (n == 0 || n >= sizeof comp)
            return false;
        memcpy(comp, c, n), comp[n] = 0;
        size_t np = strlen(prev);
        const char *add = np && strncmp(comp, prev, np) == 0 && comp[np] == '.' ? comp + np + 1 : comp;
        used += (size_t)snprintf(out + used, size - used, "%s%s", used ? "." : "", add);
        if (used >= size)
            return false;
        snprintf(prev, sizeof prev, "%s", comp);
        c = slash + 1;
    }
    return used > 0;
}

static bool in_scope_of(const char *b_name, const char *a_name)
{
    const char *end = strrchr(b_name, '/');
    if (!end || end == b_name || !a_name[0])
        return false;
    char path[512];
    if (scope_module_path(b_name, path, sizeof path) && strcmp(path, a_name) == 0)
        return true;
    const char *last = end - 1;
    while (last > b_name && last[-1] != '/')
        last--;
    size_t n = (size_t)(end - last), na = strlen(a_name);
    if (n == na && strncmp(last, a_name, n) == 0)
        return true;
    if (last - 1 <= b_name) /* no component before the last */
        return false;
    const char *prev = last - 1;
    while (prev > b_name && prev[-1] != '/')
        prev--;
    size_t np = (size_t)(last - 1 - prev); /* "layer1.0" + "." + "bn1" */
    return na == np + 1 + n && strncmp(a_name, prev, np) == 0 && a_name[np] == '.' &&
           strncmp(a_name + np + 1, last, n) == 0;
}

/* For each B position, the A layer whose module scope names it ("/ln1/ReduceMean" belongs to "ln1"):
 * such a layer may pair with that A layer only, so a decomposed LayerNorm's Add never takes the place
 * of a residual add. */
static void find_owners(builder *bd)
{
    for (int j = 0; j < bd->b.n; j++) {
        bd->b.owner[j] = -1;
        for (int i = 0; i < bd->a.n && bd->b.owner[j] < 0; i++)
            if (in_scope_of(bd->b.g->layers[bd->b.seq[j]].name, bd->a.g->layers[bd->a.seq[i]].name))
                bd->b.owner[j] = i;
    }
}

/* Whether every node of l computes only shape arithmetic. */
static bool shape_layer(const cs_graph *g, const cs_layer *l)
{
    return l->n_nodes > 0 && cs_layer_only_shapes(g, (int)(l - g->layers));
}

static double pair_score(const builder *bd, int i, int j)
{
    if (bd->a.pair_of[i] >= 0 || bd->b.pair_of[j] >= 0 || (bd->b.owner[j] >= 0 && bd->b.owner[j] != i))
        return -1;
    if (bd->a.lo && (j <= bd->a.lo[i] || j >= bd->a.hi[i])) /* would cross an anchor */
        return -1;
    if (bd->b.shape_only && bd->b.shape_only[j] && !cs_kind_is_minor(bd->a.f[i].kind)) /* a Slice of a shape */
        return -1;
    return cs_match_score(&bd->a.f[i], &bd->b.f[j], NULL, 0);
}

/* ---- anchors: pairs the weights alone decide, wherever they sit ---- */

/* The one B position whose weights all match A's position i exactly (-1 when none or several). */
static int unique_exact(const builder *bd, int i)
{
    int found = -1;
    for (int j = 0; j < bd->b.n; j++) {
        if (cs_weight_evidence(&bd->a.f[i], &bd->b.f[j]) < 4 || pair_score(bd, i, j) <= 0)
            continue;
        if (found >= 0)
            return -1;
        found = j;
    }
    return found;
}

/* Pairs every layer whose weights match exactly one layer of the other side and vice versa, before the
 * order-preserving alignment: a state_dict lists modules in declaration order (CARN's add_mean next to
 * sub_mean), not in the order they run, and a unique exact weight match needs no order to be believed. */
static void anchor_exact(builder *bd)
{
    for (int i = 0; i < bd->a.n; i++) {
        if (bd->a.pair_of[i] >= 0 || bd->a.f[i].n_weights == 0)
            continue;
        int j = unique_exact(bd, i), back = -1;
        for (int k = 0; j >= 0 && k < bd->a.n; k++)
            if (bd->a.pair_of[k] < 0 && cs_weight_evidence(&bd->a.f[k], &bd->b.f[j]) >= 4 && pair_score(bd, k, j) > 0)
                back = back < 0 ? k : -2;
        if (j < 0 || back != i)
            continue;
        cs_match_pair *p = new_pair(bd);
        pair_add(&p->a, &p->n_a, bd->a.seq[i]);
        pair_add(&p->b, &p->n_b, bd->b.seq[j]);
        p->confidence = pair_score(bd, i, j);
        cs_match_score(&bd->a.f[i], &bd->b.f[j], p->evidence, sizeof p->evidence);
        bd->a.pair_of[i] = bd->b.pair_of[j] = bd->m->n_pairs - 1;
    }
}

/* The anchors that keep both orders (the longest run increasing in A and in B) bound the alignment: a layer
 * between two of them in A pairs only between the same two in B. Anchors out of order (a state_dict's
 * declaration order) constrain nothing. */
static void anchor_bounds(builder *bd)
{
    int n = bd->a.n, *bpos = malloc(((size_t)n + 1) * sizeof(int)), *len = malloc(((size_t)n + 1) * sizeof(int));
    int *prev = malloc(((size_t)n + 1) * sizeof(int));
    bd->a.lo = malloc(((size_t)n + 1) * sizeof(int));
    bd->a.hi = malloc(((size_t)n + 1) * sizeof(int));
    if (!bpos || !len || !prev || !bd->a.lo || !bd->a.hi) {
        free(bd->a.lo), free(bd->a.hi);
        bd->a.lo = bd->a.hi = NULL;
        free(bpos), free(len), free(prev);
        return;
    }
    int best = -1;
    for (int i = 0; i < n; i++) {
        bpos[i] = -1, len[i] = 0, prev[i] = -1;
        int p = bd->a.pair_of[i];
        const cs_match_pair *pp = p >= 0 ? &bd->m->pairs[p] : NULL;
        if (!pp || pp->n_b < 1 || pp->a[pp->n_a - 1] != bd->a.seq[i])
            continue; /* a group (an LSTM written out as cells) anchors at its output: its last layers */
        bpos[i] = position_of(&bd->b, pp->b[pp->n_b - 1]);
        len[i] = 1;
        for (int k = 0; k < i; k++)
            if (bpos[k] >= 0 && bpos[k] < bpos[i] && len[k] + 1 > len[i])
                len[i] = len[k] + 1, prev[i] = k;
        if (best < 0 || len[i] > len[best])
            best = i;
    }
    bool *keep = calloc((size_t)n + 1, sizeof(bool));
    for (int k = best; keep && k >= 0; k = prev[k])
        keep[k] = true;
    int lo = -1;
    for (int i = 0; i < n; i++) {
        bd->a.lo[i] = lo;
        if (keep && keep[i])
            lo = bpos[i];
    }
    int hi = bd->b.n;
    for (int i = n - 1; i >= 0; i--) {
        bd->a.hi[i] = hi;
        if (keep && keep[i])
            hi = bpos[i];
    }
    free(keep), free(bpos), free(len), free(prev);
}

/* ---- global alignment (Needleman-Wunsch with free gaps, maximising total confidence) ---- */

static void anchor_recurrent(builder *bd);

static cs_status align(builder *bd, cs_error *err)
{
    int n = bd->a.n, m = bd->b.n;
    size_t cells = (size_t)(n + 1) * (size_t)(m + 1);
    double *S = calloc(cells, sizeof(double));
    double *score = malloc((size_t)(n > 0 ? n : 1) * (size_t)(m > 0 ? m : 1) * sizeof(double));
    if (!S || !score) {
        free(S), free(score);
        return cs_error_set(err, CS_ERR_NOMEM, "out of memory aligning %d x %d layers", n, m);
    }
#define AT(i, j) S[(size_t)(i) * (size_t)(m + 1) + (size_t)(j)]
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++)
            score[(size_t)i * (size_t)m + (size_t)j] = pair_score(bd, i, j);
    for (int i = 1; i <= n; i++)
        for (int j = 1; j <= m; j++) {
            double best = AT(i - 1, j) > AT(i, j - 1) ? AT(i - 1, j) : AT(i, j - 1);
            double s = score[(size_t)(i - 1) * (size_t)m + (size_t)(j - 1)];
            if (s > 0 && AT(i - 1, j - 1) + s > best)
                best = AT(i - 1, j - 1) + s;
            AT(i, j) = best;
        }
    for (int i = n, j = m; i > 0 && j > 0;) {
        double s = score[(size_t)(i - 1) * (size_t)m + (size_t)(j - 1)];
        if (s > 0 && AT(i, j) == AT(i - 1, j - 1) + s) {
            cs_match_pair *p = new_pair(bd);
            pair_add(&p->a, &p->n_a, bd->a.seq[i - 1]);
            pair_add(&p->b, &p->n_b, bd->b.seq[j - 1]);
            p->confidence = s;
            cs_match_score(&bd->a.f[i - 1], &bd->b.f[j - 1], p->evidence, sizeof p->evidence);
            bd->a.pair_of[i - 1] = bd->b.pair_of[j - 1] = bd->m->n_pairs - 1;
            i--, j--;
        } else if (AT(i, j) == AT(i - 1, j)) {
            i--;
        } else {
            j--;
        }
    }
#undef AT
    free(S);
    free(score);
    return CS_OK;
}

/* ---- leftovers: fused activations, folded batch norms, separate bias adds ---- */

/* Layers a converter fuses into (or splits out of) the preceding layer: a BatchNorm folded into a conv,
 * a fused activation, a bias add or scale kept as its own node. */
static bool attachable(const side *s, int pos)
{
    cs_layer_kind k = s->f[pos].kind;
    const cs_layer *l = &s->g->layers[s->seq[pos]];
    return k == CS_KIND_BN || k == CS_KIND_ACT || k == CS_KIND_SOFTMAX || ((k == CS_KIND_ADD || k == CS_KIND_MUL) && l->n_weights > 0);
}

/* The layer that produces the first computed (non-constant) input of `layer`'s first node, or -1. */
static int input_layer(const cs_graph *g, int layer)
{
    const cs_layer *l = &g->layers[layer];
    if (l->n_nodes == 0)
        return -1;
    const cs_node *node = &g->nodes[l->nodes[0]];
    for (int i = 0; i < node->n_inputs; i++) {
        int v = node->inputs[i];
        if (v < 0 || g->values[v].data || g->values[v].producer < 0)
            continue;
        return g->nodes[g->values[v].producer].layer;
    }
    return -1;
}

/* Whether the other side of host already does what layer `pos` of side s does: an activation the
 * other side fused into a layer (Keras activation=), or a BatchNorm the other side folded away. */
static bool other_side_absorbed(const builder *bd, const side *s, int pos, const cs_match_pair *host, bool is_a)
{
    const cs_graph *og = is_a ? bd->b.g : bd->a.g;
    const int *ol = is_a ? host->b : host->a;
    int on = is_a ? host->n_b : host->n_a;
    cs_layer_kind k = s->f[pos].kind;
    for (int i = 0; i < on; i++) {
        cs_layer_kind ok = cs_layer_kind_of(og, ol[i]);
        if (k == CS_KIND_BN && ok == CS_KIND_BN)
            return false; /* the other side has its own BatchNorm */
        if ((k == CS_KIND_ACT || k == CS_KIND_SOFTMAX) && ok != CS_KIND_ACT && ok != CS_KIND_SOFTMAX) {
            const char *fused = cs_layer_act_name(og, ol[i]);
            if (fused[0] && strcmp(fused, s->f[pos].act) == 0)
                return true;
        }
    }
    return k == CS_KIND_BN || k == CS_KIND_ADD || k == CS_KIND_MUL;
}

/* Attaches an unmatched BN / activation / bias layer to the pair that feeds it (by data flow, so
 * branches such as a ResNet's downsample path attach to the right conv). */
static void attach_leftovers(builder *bd, side *s, bool is_a)
{
    for (int pos = 0; pos < s->n; pos++) {
        if (s->pair_of[pos] >= 0 || !attachable(s, pos))
            continue;
        int feeder = position_of(s, input_layer(s->g, s->seq[pos]));
        if (feeder < 0 || s->pair_of[feeder] < 0)
            continue;
        int prev = s->pair_of[feeder];
        cs_match_pair *host = &bd->m->pairs[prev];
        int last = is_a ? host->a[host->n_a - 1] : host->b[host->n_b - 1];
        cs_layer_kind hk = s->f[feeder].kind;
        bool host_main = hk == CS_KIND_CONV || hk == CS_KIND_DENSE || hk == CS_KIND_DECONV || hk == CS_KIND_BN ||
                         hk == CS_KIND_ADD || hk == CS_KIND_MUL || hk == CS_KIND_ACT;
        if (last != s->seq[feeder] || !host_main || !other_side_absorbed(bd, s, pos, host, is_a))
            continue;
        if (is_a)
            pair_add(&host->a, &host->n_a, s->seq[pos]);
        else
            pair_add(&host->b, &host->n_b, s->seq[pos]);
        s->pair_of[pos] = prev;
        size_t len = strlen(host->evidence);
        snprintf(host->evidence + len, sizeof host->evidence - len, ", %s '%s' fused", is_a ? "A" : "B",
                 s->g->layers[s->seq[pos]].name);
    }
}

/* ---- decomposed layers: one A module exported as several B nodes under its name scope ---- */

/* Pairs each unmatched A layer with every unmatched B layer in its name scope (a LayerNorm or GELU
 * that an older opset spells as ReduceMean/Sub/Pow/... or Div/Erf/Add/Mul), in B's execution order. */
static void attach_scopes(builder *bd)
{
    for (int i = 0; i < bd->a.n; i++) {
        if (bd->a.pair_of[i] >= 0 || bd->a.f[i].kind == CS_KIND_CONTAINER)
            continue;
        const char *a_name = bd->a.g->layers[bd->a.seq[i]].name;
        cs_match_pair *p = NULL;
        for (int j = 0; j < bd->b.n; j++) {
            if (bd->b.pair_of[j] >= 0 || !in_scope_of(bd->b.g->layers[bd->b.seq[j]].name, a_name))
                continue;
            if (!p) {
                p = new_pair(bd);
                pair_add(&p->a, &p->n_a, bd->a.seq[i]);
                bd->a.pair_of[i] = bd->m->n_pairs - 1;
                p->confidence = 0.6;
                snprintf(p->evidence, sizeof p->evidence, "A's %s spelled as several B nodes in its name scope",
                         cs_layer_kind_name(bd->a.f[i].kind));
            }
            pair_add(&p->b, &p->n_b, bd->b.seq[j]);
            bd->b.pair_of[j] = bd->m->n_pairs - 1;
        }
    }
}

/* Inserts layer into a pair's list for side s, keeping the list in s's execution order (a group's output is
 * its last layer's). */
static void pair_insert_ordered(const side *s, int **items, int *n, int layer)
{
    pair_add(items, n, layer);
    int pos = position_of(s, layer), k = *n - 1;
    while (k > 0 && position_of(s, (*items)[k - 1]) > pos) {
        (*items)[k] = (*items)[k - 1];
        k--;
    }
    (*items)[k] = layer;
}

static void join_pair(builder *bd, side *s, bool is_a, int pos, int pair)
{
    cs_match_pair *p = &bd->m->pairs[pair];
    if (is_a)
        pair_insert_ordered(s, &p->a, &p->n_a, s->seq[pos]);
    else
        pair_insert_ordered(s, &p->b, &p->n_b, s->seq[pos]);
    s->pair_of[pos] = pair;
}

/* Recurrent layers and the LSTM cells the other side wrote out as plain ops (rnn_weights.h, cs_rnn_links): each
 * pair is made first, the cell's layers as one group, so the alignment neither splits the cell nor pairs its
 * MatMuls with other layers (a dense layer after it). */
static void anchor_recurrent(builder *bd)
{
    cs_rnn_link *links = malloc(8 * sizeof *links);
    int n = links ? cs_rnn_links(bd->a.g, bd->b.g, links, 8) : 0;
    for (int k = 0; k < n; k++) {
        const cs_rnn_link *l = &links[k];
        side *cs = l->cell_in_a ? &bd->a : &bd->b, *ls = l->cell_in_a ? &bd->b : &bd->a;
        int pl = position_of(ls, l->layer), free_cells = 0;
        for (int c = 0; c < l->n_cell_layers; c++) {
            int pc = position_of(cs, l->cell_layers[c]);
            free_cells += pc >= 0 && cs->pair_of[pc] < 0;
        }
        if (pl < 0 || ls->pair_of[pl] >= 0 || free_cells == 0)
            continue;
        int idx = bd->m->n_pairs;
        cs_match_pair *p = new_pair(bd);
        p->confidence = 0.9;
        snprintf(p->evidence, sizeof p->evidence, "recurrent layer and an LSTM cell written out as MatMul/Add/"
                 "Split/Sigmoid/Tanh/Mul ops, by the order of the recurrent layers");
        if (l->cell_in_a)
            pair_add(&p->b, &p->n_b, l->layer);
        else
            pair_add(&p->a, &p->n_a, l->layer);
        ls->pair_of[pl] = idx;
        for (int c = 0; c < l->n_cell_layers; c++) {
            int pc = position_of(cs, l->cell_layers[c]);
            if (pc >= 0 && cs->pair_of[pc] < 0)
                join_pair(bd, cs, l->cell_in_a, pc, idx);
        }
    }
    free(links);
}

/* A precision change a converter inserted (Cast to float16 and back): never part of the module it follows. */
static bool is_cast(const cs_graph *g, int layer)
{
    const cs_layer *l = &g->layers[layer];
    for (int k = 0; k < l->n_nodes; k++)
        if (strcmp(g->nodes[l->nodes[k]].op, "Cast") != 0)
            return false;
    return l->n_nodes > 0;
}

/* The rest of a module the exporter spelled as several nodes: an unmatched B layer in the name scope of an A
 * layer that already pairs with part of it (HardSwish as HardSigmoid+Mul, SiLU as Sigmoid+Mul) joins that pair. */
static void extend_scopes(builder *bd)
{
    for (int j = 0; j < bd->b.n; j++) {
        int owner = bd->b.owner[j];
        if (bd->b.pair_of[j] < 0 && owner >= 0 && bd->a.pair_of[owner] >= 0 && !is_cast(bd->b.g, bd->b.seq[j]) &&
            !bd->m->pairs[bd->a.pair_of[owner]].from_map)
            join_pair(bd, &bd->b, false, j, bd->a.pair_of[owner]);
    }
}

/* The single pair that consumes every output of the layer at `pos` (-1 when none, several, or an unmatched
 * consumer). Shape arithmetic or an identity read by several matched pairs goes to the first of them. */
static int consuming_pair(const side *s, int pos)
{
    const cs_graph *g = s->g;
    int layer = s->seq[pos], pair = -1, first_pos = -1;
    /* shape arithmetic and identities (a Dropout) change no values: several readers may share them */
    bool shapes = shape_layer(g, &g->layers[layer]) || s->f[pos].kind == CS_KIND_IDENTITY;
    for (int n = 0; n < g->n_nodes; n++) {
        if (g->nodes[n].layer == layer)
            continue;
        for (int q = 0; q < g->nodes[n].n_inputs; q++) {
            int v = g->nodes[n].inputs[q];
            int prod = v >= 0 && !g->values[v].data ? g->values[v].producer : -1;
            if (prod < 0 || g->nodes[prod].layer != layer)
                continue;
            int cp = position_of(s, g->nodes[n].layer), cpair = cp >= 0 ? s->pair_of[cp] : -1;
            if (cpair < 0 || (pair >= 0 && cpair != pair && !shapes))
                return -1;
            if (first_pos < 0 || cp < first_pos)
                pair = cpair, first_pos = cp;
        }
    }
    return pair;
}

/* Whether some node of l reads a computed value (not only stored constants: a Transpose of a weight is not
 * plumbing of the data path). */
static bool reads_computed(const cs_graph *g, const cs_layer *l)
{
    for (int k = 0; k < l->n_nodes; k++) {
        const cs_node *node = &g->nodes[l->nodes[k]];
        for (int q = 0; q < node->n_inputs; q++)
            if (node->inputs[q] >= 0 && !g->values[node->inputs[q]].data)
                return true;
    }
    return false;
}

/* Whether l stores float weights (not just a Pad's pads or a Slice's axes). */
static bool has_float_weights(const cs_layer *l)
{
    for (int w = 0; w < l->n_weights; w++)
        if (l->weights[w].tensor && cs_dtype_is_float(l->weights[w].tensor->dtype) &&
            cs_tensor_numel(l->weights[w].tensor) > 1)
            return true;
    return false;
}

/* Plumbing folds into the layer it feeds: an unmatched layer (a Pad before a pool, a flatten or shuffle
 * chain, shape arithmetic, a chunk) whose every output is read by one matched pair joins that pair, on
 * either side, until nothing changes. */
static void fold_into_consumers(builder *bd, side *s, bool is_a)
{
    for (bool changed = true; changed;) {
        changed = false;
        for (int pos = s->n - 1; pos >= 0; pos--) {
            const cs_layer *l = &s->g->layers[s->seq[pos]];
            if (s->pair_of[pos] >= 0 || l->n_nodes == 0 || has_float_weights(l) || !reads_computed(s->g, l))
                continue;
            int pair = consuming_pair(s, pos);
            if (pair >= 0 && !bd->m->pairs[pair].from_map) {
                join_pair(bd, s, is_a, pos, pair);
                changed = true;
            }
        }
    }
}

/* ---- decomposed layers without names: matched by where they sit in the data flow ---- */

/* Whether some computed input of B layer `layer` is `value` or is produced by a layer marked in `in_region`. */
static bool reads_region(const side *b, int layer, int value, const bool *in_region)
{
    const cs_layer *l = &b->g->layers[layer];
    for (int k = 0; k < l->n_nodes; k++) {
        const cs_node *node = &b->g->nodes[l->nodes[k]];
        for (int q = 0; q < node->n_inputs; q++) {
            int v = node->inputs[q];
            if (v < 0 || b->g->values[v].data)
                continue;
            int prod = b->g->values[v].producer, pl = prod >= 0 ? b->g->nodes[prod].layer : -1;
            if (v == value || (pl >= 0 && in_region[pl]))
                return true;
        }
    }
    return false;
}

/* A's chain of unmatched layers that starts at position i and goes on while exactly one unmatched layer
 * reads the previous one (a LayerNorm then a GELU). Returns its length; positions go to chain[]. */
static int a_chain(const builder *bd, int i, int *chain, int cap)
{
    int n = 0, cur = i;
    while (cur >= 0 && n < cap) {
        chain[n++] = cur;
        int next = -1, count = 0;
        for (int k = cur + 1; k < bd->a.n; k++)
            if (bd->a.pair_of[k] < 0 && input_layer(bd->a.g, bd->a.seq[k]) == bd->a.seq[cur]) {
                next = k;
                count++;
            }
        cur = count == 1 && !cs_kind_is_minor(bd->a.f[next].kind) ? next : -1;
    }
    return n;
}

/* The unmatched B layers fed, directly or through each other, by pair `host`'s B output. */
static int b_region(builder *bd, const cs_match_pair *host, int *region, bool *in_region)
{
    int from = cs_layer_group_output(bd->b.g, host->b, host->n_b), start = position_of(&bd->b, host->b[host->n_b - 1]);
    int n = 0;
    for (int j = start + 1; from >= 0 && start >= 0 && j < bd->b.n; j++)
        if (bd->b.pair_of[j] < 0 && reads_region(&bd->b, bd->b.seq[j], from, in_region)) {
            in_region[bd->b.seq[j]] = true;
            region[n++] = j;
        }
    return n;
}

/* An unmatched chain of A layers right after a matched pair takes the unmatched B nodes that the pair's
 * B output feeds: a LayerNorm exported as ReduceMean/Sub/Pow/... with every name stripped. */
static void attach_regions(builder *bd)
{
    int *chain = malloc(((size_t)bd->a.n + 1) * sizeof(int)), *region = malloc(((size_t)bd->b.n + 1) * sizeof(int));
    bool *in_region = calloc((size_t)bd->b.g->n_layers + 1, sizeof(bool));
    for (int i = 0; chain && region && in_region && i < bd->a.n; i++) {
        if (bd->a.pair_of[i] >= 0 || cs_kind_is_minor(bd->a.f[i].kind))
            continue;
        int feeder = position_of(&bd->a, input_layer(bd->a.g, bd->a.seq[i]));
        if (feeder < 0 || bd->a.pair_of[feeder] < 0)
            continue;
        memset(in_region, 0, (size_t)bd->b.g->n_layers * sizeof(bool));
        int nb = b_region(bd, &bd->m->pairs[bd->a.pair_of[feeder]], region, in_region);
        if (nb == 0)
            continue;
        int na = a_chain(bd, i, chain, bd->a.n);
        cs_match_pair *p = new_pair(bd);
        int idx = bd->m->n_pairs - 1;
        p->confidence = 0.3;
        snprintf(p->evidence, sizeof p->evidence, "data flow: the B nodes between the neighbouring matched layers");
        for (int k = 0; k < na; k++) {
            pair_add(&p->a, &p->n_a, bd->a.seq[chain[k]]);
            bd->a.pair_of[chain[k]] = idx;
        }
        for (int k = 0; k < nb; k++) {
            pair_add(&p->b, &p->n_b, bd->b.seq[region[k]]);
            bd->b.pair_of[region[k]] = idx;
        }
    }
    free(chain), free(region), free(in_region);
}

/* ---- assembly ---- */

static cs_status build_side(side *s, const cs_graph *g, cs_error *err)
{
    s->g = g;
    s->n = cs_match_layer_sequence(g, &s->seq, err);
    if (s->n < 0)
        return err->status;
    s->f = calloc((size_t)s->n + 1, sizeof(layer_features));
    s->pair_of = malloc(((size_t)s->n + 1) * sizeof(int));
    s->owner = malloc(((size_t)s->n + 1) * sizeof(int));
    if (!s->f || !s->pair_of || !s->owner)
        return cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", g->path);
    s->shape_only = calloc((size_t)s->n + 1, sizeof(bool));
    if (!s->shape_only)
        return cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", g->path);
    for (int i = 0; i < s->n; i++) {
        cs_features_build(g, s->seq[i], &s->f[i]);
        s->pair_of[i] = s->owner[i] = -1;
        s->shape_only[i] = !g->weights_only && shape_layer(g, &g->layers[s->seq[i]]);
    }
    return CS_OK;
}

static void free_side(side *s)
{
    for (int i = 0; s->f && i < s->n; i++)
        cs_features_free(&s->f[i]);
    free(s->f);
    free(s->seq);
    free(s->pair_of);
    free(s->owner);
    free(s->shape_only);
}

/* Pairs sorted by the execution position of their first A layer. */
static void order_pairs(builder *bd)
{
    cs_matching *m = bd->m;
    for (int i = 1; i < m->n_pairs; i++) {
        cs_match_pair p = m->pairs[i];
        int key = position_of(&bd->a, p.a[0]), j = i - 1;
        while (j >= 0 && position_of(&bd->a, m->pairs[j].a[0]) > key) {
            m->pairs[j + 1] = m->pairs[j];
            j--;
        }
        m->pairs[j + 1] = p;
    }
}

/* A layer with nodes that reads no computed value (an Identity or Transpose of a stored tensor, a constant
 * subgraph the exporter left): it computes nothing from the input, so it is nobody's missing counterpart. */
static bool constant_only(const side *s, int pos)
{
    const cs_layer *l = &s->g->layers[s->seq[pos]];
    return l->n_nodes > 0 && !reads_computed(s->g, l);
}

static void collect_unmatched(builder *bd)
{
    cs_matching *m = bd->m;
    m->unmatched_a = malloc(((size_t)bd->a.n + 1) * sizeof(int));
    m->unmatched_b = malloc(((size_t)bd->b.n + 1) * sizeof(int));
    for (int i = 0; i < bd->a.n; i++)
        if (bd->a.pair_of[i] < 0 && !constant_only(&bd->a, i))
            m->unmatched_a[m->n_unmatched_a++] = bd->a.seq[i];
    for (int j = 0; j < bd->b.n; j++)
        if (bd->b.pair_of[j] < 0 && !constant_only(&bd->b, j))
            m->unmatched_b[m->n_unmatched_b++] = bd->b.seq[j];
}

cs_status cs_match_layers(const cs_graph *a, const cs_graph *b, const char *map_path, cs_matching **out,
                          cs_error *err)
{
    *out = NULL;
    builder bd = {0};
    bd.m = calloc(1, sizeof(cs_matching));
    cs_status st = bd.m ? CS_OK : cs_error_set(err, CS_ERR_NOMEM, "out of memory");
    if (st == CS_OK)
        st = build_side(&bd.a, a, err);
    if (st == CS_OK)
        st = build_side(&bd.b, b, err);
    if (st == CS_OK && map_path)
        st = load_map(&bd, map_path, err);
    if (st == CS_OK) {
        find_owners(&bd);
        anchor_recurrent(&bd);
        anchor_exact(&bd);
        anchor_bounds(&bd);
        st = align(&bd, err);
        free(bd.a.lo), free(bd.a.hi);
        bd.a.lo = bd.a.hi = NULL;
    }
    if (st == CS_OK) {
        attach_scopes(&bd);
        attach_leftovers(&bd, &bd.a, true);
        attach_leftovers(&bd, &bd.b, false);
        attach_regions(&bd);
        extend_scopes(&bd);
        fold_into_consumers(&bd, &bd.a, true);
        fold_into_consumers(&bd, &bd.b, false);
        collect_unmatched(&bd);
        order_pairs(&bd);
    }
    free_side(&bd.a);
    free_side(&bd.b);
    if (st != CS_OK) {
        cs_matching_free(bd.m);
        return st;
    }
    *out = bd.m;
    return CS_OK;
}

void cs_matching_free(cs_matching *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_pairs; i++) {
        free(m->pairs[i].a);
        free(m->pairs[i].b);
    }
    free(m->pairs);
    free(m->unmatched_a);
    free(m->unmatched_b);
    free(m);
}

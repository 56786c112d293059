/* torchscript_internal.h — state shared by the TorchScript interpreter (torchscript.c) and its aten
 * lowering (torchscript_aten.c): load-time values, the graph being built and the current layer.
 *
 * Layer rule (what the UI shows): every nn.Module called through .forward is a layer named by its attribute
 * path from the root ("conv1", "layer1.0.bn1"; Sequential children by index), typed by its class name; a module
 * holding submodules is a container and its children point at it as parent. A free functional call made
 * directly in a container's forward (torch.relu, F.max_pool2d, torch.flatten, x.view) is its own layer named
 * "<container path>.<op>" ("relu", "layer1.0.relu", "flatten"), with "_1", "_2"... added when repeated. */
#ifndef CS_TORCHSCRIPT_INTERNAL_H
#define CS_TORCHSCRIPT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "../graph.h"
#include "pickle.h"
#include "torch_archive.h"
#include "torchscript_parse.h"

typedef enum {
    TV_NONE, TV_BOOL, TV_INT, TV_FLOAT, TV_STR, TV_LIST, TV_TUPLE,
    TV_TENSOR,  /* value = IR value index, rank (-1 unknown) */
    TV_MODULE,  /* obj = pickled module object, s = attribute path */
    TV_DICT,    /* items alternate key (STR or INT), value; n counts both */
    TV_NS,      /* a dotted global name ("torch.relu", "__torch__.torch.nn.functional.relu") or a type */
    TV_UNKNOWN  /* only known when the model runs (rank of an input...) */
} tv_kind;

typedef struct tv {
    tv_kind kind;
    int64_t i;          /* BOOL, INT */
    double f;           /* FLOAT */
    const char *s;      /* STR, NS, MODULE path (arena strings) */
    int value;          /* TENSOR; INT with dyn: the i64 scalar holding it */
    bool dyn;           /* INT known only at run time */
    int rank;           /* TENSOR */
    struct tv **items;  /* LIST, TUPLE */
    int n;
    const cs_pv *obj;   /* MODULE */
    int qdt;            /* TENSOR: quantized (u8/i8 values, the CS_DT_ of quint8/qint8), else 0 */
    double qscale;      /* TENSOR with qdt: per-tensor scale and zero point */
    int64_t qzp;
    const cs_pv *qpv;   /* TENSOR: the pickled quantized tensor it came from (per-channel parameters), or NULL */
    struct tv *view_of; /* TENSOR cut by slice/select from view_of: in-place writes go back there */
    int64_t vdim;       /* the cut: view_of[lo:hi] along vdim (1-D i64 values vlo, vhi; vhi -1: to the end), */
    int vlo, vhi;       /* or view_of[lo] when vselect (vlo a 1-D i64 value, vhi that index + 1, -1 when last) */
    bool vselect;
    cs_dtype dt;        /* TENSOR: its dtype when known at load (comparisons: bool, arange: i64), else UNDEFINED */
    const int64_t *sdims; /* TENSOR of known rank: sizes known at load (-1: only at run time), or NULL */
} tv;

typedef struct ts_ctx {
    cs_graph *g;
    const char *path;
    cs_error *err;
    cs_torch_archive ar;
    cs_pv *root, *constants;
    char **fnames;
    ts_file **files;
    int n_files;
    void **arena;       /* tv and strings, freed at the end */
    int n_arena, cap_arena;
    const cs_pv **tpv;  /* tensor pv -> graph constant */
    int *tval;
    int n_t;
    const cs_pv **mobj; /* module object -> layer */
    int *mlayer;
    int n_m;
    int cur_layer;      /* layer receiving emitted nodes, -1 none */
    int container;      /* enclosing container layer, -1 at the root */
    const char *cpath;  /* path of the module whose forward runs ("" at root) */
    bool in_layer;      /* inside a leaf or functional layer: no new functional layers */
    const char *file;   /* position for messages */
    int line;
    int depth;
    int64_t steps;      /* statements executed so far, against TS_MAX_STEPS */
    size_t arena_bytes; /* bytes handed out by cs_ts_alloc, against TS_MAX_ARENA_BYTES */
    bool raised;
    const cs_pv **sobj; /* attributes set by __setstate__ (module object, name, value); name NULL: ran */
    const char **sname;
    struct tv **sval;
    int n_s;
    int want_n;         /* targets of the tuple assignment being evaluated (x, y = torch.split(...)), else 0 */
    int64_t writes;     /* in-place tensor writes and list mutations so far (a run-time 'if' allows none) */
    int q_per_tensor, q_per_channel; /* quantized conv/linear weights seen of each scheme (QNNPACK's are per tensor) */
    struct cs_shape *shp; /* shadow shape of each IR value known at load (torchscript_shape.c) */
    int n_shp, shp_nodes; /* values covered, nodes inferred so far */
} ts_ctx;

/* Load-time limits: call depth, unrolled loop length, statements executed and bytes of values (whole script). */
#define TS_MAX_CALL_DEPTH 64
#define TS_MAX_LOOP 100000
#define TS_MAX_STEPS_DEFAULT 500000
extern int64_t cs_ts_max_steps; /* the statement budget: TS_MAX_STEPS_DEFAULT unless cs_torchscript_set_step_budget */
#define TS_MAX_STEPS cs_ts_max_steps
#define TS_MAX_ARENA_BYTES ((size_t)256 << 20)

/* ---- values (torchscript.c) ---- */
tv *cs_ts_new(ts_ctx *c, tv_kind kind);
/* Appends item to a LIST/TUPLE value (arena-backed); false when item is NULL or out of memory. */
bool cs_ts_push_item(ts_ctx *c, tv *list, tv *item);
/* Hands malloc'd p to the arena (freed at the end); NULL (p freed) when out of memory. */
void *cs_ts_keep(ts_ctx *c, void *p);
char *cs_ts_strdup(ts_ctx *c, const char *s);
/* malloc'd and arena-kept bytes counted against the load-time value budget; NULL with err set when over it. */
void *cs_ts_alloc(ts_ctx *c, size_t bytes);
tv *cs_ts_int(ts_ctx *c, int64_t i);
tv *cs_ts_tensor(ts_ctx *c, int value, int rank);
/* Fails with "<what> at FILE:LINE" appended. Returns NULL for use in returns. */
tv *cs_ts_fail(ts_ctx *c, cs_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- the module tree (torchscript_module.c) ---- */
/* The parsed code file of a module path ("__torch__.a.b"), parsed once; NULL with err set. */
ts_file *cs_ts_load_file(ts_ctx *c, const char *module);
const ts_node *cs_ts_find_def(const ts_file *f, ts_kind kind, const char *name);
const ts_node *cs_ts_class_of(ts_ctx *c, const cs_pv *obj, const ts_file **file);
const ts_node *cs_ts_method_of(const ts_node *cls, const char *name);
/* Attribute `name` of module value m (pickled state, __setstate__ results, class constants). */
tv *cs_ts_module_attr(ts_ctx *c, const tv *m, const char *name);
bool cs_ts_state_set(ts_ctx *c, const cs_pv *obj, const char *name, tv *v);
bool cs_ts_is_container(const cs_pv *obj);
/* The layer of module m (made on first call, with its weights); -1 with err set. */
int cs_ts_module_layer(ts_ctx *c, const tv *m, const ts_node *cls);
void cs_ts_record_outputs(ts_ctx *c, int layer, const tv *r);

/* ---- the interpreter (torchscript_eval.c, torchscript_builtin.c) ---- */
/* Runs def d of `file` with self (or NULL) and the arguments; its return value, NULL with err set. */
tv *cs_ts_call_def(ts_ctx *c, const ts_file *file, const ts_node *d, tv *self, tv **args, char **kw, int n);
/* Evaluates expression e in a fresh frame of `file` (class constants). */
tv *cs_ts_eval_in(ts_ctx *c, const ts_file *file, const ts_node *e);
/* Interpreter-level builtins by qualified name; *handled false when the name is not one. */
tv *cs_ts_builtin(ts_ctx *c, const char *name, tv **args, char **kw, int n, bool *handled);
/* Truth of a load-time value; *known false when it is only known at run time. */
bool cs_ts_truthy(const tv *v, bool *known);
tv *cs_ts_bool(ts_ctx *c, bool b);
/* The value of a static key in a TV_DICT, or NULL. */
tv *cs_ts_dict_get(const tv *d, const tv *key);
tv *cs_ts_unknown(ts_ctx *c);

/* Lowers aten op `name` ("relu", "_convolution"...) through the tables; NULL with err set when unknown. */
tv *cs_ts_aten(ts_ctx *c, const char *name, tv **args, char **kw, int n);
/* A functional layer around an op called from a container; returns the previous layer (or -2 when none made). */
int cs_ts_enter_functional(ts_ctx *c, const char *name);
void cs_ts_leave_functional(ts_ctx *c, int saved, tv *result);
/* The graph constant of a pickled tensor (one per tensor, named `name` or a unique variant); -1 with err set. */
int cs_ts_pv_tensor(ts_ctx *c, const cs_pv *pv, const char *name);
/* A pickled value as an interpreter value (tensors become graph constants); NULL with err set. */
tv *cs_ts_from_pv(ts_ctx *c, const cs_pv *pv, const char *path);
/* ops.prepacked.{conv2d,linear}_clamp_run (XNNPACK op contexts of optimize_for_mobile): float conv/linear, clamp. */
tv *cs_ts_prepacked(ts_ctx *c, const char *name, tv **args, char **kw, int n);
/* Quantized TorchScript (torchscript_quant.c): ops.quantized.* calls; and aten ops met with quantized tensors
 * (quantize_per_tensor, dequantize, and any other op run on the dequantized values then requantized). */
tv *cs_ts_quantized(ts_ctx *c, const char *name, tv **args, char **kw, int n);
/* True when aten op `name` needs the quantized path (a quantized tensor among args, or a quantize op). */
bool cs_ts_quant_wants(const char *name, tv **args, int n);
tv *cs_ts_quant_aten(ts_ctx *c, const char *name, tv **args, char **kw, int n);
/* Shape helpers usable from the interpreter (torchscript_lower.c). */
tv *cs_ts_size(ts_ctx *c, tv *t, tv *dim);
/* Records on tensor t (rank > 0) the sizes of `shape` (a list of ints) that are known at load; t itself. */
tv *cs_ts_note_sizes(ts_ctx *c, tv *t, const tv *shape);
int cs_ts_const_ints(ts_ctx *c, const int64_t *v, int n, bool scalar);

/* ---- the lowering kit (torchscript_lower.c) ---- */
/* A node `op` in the current layer with one new output value (returned; -1 with err set); *node receives it. */
int cs_ts_emit(ts_ctx *c, const char *op, const int *in, int n_in, int *node);
/* The same with n_out outputs (filled in outs); returns the node or -1. */
int cs_ts_emit_multi(ts_ctx *c, const char *op, const int *in, int n_in, int *outs, int n_out);
cs_attrs *cs_ts_attrs(ts_ctx *c, int node);
/* Puts a node in the convscope domain (semantics with no ONNX op); -1 when out of memory. */
int cs_ts_ours(ts_ctx *c, int node);
/* A tensor value of known rank (rank 4: NCHW layout); NULL when value < 0. */
tv *cs_ts_result(ts_ctx *c, int value, int rank);
tv *cs_ts_tuple_of(ts_ctx *c, const int *outs, int n_out, int rank);
tv *cs_ts_oom(ts_ctx *c);
/* A new constant of n elements of v (a 0-d tensor when scalar). */
int cs_ts_const(ts_ctx *c, cs_dtype dtype, const void *v, int n, bool scalar);
int cs_ts_const_f32(ts_ctx *c, const float *v, int n, bool scalar);
/* Argument `pos` (counting positional ones) or keyword `name`; NULL when absent. */
tv *cs_ts_arg(tv **args, char **kw, int n, int pos, const char *name);
bool cs_ts_present(const tv *v);
bool cs_ts_get_num(const tv *v, double *d);
int64_t cs_ts_get_int(const tv *v, int64_t dflt);
double cs_ts_get_f(const tv *v, double dflt);
/* A static int list (or one int repeated `expand` times) into out; its length or -1. */
int cs_ts_ints_of(const tv *v, int64_t *out, int max, int expand);
/* Tensors as they are, static numbers as f32 scalars, run-time ints as their i64 scalar; -1 with err set. */
int cs_ts_operand(ts_ctx *c, const tv *v);
tv *cs_ts_need_tensor(ts_ctx *c, const char *op, const tv *v);
/* A shape list (static and run-time ints) as an i64 1-D value; -1 with err set. */
int cs_ts_shape_value(ts_ctx *c, const tv *list);

/* ---- sizes known at load (torchscript_shape.c) ---- */
/* Dimension d (negative: from the end) of tensor t when known at load: its size in *out, true. */
bool cs_ts_known_dim(ts_ctx *c, const tv *t, int64_t d, int64_t *out);
/* The rank of t when known at load (its own, or inferred from the IR so far), else -1. */
int cs_ts_known_rank(ts_ctx *c, const tv *t);
/* Tells the shadow that IR value `value` has this rank and these dims (-1 unknown; dims NULL: all unknown). */
void cs_ts_seed_shape(ts_ctx *c, int value, int rank, const int64_t *dims);
/* Value `to` has value `from`'s shape (an in-place write's result). */
void cs_ts_same_shape(ts_ctx *c, int from, int to);

/* ---- 'for' over a run-time count (torchscript_loop.c) ---- */
/* range(lo, hi) with hi (or lo) only known at run time: TV_UNKNOWN with s == CS_TS_DYN_RANGE, value = the trip
 * count (an i64 scalar, never negative), items[0] = lo. */
#define CS_TS_DYN_RANGE "run-time range"
typedef struct ts_loop_mark {
    int n_nodes, n_values, n_layers; /* the graph when the body began */
} ts_loop_mark;
void cs_ts_loop_begin(ts_ctx *c, ts_loop_mark *m);
/* Forgets the nodes emitted since m (a trial run of the body); false with err set when it made layers. */
bool cs_ts_loop_rollback(ts_ctx *c, const ts_loop_mark *m);
/* A value with no producer standing for a body input (the iteration number, the condition, a carried value). */
int cs_ts_placeholder(ts_ctx *c, const char *hint, cs_dtype dt);
/* Moves the nodes emitted since m into a Loop body whose inputs are in_ph (iteration, condition, n_carried carried
 * placeholders) and outputs carried_out, and emits Loop(trip, true, init...) into outs; the node, or -1. */
int cs_ts_loop_end(ts_ctx *c, const ts_loop_mark *m, int trip, const int *in_ph, const int *init,
                   const int *carried_out, int n_carried, int *outs);

/* The tensors (and their IR values) and the lists (and their lengths) reachable from a frame before a loop body. */
typedef struct ts_loop_run {
    ts_loop_mark m;
    struct tv **t;
    int *tval, nt;
    struct tv **l;
    int *ln, nl;
} ts_loop_run;
bool cs_ts_loop_track(ts_ctx *c, ts_loop_run *r, struct tv *const *vals, int n);
/* False with err set when a tracked list changed its length (appends in the body: not a Loop state). */
bool cs_ts_loop_lists_same(ts_ctx *c, const ts_loop_run *r);
/* Puts the tracked tensors' values back (after a trial run of the body). */
void cs_ts_loop_restore(ts_loop_run *r);
void cs_ts_loop_free(ts_loop_run *r);

/* ---- in-place ops (torchscript_inplace.c) ---- */
/* Records that view was cut from base along dim: base[lo:hi] (hi -1: to the end) or base[lo] (select: hi is
 * lo + 1, -1 when lo is the last index); lo and hi are 1-D i64 values. */
void cs_ts_mark_view(tv *view, tv *base, int64_t dim, int lo, int hi, bool select);
/* x takes `value` (an in-place op's result); a view's write is spliced into its bases. x, or NULL with err set. */
tv *cs_ts_write(ts_ctx *c, tv *x, int value);

/* ---- aten lowering: a name -> function table per op family ---- */
typedef tv *(*ts_aten_fn)(ts_ctx *c, const char *name, tv **args, char **kw, int n);
typedef struct ts_aten_def {
    const char *name; /* aten op name; an in-place "op_" resolves to "op" */
    ts_aten_fn fn;
} ts_aten_def;
/* The families (NULL-terminated): elementwise and activations (torchscript_aten.c), layers (torchscript_aten_nn.c),
 * shapes (torchscript_aten_shape.c), reductions, comparisons and casts (torchscript_aten_math.c), LSTM/GRU/RNN
 * (torchscript_aten_rnn.c), fused attention (torchscript_aten_attn.c), torchvision ops (torchscript_aten_vision.c). */
extern const ts_aten_def cs_ts_aten_core[], cs_ts_aten_nn[], cs_ts_aten_shape[], cs_ts_aten_math[], cs_ts_aten_rnn[],
    cs_ts_aten_attn[], cs_ts_aten_vision[], cs_ts_aten_inplace[], cs_ts_aten_detect[];
/* x[mask] with a boolean mask over dim `dim` (1-D: Compress along it; x's full shape: over the flattened x). */
tv *cs_ts_index_mask(ts_ctx *c, tv *x, tv *mask, int dim);
/* x[i0, i1, ...] with integer index tensors on the leading dims (broadcast together): a GatherND. */
tv *cs_ts_index_multi(ts_ctx *c, tv *x, const tv *list);
/* floor division ("floordiv") or remainder ("remainder") of a and b when both hold integers (load-time or run-time
 * ints, integer tensors): Python semantics in i64 (Mod with the divisor's sign); NULL without error otherwise. */
tv *cs_ts_int_divmod(ts_ctx *c, const char *op, tv *a, tv *b);

/* x.split(int) whose part count is only known when unpacked: TV_UNKNOWN with s == CS_TS_LAZY_SPLIT, value = x,
 * i = size, f = dim; cs_ts_split_lazy makes the parts once the unpacking names how many. */
#define CS_TS_LAZY_SPLIT "lazy split"
/* s of a TV_TENSOR holding x.size() of a tensor of unknown rank (a List[int] at run time). */
#define CS_TS_SIZE_LIST "size list"
tv *cs_ts_split_lazy(ts_ctx *c, const tv *lazy, int parts);
/* s of a 0-d f32 TV_TENSOR standing for a Python float known only at run time (x.item(), float(size) * scale):
 * floor()/ceil() of it is a run-time int, arithmetic with numbers keeps it one. */
#define CS_TS_DYN_FLOAT "run-time float"
/* add/sub/mul/floordiv of ints where one is only known at run time: an i64 scalar computed in the graph. */
tv *cs_ts_dyn_int_op(ts_ctx *c, const char *name, tv *a, tv *b);
/* List and int builtins of the interpreter (append, __contains__, list(), list + list, list slices,
 * __range_length, __derive_index); *handled false when `name` is not one. */
tv *cs_ts_list_builtin(ts_ctx *c, const char *name, tv **args, int n, bool *handled);

#endif

/* pickle.h — a Python pickle reader that builds plain values and executes nothing: globals come
 * from an allowlist, REDUCE only applies callables this module interprets itself (tensor rebuilds...). */
#ifndef CS_PICKLE_H
#define CS_PICKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../status.h"
#include "../tensor.h"

typedef enum {
    CS_PV_NONE,
    CS_PV_BOOL,
    CS_PV_INT,
    CS_PV_FLOAT,
    CS_PV_STR,     /* unicode or bytes: s/len */
    CS_PV_TUPLE,
    CS_PV_LIST,    /* also sets */
    CS_PV_DICT,    /* items alternate key, value */
    CS_PV_GLOBAL,  /* an allowlisted global: module/name */
    CS_PV_OBJECT,  /* an instance of class module/name; state is the dict given to BUILD */
    CS_PV_STORAGE, /* a tensor storage: key, dtype, bytes (filled by the loader) */
    CS_PV_TENSOR   /* storage + offset + sizes + strides, materialised by cs_pickle_tensor */
} cs_pv_kind;

typedef struct cs_pv {
    cs_pv_kind kind;
    int64_t i;                /* BOOL, INT; TENSOR: storage offset (elements) */
    double f;                 /* FLOAT */
    char *s;                  /* STR; STORAGE: key */
    size_t len;
    struct cs_pv **items;     /* TUPLE, LIST, DICT (key, value, key, value...) */
    int n, cap;
    char *module, *name;      /* GLOBAL, OBJECT */
    struct cs_pv *state;      /* OBJECT: BUILD state; TENSOR: its storage */
    cs_dtype dtype;           /* STORAGE */
    unsigned char *bytes;     /* STORAGE data (owned); NULL until loaded */
    size_t nbytes;
    int rank;                 /* TENSOR */
    int64_t dims[CS_MAX_RANK];
    int64_t strides[CS_MAX_RANK];
    /* TENSOR rebuilt by _rebuild_qtensor: qscheme CS_PV_Q_* (0 = not quantized); per tensor: qscale, qzp;
     * per channel: qscales (f64) and qzps (i64) tensors along axis qaxis. */
    int qscheme;
    double qscale;
    int64_t qzp;
    struct cs_pv *qscales, *qzps;
    int qaxis;
} cs_pv;

enum { CS_PV_Q_NONE, CS_PV_Q_TENSOR, CS_PV_Q_CHANNEL };

/* Resolves a persistent id (a tuple like ('storage', FloatStorage, '0', 'cpu', 150)) to a value
 * allocated with cs_pickle_new_value; returns NULL with err set to refuse it. */
struct cs_pickle;
typedef cs_pv *(*cs_pickle_persistent_fn)(void *user, struct cs_pickle *p, cs_pv *pid, cs_error *err);

typedef struct cs_pickle_opts {
    cs_pickle_persistent_fn persistent; /* NULL: persistent ids are refused */
    void *user;
    bool allow_user_classes; /* accept inert instances of Capitalised classes (torch.save(model)) */
} cs_pickle_opts;

/* An arena owning every value of one or more loads. */
typedef struct cs_pickle {
    cs_pv **all;
    int n_all, cap_all;
    size_t budget;            /* bytes of values still allowed */
} cs_pickle;

cs_pickle *cs_pickle_new(void);
void cs_pickle_free(cs_pickle *p);
cs_pv *cs_pickle_new_value(cs_pickle *p, cs_pv_kind kind);

/* Runs the pickle in buf[0..len) and returns its result; *used receives the bytes consumed
 * (pickles may be concatenated). NULL with err naming `what` and the offset on failure. */
cs_pv *cs_pickle_load(cs_pickle *p, const unsigned char *buf, size_t len, size_t *used,
                      const cs_pickle_opts *opts, const char *what, cs_error *err);

/* Torch storage type name ("FloatStorage") to dtype; CS_DT_UNDEFINED when unknown. */
cs_dtype cs_pickle_storage_dtype(const char *name);

/* Dict lookup by string key; NULL when absent or not a dict. */
cs_pv *cs_pv_dict_get(const cs_pv *dict, const char *key);
bool cs_pv_is_str(const cs_pv *v, const char *s);

/* A view (stride 0 or overlapping strides) may materialise more bytes than its storage holds only up to this. */
#define CS_PICKLE_MAX_VIEW_EXPANSION ((size_t)64 << 20)

/* Copies a TENSOR value into a new contiguous tensor, checking that its storage is loaded and
 * long enough for offset + the extent of sizes x strides, and that repeating strides stay under
 * CS_PICKLE_MAX_VIEW_EXPANSION bytes beyond the storage's own size. */
cs_tensor *cs_pickle_tensor(const cs_pv *v, const char *what, cs_error *err);

#endif

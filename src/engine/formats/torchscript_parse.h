/* torchscript_parse.h — the syntax tree of TorchScript's serialized Python subset (code/__torch__/<module>.py):
 * classes with annotated attributes and methods, free functions, assignments, if/for, calls, literals. */
#ifndef CS_TORCHSCRIPT_PARSE_H
#define CS_TORCHSCRIPT_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "../status.h"

typedef enum {
    TS_NAME, TS_INT, TS_FLOAT, TS_STR, TS_NONE, TS_TRUE, TS_FALSE,
    TS_ATTR,      /* a.name */
    TS_CALL,      /* f(args, key=value) */
    TS_TUPLE, TS_LIST,
    TS_DICT,      /* {k: v, ...}: kids alternate key, value */
    TS_INDEX,     /* a[b] */
    TS_NEG, TS_NOT,
    TS_BINOP,     /* a OP b (rare in serialized code: +, -, *, /, //, %, ==, !=, <, >, <=, >=, and, or, is) */
    /* statements */
    TS_ASSIGN,    /* kids[0] = target (NAME, TUPLE of NAMEs, INDEX), kids[1] = value */
    TS_EXPR, TS_RETURN, TS_PASS,
    TS_IF,        /* kids[0] cond, kids[1] body (TS_BLOCK), kids[2] else (TS_BLOCK or NULL) */
    TS_FOR,       /* kids[0] target, kids[1] iterable, kids[2] body */
    TS_WITH,      /* kids[0] context manager, kids[1] body */
    TS_WHILE,     /* kids[0] condition, kids[1] body */
    TS_BLOCK,
    TS_DEF,       /* name; kids: params (TS_PARAM)..., last = body */
    TS_PARAM,     /* name; kids[0] = default or NULL; i = 1 when annotated List[Tensor] */
    TS_CLASS      /* name; kids: TS_DEF methods and TS_ASSIGN class constants (attr name in ->name) */
} ts_kind;

typedef struct ts_node {
    ts_kind kind;
    int line;
    char *name;             /* NAME, ATTR, STR (text), DEF, PARAM, CLASS, BINOP operator, CALL keyword names live in kw */
    int64_t i;
    double f;
    struct ts_node **kids;
    int n;
    char **kw;              /* CALL: keyword name per argument (NULL for positional) */
    char **params;          /* CLASS: __parameters__ names */
    int n_params;
    char **buffers;         /* CLASS: __buffers__ names */
    int n_buffers;
} ts_node;

/* A parsed file: its classes and free functions, in order. */
typedef struct ts_file {
    char *path;             /* "code/__torch__/torch/nn/modules/conv.py", for messages */
    ts_node **defs;         /* TS_CLASS and TS_DEF */
    int n_defs;
} ts_file;

/* Parses src (NUL-terminated) of file `path`; NULL with err naming path:line on a syntax error. */
ts_file *cs_ts_parse(const char *path, const char *src, cs_error *err);
void cs_ts_file_free(ts_file *f);

#endif

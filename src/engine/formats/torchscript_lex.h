/* torchscript_lex.h — the tokenizer of TorchScript's Python subset (indentation as INDENT/DEDENT tokens),
 * shared by the parser (torchscript_parse.c): the parser state, the current token and error reporting. */
#ifndef CS_TORCHSCRIPT_LEX_H
#define CS_TORCHSCRIPT_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../status.h"

#define TS_MAX_DEPTH 200
#define TS_MAX_INDENT 100

typedef enum { T_END, T_NAME, T_INT, T_FLOAT, T_STR, T_OP, T_NEWLINE, T_INDENT, T_DEDENT } tok_kind;

typedef struct {
    tok_kind kind;
    char text[256]; /* NAME, OP; STR holds its text in str */
    char *str;
    size_t slen;
    int64_t i;
    double f;
    int line;
} tok;

typedef struct {
    const char *path, *src;
    size_t pos;
    int line;
    int indents[TS_MAX_INDENT];
    int n_indents;
    int pending_dedents;
    int paren;
    bool at_line_start;
    tok t;     /* current token */
    cs_error *err;
    bool failed;
    int depth;
} parser;

/* Reports a syntax error at the current token (first one wins): "path:line: TorchScript syntax error: ...". */
void cs_ts_perr(parser *p, const char *msg, const char *what);
/* Advances p->t to the next token; sets p->failed (with the error) on bad input. */
void cs_ts_next(parser *p);
bool cs_ts_is_op(const parser *p, const char *op);
bool cs_ts_is_kw(const parser *p, const char *kw);
/* Consumes operator op or fails naming it. */
bool cs_ts_expect_op(parser *p, const char *op);

#endif

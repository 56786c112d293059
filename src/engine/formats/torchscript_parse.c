/* torchscript_parse.c — tokenizer (with Python indentation) and recursive-descent parser for the code
 * torch.jit.save writes; hand-written because no C library parses TorchScript's Python subset. */
#include "torchscript_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void perr(parser *p, const char *msg, const char *what)
{
    if (p->failed)
        return;
    p->failed = true;
    cs_error_set(p->err, CS_ERR_FORMAT, "%s:%d: TorchScript syntax error: %s%s%s%s", p->path, p->t.line, msg,
                 what ? " '" : "", what ? what : "", what ? "'" : "");
}

/* ---- tokenizer ---- */

static bool lex_string(parser *p, char q)
{
    size_t cap = 64, n = 0;
    char *s = malloc(cap);
    if (!s)
        return false;
    p->pos++;
    while (p->src[p->pos] && p->src[p->pos] != q && p->src[p->pos] != '\n') {
        char c = p->src[p->pos++];
        if (c == '\\' && p->src[p->pos]) {
            char e = p->src[p->pos++];
            c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == '0' ? '\0' : e;
        }
        if (n + 2 > cap) {
            char *b = cap > (1u << 24) ? NULL : realloc(s, cap *= 2);
            if (!b) {
                free(s);
                return false;
            }
            s = b;
        }
        s[n++] = c;
    }
    if (p->src[p->pos] != q) {
        free(s);
        perr(p, "unterminated string", NULL);
        return false;
    }
    p->pos++;
    s[n] = 0;
    p->t.kind = T_STR;
    p->t.str = s;
    p->t.slen = n;
    return true;
}

static void lex_number(parser *p)
{
    const char *s = p->src + p->pos;
    char *end;
    size_t k = strspn(s, "0123456789");
    bool is_float = s[k] == '.' || s[k] == 'e' || s[k] == 'E';
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        p->t.i = (int64_t)strtoull(s, &end, 16);
        p->t.kind = T_INT;
    } else if (is_float) {
        p->t.f = strtod(s, &end);
        p->t.kind = T_FLOAT;
    } else {
        p->t.i = (int64_t)strtoull(s, &end, 10);
        p->t.kind = T_INT;
    }
    p->pos += (size_t)(end - s) ? (size_t)(end - s) : 1;
}

/* Measures indentation at a line start; emits INDENT/DEDENT as needed. Returns true when a token was set. */
static bool lex_indent(parser *p)
{
    for (;;) {
        int col = 0;
        size_t q = p->pos;
        while (p->src[q] == ' ' || p->src[q] == '\t')
            col += p->src[q++] == '\t' ? 8 : 1;
        if (p->src[q] == '\n' || p->src[q] == '#' || p->src[q] == '\r') { /* blank or comment line */
            while (p->src[q] && p->src[q] != '\n')
                q++;
            if (!p->src[q]) {
                p->pos = q;
                break;
            }
            p->pos = q + 1;
            p->line++;
            continue;
        }
        p->pos = q;
        p->at_line_start = false;
        if (!p->src[q])
            break;
        int cur = p->indents[p->n_indents - 1];
        if (col > cur) {
            if (p->n_indents >= TS_MAX_INDENT) {
                perr(p, "indentation too deep", NULL);
                return false;
            }
            p->indents[p->n_indents++] = col;
            p->t.kind = T_INDENT;
            return true;
        }
        while (col < p->indents[p->n_indents - 1]) {
            p->n_indents--;
            p->pending_dedents++;
        }
        if (col != p->indents[p->n_indents - 1]) {
            perr(p, "inconsistent dedent", NULL);
            return false;
        }
        break;
    }
    if (p->pending_dedents) {
        p->pending_dedents--;
        p->t.kind = T_DEDENT;
        return true;
    }
    return false;
}

static void next(parser *p)
{
    free(p->t.str);
    p->t.str = NULL;
    p->t.text[0] = 0;
    p->t.line = p->line;
    if (p->failed) {
        p->t.kind = T_END;
        return;
    }
    if (p->pending_dedents) {
        p->pending_dedents--;
        p->t.kind = T_DEDENT;
        return;
    }
    if (p->at_line_start && p->paren == 0 && lex_indent(p))
        return;
    while (p->src[p->pos] == ' ' || p->src[p->pos] == '\t' || p->src[p->pos] == '\r' ||
           (p->src[p->pos] == '\\' && p->src[p->pos + 1] == '\n') || (p->paren > 0 && p->src[p->pos] == '\n')) {
        if (p->src[p->pos] == '\\')
            p->pos++;
        if (p->src[p->pos] == '\n')
            p->line++;
        p->pos++;
    }
    if (p->src[p->pos] == '#')
        while (p->src[p->pos] && p->src[p->pos] != '\n')
            p->pos++;
    p->t.line = p->line;
    char c = p->src[p->pos];
    if (!c) {
        if (p->n_indents > 1) {
            p->n_indents--;
            p->t.kind = T_DEDENT;
            return;
        }
        p->t.kind = T_END;
        return;
    }
    if (c == '\n') {
        p->pos++;
        p->line++;
        p->at_line_start = true;
        p->t.kind = T_NEWLINE;
        return;
    }
    if (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        size_t k = 0;
        while (k < sizeof p->t.text - 1) {
            char d = p->src[p->pos];
            if (!(d == '_' || (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9')))
                break;
            p->t.text[k++] = d;
            p->pos++;
        }
        p->t.text[k] = 0;
        p->t.kind = T_NAME;
        return;
    }
    if ((c >= '0' && c <= '9') || (c == '.' && p->src[p->pos + 1] >= '0' && p->src[p->pos + 1] <= '9')) {
        lex_number(p);
        return;
    }
    if (c == '"' || c == '\'') {
        if (!lex_string(p, c) && !p->failed)
            perr(p, "out of memory", NULL);
        return;
    }
    static const char *const two[] = {"==", "!=", "<=", ">=", "->", "//", "**", "+=", "-=", NULL};
    for (int k = 0; two[k]; k++)
        if (strncmp(p->src + p->pos, two[k], 2) == 0) {
            memcpy(p->t.text, two[k], 3);
            p->pos += 2;
            p->t.kind = T_OP;
            return;
        }
    if (!strchr("()[]{},:.=+-*/%<>@&|^~", c)) {
        char bad[8];
        snprintf(bad, sizeof bad, "%c", c);
        perr(p, "unexpected character", bad);
        p->t.kind = T_END;
        return;
    }
    p->t.text[0] = c;
    p->t.text[1] = 0;
    p->pos++;
    if (c == '(' || c == '[' || c == '{')
        p->paren++;
    else if ((c == ')' || c == ']' || c == '}') && p->paren > 0)
        p->paren--;
    p->t.kind = T_OP;
}

static bool is_op(const parser *p, const char *op)
{
    return p->t.kind == T_OP && strcmp(p->t.text, op) == 0;
}

static bool is_kw(const parser *p, const char *kw)
{
    return p->t.kind == T_NAME && strcmp(p->t.text, kw) == 0;
}

static bool expect_op(parser *p, const char *op)
{
    if (!is_op(p, op)) {
        perr(p, "expected", op);
        return false;
    }
    next(p);
    return true;
}

/* ---- tree ---- */

static ts_node *mk(parser *p, ts_kind kind)
{
    ts_node *n = calloc(1, sizeof *n);
    if (!n)
        perr(p, "out of memory", NULL);
    else
        n->kind = kind, n->line = p->t.line;
    return n;
}

static void node_free(ts_node *n)
{
    if (!n)
        return;
    for (int k = 0; k < n->n; k++) {
        node_free(n->kids[k]);
        if (n->kw)
            free(n->kw[k]);
    }
    for (int k = 0; k < n->n_params; k++)
        free(n->params[k]);
    for (int k = 0; k < n->n_buffers; k++)
        free(n->buffers[k]);
    free(n->params);
    free(n->buffers);
    free(n->kids);
    free(n->kw);
    free(n->name);
    free(n);
}

static bool add_kid(parser *p, ts_node *n, ts_node *kid, const char *kw)
{
    if (!n || !kid) {
        node_free(kid);
        if (!p->failed)
            perr(p, "out of memory", NULL);
        return false;
    }
    ts_node **k = realloc(n->kids, (size_t)(n->n + 1) * sizeof *k);
    char **w = realloc(n->kw, (size_t)(n->n + 1) * sizeof *w);
    if (k)
        n->kids = k;
    if (w)
        n->kw = w;
    if (!k || !w) {
        node_free(kid);
        perr(p, "out of memory", NULL);
        return false;
    }
    n->kw[n->n] = kw ? strdup(kw) : NULL;
    n->kids[n->n++] = kid;
    return true;
}

static bool set_name(parser *p, ts_node *n, const char *s)
{
    if (!n)
        return false;
    n->name = strdup(s);
    if (!n->name)
        perr(p, "out of memory", NULL);
    return n->name != NULL;
}

/* ---- expressions ---- */

static ts_node *expr(parser *p);

static ts_node *seq(parser *p, ts_kind kind, const char *close)
{
    ts_node *n = mk(p, kind);
    while (n && !p->failed && !is_op(p, close)) {
        if (!add_kid(p, n, expr(p), NULL))
            break;
        if (!is_op(p, ","))
            break;
        next(p);
    }
    if (!expect_op(p, close) || p->failed) {
        node_free(n);
        return NULL;
    }
    return n;
}

static ts_node *atom(parser *p)
{
    ts_node *n = NULL;
    if (p->t.kind == T_INT) {
        if ((n = mk(p, TS_INT)))
            n->i = p->t.i;
        next(p);
    } else if (p->t.kind == T_FLOAT) {
        if ((n = mk(p, TS_FLOAT)))
            n->f = p->t.f;
        next(p);
    } else if (p->t.kind == T_STR) {
        if ((n = mk(p, TS_STR)))
            n->name = p->t.str, n->i = (int64_t)p->t.slen, p->t.str = NULL;
        next(p);
        while (n && p->t.kind == T_STR) /* implicit concatenation */
            next(p);
    } else if (p->t.kind == T_NAME) {
        if (is_kw(p, "None") || is_kw(p, "True") || is_kw(p, "False"))
            n = mk(p, is_kw(p, "None") ? TS_NONE : is_kw(p, "True") ? TS_TRUE : TS_FALSE);
        else if ((n = mk(p, TS_NAME)) && !set_name(p, n, p->t.text))
            node_free(n), n = NULL;
        next(p);
    } else if (is_op(p, "(")) {
        next(p);
        if (is_op(p, ")")) {
            next(p);
            return mk(p, TS_TUPLE);
        }
        n = expr(p);
        if (n && is_op(p, ",")) { /* tuple */
            next(p);
            ts_node *t = seq(p, TS_TUPLE, ")");
            if (t && add_kid(p, t, n, NULL)) { /* move n to the front */
                memmove(t->kids + 1, t->kids, (size_t)(t->n - 1) * sizeof *t->kids);
                t->kids[0] = n;
                return t;
            }
            node_free(t);
            return NULL;
        }
        if (!expect_op(p, ")")) {
            node_free(n);
            return NULL;
        }
    } else if (is_op(p, "[")) {
        next(p);
        n = seq(p, TS_LIST, "]");
    } else {
        perr(p, p->t.kind == T_OP ? "unexpected" : "unexpected token", p->t.kind == T_OP ? p->t.text : NULL);
    }
    return n;
}

static ts_node *call_args(parser *p, ts_node *fn)
{
    ts_node *c = mk(p, TS_CALL);
    if (!add_kid(p, c, fn, NULL)) {
        node_free(c);
        return NULL;
    }
    while (!p->failed && !is_op(p, ")")) {
        char kw[256] = {0};
        if (p->t.kind == T_NAME) { /* keyword argument? peek for '=' not '==' */
            size_t q = p->pos;
            while (p->src[q] == ' ')
                q++;
            if (p->src[q] == '=' && p->src[q + 1] != '=') {
                snprintf(kw, sizeof kw, "%s", p->t.text);
                next(p);
                next(p);
            }
        }
        if (!add_kid(p, c, expr(p), kw[0] ? kw : NULL))
            break;
        if (!is_op(p, ","))
            break;
        next(p);
    }
    if (!expect_op(p, ")") || p->failed) {
        node_free(c);
        return NULL;
    }
    return c;
}

static ts_node *postfix(parser *p)
{
    ts_node *n = atom(p);
    while (n && !p->failed) {
        if (is_op(p, ".")) {
            next(p);
            if (p->t.kind != T_NAME) {
                perr(p, "expected a name after '.'", NULL);
                break;
            }
            ts_node *a = mk(p, TS_ATTR);
            if (!set_name(p, a, p->t.text) || !add_kid(p, a, n, NULL)) {
                node_free(a);
                return NULL;
            }
            n = a;
            next(p);
        } else if (is_op(p, "(")) {
            next(p);
            n = call_args(p, n);
        } else if (is_op(p, "[")) {
            next(p);
            ts_node *ix = mk(p, TS_INDEX);
            if (!add_kid(p, ix, n, NULL)) {
                node_free(ix);
                return NULL;
            }
            n = ix;
            ts_node *i = expr(p);
            if (i && is_op(p, ",")) { /* Tuple[int, int] */
                next(p);
                ts_node *t = seq(p, TS_TUPLE, "]");
                if (!t || !add_kid(p, t, i, NULL)) { /* add_kid frees i when it fails */
                    if (!t)
                        node_free(i);
                    node_free(t);
                    node_free(n);
                    return NULL;
                }
                if (!add_kid(p, n, t, NULL)) { /* frees t */
                    node_free(n);
                    return NULL;
                }
                continue;
            }
            if (!add_kid(p, n, i, NULL) || !expect_op(p, "]"))
                break;
        } else {
            return n;
        }
    }
    if (p->failed) {
        node_free(n);
        return NULL;
    }
    return n;
}

static ts_node *unary(parser *p)
{
    if (is_op(p, "-") || is_kw(p, "not")) {
        ts_node *n = mk(p, is_op(p, "-") ? TS_NEG : TS_NOT);
        next(p);
        if (++p->depth > TS_MAX_DEPTH) {
            perr(p, "expression nested too deeply", NULL);
            node_free(n);
            return NULL;
        }
        ts_node *k = unary(p);
        p->depth--;
        if (!add_kid(p, n, k, NULL)) {
            node_free(n);
            return NULL;
        }
        return n;
    }
    return postfix(p);
}

static int prec(const parser *p)
{
    if (p->t.kind == T_NAME)
        return is_kw(p, "or") ? 1 : is_kw(p, "and") ? 2 : is_kw(p, "is") || is_kw(p, "in") ? 3 : 0;
    if (p->t.kind != T_OP)
        return 0;
    static const struct {
        const char *op;
        int prec;
    } t[] = {{"==", 3}, {"!=", 3}, {"<", 3}, {">", 3}, {"<=", 3}, {">=", 3}, {"+", 4}, {"-", 4},
             {"*", 5},  {"/", 5},  {"//", 5}, {"%", 5}, {"**", 6}};
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++)
        if (strcmp(p->t.text, t[k].op) == 0)
            return t[k].prec;
    return 0;
}

static ts_node *binary(parser *p, int min)
{
    ts_node *l = unary(p);
    while (l && !p->failed && prec(p) >= min && prec(p) > 0) {
        int pr = prec(p);
        ts_node *b = mk(p, TS_BINOP);
        if (!set_name(p, b, p->t.text) || !add_kid(p, b, l, NULL)) {
            node_free(b);
            return NULL;
        }
        next(p);
        if (strcmp(b->name, "is") == 0 && is_kw(p, "not")) {
            free(b->name);
            b->name = strdup("is not");
            next(p);
        }
        if (++p->depth > TS_MAX_DEPTH) {
            perr(p, "expression nested too deeply", NULL);
            node_free(b);
            return NULL;
        }
        ts_node *r = binary(p, pr + 1);
        p->depth--;
        if (!add_kid(p, b, r, NULL)) {
            node_free(b);
            return NULL;
        }
        l = b;
    }
    return l;
}

static ts_node *expr(parser *p)
{
    if (++p->depth > TS_MAX_DEPTH) {
        perr(p, "expression nested too deeply", NULL);
        return NULL;
    }
    ts_node *n = binary(p, 1);
    p->depth--;
    return n;
}

/* ---- statements ---- */

static ts_node *block(parser *p);

static bool end_stmt(parser *p)
{
    if (p->t.kind == T_NEWLINE) {
        next(p);
        return true;
    }
    if (p->t.kind == T_END || p->t.kind == T_DEDENT)
        return true;
    perr(p, "expected end of line, got", p->t.kind == T_NAME || p->t.kind == T_OP ? p->t.text : NULL);
    return false;
}

/* A comma-separated list of items parsed by `item` (a tuple when there is a comma); a trailing comma
 * before '=' ends an assignment target list. */
static ts_node *comma_list(parser *p, ts_node *(*item)(parser *))
{
    ts_node *first = item(p);
    if (!first || !is_op(p, ","))
        return first;
    ts_node *t = mk(p, TS_TUPLE);
    if (!add_kid(p, t, first, NULL)) {
        node_free(t);
        return NULL;
    }
    while (is_op(p, ",") && !p->failed) {
        next(p);
        if (is_op(p, "="))
            break;
        if (!add_kid(p, t, item(p), NULL))
            break;
    }
    if (p->failed) {
        node_free(t);
        return NULL;
    }
    return t;
}

static ts_node *targets(parser *p)
{
    return comma_list(p, expr);
}

/* for-loop target: NAME or NAME, NAME (parsed below 'in' precedence) */
static ts_node *for_target(parser *p)
{
    return comma_list(p, postfix);
}

static ts_node *if_stmt(parser *p)
{
    ts_node *n = mk(p, TS_IF);
    next(p); /* 'if' or 'elif' */
    if (!add_kid(p, n, expr(p), NULL) || !expect_op(p, ":") || !add_kid(p, n, block(p), NULL)) {
        node_free(n);
        return NULL;
    }
    if (is_kw(p, "elif")) {
        ts_node *b = mk(p, TS_BLOCK);
        if (!add_kid(p, b, if_stmt(p), NULL) || !add_kid(p, n, b, NULL)) {
            node_free(n);
            return NULL;
        }
    } else if (is_kw(p, "else")) {
        next(p);
        if (!expect_op(p, ":") || !add_kid(p, n, block(p), NULL)) {
            node_free(n);
            return NULL;
        }
    }
    return n;
}

static ts_node *stmt(parser *p)
{
    ts_node *n = NULL;
    if (is_kw(p, "if"))
        return if_stmt(p);
    if (is_kw(p, "for")) {
        n = mk(p, TS_FOR);
        next(p);
        if (!add_kid(p, n, for_target(p), NULL) || !is_kw(p, "in")) {
            perr(p, "expected 'in' in for", NULL);
            node_free(n);
            return NULL;
        }
        next(p);
        if (!add_kid(p, n, expr(p), NULL) || !expect_op(p, ":") || !add_kid(p, n, block(p), NULL)) {
            node_free(n);
            return NULL;
        }
        return n;
    }
    if (is_kw(p, "pass")) {
        n = mk(p, TS_PASS);
        next(p);
    } else if (is_kw(p, "return")) {
        n = mk(p, TS_RETURN);
        next(p);
        if (p->t.kind != T_NEWLINE && p->t.kind != T_END && p->t.kind != T_DEDENT)
            if (!add_kid(p, n, targets(p), NULL)) {
                node_free(n);
                n = NULL;
            }
    } else {
        ts_node *lhs = targets(p);
        if (lhs && is_op(p, ":")) { /* annotated assignment: x : T [= v] */
            next(p);
            node_free(expr(p));
        }
        if (lhs && is_op(p, "=")) {
            next(p);
            n = mk(p, TS_ASSIGN);
            if (!add_kid(p, n, lhs, NULL) || !add_kid(p, n, targets(p), NULL)) {
                node_free(n);
                n = NULL;
            }
        } else if (lhs) {
            n = mk(p, TS_EXPR);
            if (!add_kid(p, n, lhs, NULL)) {
                node_free(n);
                n = NULL;
            }
        }
    }
    if (!n || p->failed || !end_stmt(p)) {
        node_free(n);
        return NULL;
    }
    return n;
}

static ts_node *block(parser *p)
{
    ts_node *b = mk(p, TS_BLOCK);
    if (!b)
        return NULL;
    if (p->t.kind != T_NEWLINE) { /* one-line body: "if x: pass" */
        add_kid(p, b, stmt(p), NULL);
        return p->failed ? (node_free(b), NULL) : b;
    }
    next(p);
    if (p->t.kind != T_INDENT) {
        perr(p, "expected an indented block", NULL);
        node_free(b);
        return NULL;
    }
    next(p);
    while (!p->failed && p->t.kind != T_DEDENT && p->t.kind != T_END)
        if (!add_kid(p, b, stmt(p), NULL))
            break;
    if (p->t.kind == T_DEDENT)
        next(p);
    if (p->failed) {
        node_free(b);
        return NULL;
    }
    return b;
}

static ts_node *def(parser *p)
{
    next(p); /* 'def' */
    ts_node *d = mk(p, TS_DEF);
    if (p->t.kind != T_NAME || !set_name(p, d, p->t.text)) {
        perr(p, "expected a function name", NULL);
        node_free(d);
        return NULL;
    }
    next(p);
    if (!expect_op(p, "(")) {
        node_free(d);
        return NULL;
    }
    while (!p->failed && p->t.kind == T_NAME) {
        ts_node *prm = mk(p, TS_PARAM);
        if (!set_name(p, prm, p->t.text) || !add_kid(p, d, prm, NULL))
            break;
        next(p);
        if (is_op(p, ":")) {
            next(p);
            node_free(expr(p));
        }
        if (is_op(p, "=")) {
            next(p);
            add_kid(p, prm, expr(p), NULL);
        }
        if (!is_op(p, ","))
            break;
        next(p);
    }
    if (!expect_op(p, ")")) {
        node_free(d);
        return NULL;
    }
    if (is_op(p, "->")) {
        next(p);
        node_free(expr(p));
    }
    if (!expect_op(p, ":") || !add_kid(p, d, block(p), NULL)) {
        node_free(d);
        return NULL;
    }
    return d;
}

static bool name_list(parser *p, ts_node *value, char ***out, int *n)
{
    if (!value || value->kind != TS_LIST)
        return true;
    for (int k = 0; *out && k < *n; k++) /* the list given again: the last one counts */
        free((*out)[k]);
    free(*out);
    *n = 0;
    *out = calloc((size_t)value->n + 1, sizeof **out);
    if (!*out)
        return false;
    for (int k = 0; k < value->n; k++)
        if (value->kids[k]->kind == TS_STR && !((*out)[(*n)++] = strdup(value->kids[k]->name))) {
            perr(p, "out of memory", NULL);
            return false;
        }
    return true;
}

/* Class body member: def, __parameters__/__buffers__ lists, "name : T [= value]" constants. */
static bool class_member(parser *p, ts_node *c)
{
    if (is_kw(p, "def"))
        return add_kid(p, c, def(p), NULL);
    ts_node *lhs = expr(p);
    if (!lhs)
        return false;
    ts_node *value = NULL;
    if (is_op(p, ":")) {
        next(p);
        node_free(expr(p));
    }
    if (is_op(p, "=")) {
        next(p);
        value = targets(p);
    }
    bool ok = !p->failed && end_stmt(p);
    if (ok && lhs->kind == TS_NAME && value) {
        if (strcmp(lhs->name, "__parameters__") == 0)
            ok = name_list(p, value, &c->params, &c->n_params);
        else if (strcmp(lhs->name, "__buffers__") == 0)
            ok = name_list(p, value, &c->buffers, &c->n_buffers);
        else {
            ts_node *a = mk(p, TS_ASSIGN);
            ok = set_name(p, a, lhs->name) && add_kid(p, a, value, NULL) && add_kid(p, c, a, NULL);
            value = NULL;
        }
    }
    node_free(lhs);
    node_free(value);
    return ok;
}

static ts_node *class_def(parser *p)
{
    next(p); /* 'class' */
    ts_node *c = mk(p, TS_CLASS);
    if (p->t.kind != T_NAME || !set_name(p, c, p->t.text)) {
        perr(p, "expected a class name", NULL);
        node_free(c);
        return NULL;
    }
    next(p);
    if (is_op(p, "(")) {
        next(p);
        node_free(seq(p, TS_TUPLE, ")"));
    }
    if (!expect_op(p, ":") || p->t.kind != T_NEWLINE) {
        perr(p, "expected a class body", NULL);
        node_free(c);
        return NULL;
    }
    next(p);
    if (p->t.kind != T_INDENT) {
        perr(p, "expected an indented class body", NULL);
        node_free(c);
        return NULL;
    }
    next(p);
    while (!p->failed && p->t.kind != T_DEDENT && p->t.kind != T_END)
        if (!class_member(p, c))
            break;
    if (p->t.kind == T_DEDENT)
        next(p);
    if (p->failed) {
        node_free(c);
        return NULL;
    }
    return c;
}

static bool push_def(parser *p, ts_file *f, ts_node *d)
{
    if (!d)
        return false;
    ts_node **a = realloc(f->defs, (size_t)(f->n_defs + 1) * sizeof *a);
    if (!a) {
        node_free(d);
        perr(p, "out of memory", NULL);
        return false;
    }
    f->defs = a;
    f->defs[f->n_defs++] = d;
    return true;
}

ts_file *cs_ts_parse(const char *path, const char *src, cs_error *err)
{
    parser p = {.path = path, .src = src, .line = 1, .n_indents = 1, .at_line_start = true, .err = err};
    ts_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    next(&p);
    while (!p.failed && p.t.kind != T_END) {
        if (p.t.kind == T_NEWLINE) {
            next(&p);
        } else if (is_kw(&p, "class")) {
            push_def(&p, f, class_def(&p));
        } else if (is_kw(&p, "def")) {
            push_def(&p, f, def(&p));
        } else { /* import lines, op_version_set = N: skipped */
            while (!p.failed && p.t.kind != T_NEWLINE && p.t.kind != T_END)
                next(&p);
        }
    }
    free(p.t.str);
    if (p.failed) {
        cs_ts_file_free(f);
        return NULL;
    }
    return f;
}

void cs_ts_file_free(ts_file *f)
{
    if (!f)
        return;
    for (int k = 0; k < f->n_defs; k++)
        node_free(f->defs[k]);
    free(f->defs);
    free(f->path);
    free(f);
}

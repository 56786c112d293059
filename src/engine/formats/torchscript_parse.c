/* torchscript_parse.c — recursive-descent parser for the code torch.jit.save writes (tokens from
 * torchscript_lex.c); hand-written because no C library parses TorchScript's Python subset. */
#include "torchscript_lex.h"
#include "torchscript_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tree ---- */

static ts_node *mk(parser *p, ts_kind kind)
{
    ts_node *n = calloc(1, sizeof *n);
    if (!n)
        cs_ts_perr(p, "out of memory", NULL);
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
            cs_ts_perr(p, "out of memory", NULL);
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
        cs_ts_perr(p, "out of memory", NULL);
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
        cs_ts_perr(p, "out of memory", NULL);
    return n->name != NULL;
}

/* ---- expressions ---- */

static ts_node *expr(parser *p);

static ts_node *seq(parser *p, ts_kind kind, const char *close)
{
    ts_node *n = mk(p, kind);
    while (n && !p->failed && !cs_ts_is_op(p, close)) {
        if (!add_kid(p, n, expr(p), NULL))
            break;
        if (!cs_ts_is_op(p, ","))
            break;
        cs_ts_next(p);
    }
    if (!cs_ts_expect_op(p, close) || p->failed) {
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
        cs_ts_next(p);
    } else if (p->t.kind == T_FLOAT) {
        if ((n = mk(p, TS_FLOAT)))
            n->f = p->t.f;
        cs_ts_next(p);
    } else if (p->t.kind == T_STR) {
        if ((n = mk(p, TS_STR)))
            n->name = p->t.str, n->i = (int64_t)p->t.slen, p->t.str = NULL;
        cs_ts_next(p);
        while (n && p->t.kind == T_STR) /* implicit concatenation */
            cs_ts_next(p);
    } else if (p->t.kind == T_NAME) {
        if (cs_ts_is_kw(p, "None") || cs_ts_is_kw(p, "True") || cs_ts_is_kw(p, "False"))
            n = mk(p, cs_ts_is_kw(p, "None") ? TS_NONE : cs_ts_is_kw(p, "True") ? TS_TRUE : TS_FALSE);
        else if ((n = mk(p, TS_NAME)) && !set_name(p, n, p->t.text))
            node_free(n), n = NULL;
        cs_ts_next(p);
    } else if (cs_ts_is_op(p, "(")) {
        cs_ts_next(p);
        if (cs_ts_is_op(p, ")")) {
            cs_ts_next(p);
            return mk(p, TS_TUPLE);
        }
        n = expr(p);
        if (n && cs_ts_is_op(p, ",")) { /* tuple */
            cs_ts_next(p);
            ts_node *t = seq(p, TS_TUPLE, ")");
            if (!t) { /* a syntax error in the rest of the tuple: n is still ours (found by fuzz_ts_source) */
                node_free(n);
                return NULL;
            }
            if (add_kid(p, t, n, NULL)) { /* move n to the front */
                memmove(t->kids + 1, t->kids, (size_t)(t->n - 1) * sizeof *t->kids);
                t->kids[0] = n;
                return t;
            }
            node_free(t);
            return NULL;
        }
        if (!cs_ts_expect_op(p, ")")) {
            node_free(n);
            return NULL;
        }
    } else if (cs_ts_is_op(p, "[")) {
        cs_ts_next(p);
        n = seq(p, TS_LIST, "]");
    } else if (cs_ts_is_op(p, "{")) { /* {key: value, ...}: kids alternate key, value */
        cs_ts_next(p);
        n = mk(p, TS_DICT);
        while (n && !p->failed && !cs_ts_is_op(p, "}")) {
            if (!add_kid(p, n, expr(p), NULL) || !cs_ts_expect_op(p, ":") || !add_kid(p, n, expr(p), NULL))
                break;
            if (!cs_ts_is_op(p, ","))
                break;
            cs_ts_next(p);
        }
        if (!cs_ts_expect_op(p, "}") || p->failed) {
            node_free(n);
            return NULL;
        }
    } else {
        cs_ts_perr(p, p->t.kind == T_OP ? "unexpected" : "unexpected token", p->t.kind == T_OP ? p->t.text : NULL);
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
    while (!p->failed && !cs_ts_is_op(p, ")")) {
        char kw[256] = {0};
        if (p->t.kind == T_NAME) { /* keyword argument? peek for '=' not '==' */
            size_t q = p->pos;
            while (p->src[q] == ' ')
                q++;
            if (p->src[q] == '=' && p->src[q + 1] != '=') {
                snprintf(kw, sizeof kw, "%s", p->t.text);
                cs_ts_next(p);
                cs_ts_next(p);
            }
        }
        if (!add_kid(p, c, expr(p), kw[0] ? kw : NULL))
            break;
        if (!cs_ts_is_op(p, ","))
            break;
        cs_ts_next(p);
    }
    if (!cs_ts_expect_op(p, ")") || p->failed) {
        node_free(c);
        return NULL;
    }
    return c;
}

static ts_node *postfix(parser *p)
{
    ts_node *n = atom(p);
    while (n && !p->failed) {
        if (cs_ts_is_op(p, ".")) {
            cs_ts_next(p);
            if (p->t.kind != T_NAME) {
                cs_ts_perr(p, "expected a name after '.'", NULL);
                break;
            }
            ts_node *a = mk(p, TS_ATTR);
            if (!set_name(p, a, p->t.text) || !add_kid(p, a, n, NULL)) {
                node_free(a);
                return NULL;
            }
            n = a;
            cs_ts_next(p);
        } else if (cs_ts_is_op(p, "(")) {
            cs_ts_next(p);
            n = call_args(p, n);
        } else if (cs_ts_is_op(p, "[")) {
            cs_ts_next(p);
            ts_node *ix = mk(p, TS_INDEX);
            if (!add_kid(p, ix, n, NULL)) {
                node_free(ix);
                return NULL;
            }
            n = ix;
            ts_node *i = expr(p);
            if (i && cs_ts_is_op(p, ",")) { /* Tuple[int, int] */
                cs_ts_next(p);
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
            if (!add_kid(p, n, i, NULL) || !cs_ts_expect_op(p, "]"))
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
    if (cs_ts_is_op(p, "-") || cs_ts_is_kw(p, "not")) {
        ts_node *n = mk(p, cs_ts_is_op(p, "-") ? TS_NEG : TS_NOT);
        cs_ts_next(p);
        if (++p->depth > TS_MAX_DEPTH) {
            cs_ts_perr(p, "expression nested too deeply", NULL);
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
        return cs_ts_is_kw(p, "or") ? 1 : cs_ts_is_kw(p, "and") ? 2 : cs_ts_is_kw(p, "is") || cs_ts_is_kw(p, "in") ? 3 : 0;
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
        cs_ts_next(p);
        if (strcmp(b->name, "is") == 0 && cs_ts_is_kw(p, "not")) {
            free(b->name);
            b->name = strdup("is not");
            cs_ts_next(p);
        }
        if (++p->depth > TS_MAX_DEPTH) {
            cs_ts_perr(p, "expression nested too deeply", NULL);
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
        cs_ts_perr(p, "expression nested too deeply", NULL);
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
        cs_ts_next(p);
        return true;
    }
    if (p->t.kind == T_END || p->t.kind == T_DEDENT)
        return true;
    cs_ts_perr(p, "expected end of line, got", p->t.kind == T_NAME || p->t.kind == T_OP ? p->t.text : NULL);
    return false;
}

/* A comma-separated list of items parsed by `item` (a tuple when there is a comma); a trailing comma
 * before '=' ends an assignment target list. */
static ts_node *comma_list(parser *p, ts_node *(*item)(parser *))
{
    ts_node *first = item(p);
    if (!first || !cs_ts_is_op(p, ","))
        return first;
    ts_node *t = mk(p, TS_TUPLE);
    if (!add_kid(p, t, first, NULL)) {
        node_free(t);
        return NULL;
    }
    while (cs_ts_is_op(p, ",") && !p->failed) {
        cs_ts_next(p);
        if (cs_ts_is_op(p, "="))
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
    cs_ts_next(p); /* 'if' or 'elif' */
    if (!add_kid(p, n, expr(p), NULL) || !cs_ts_expect_op(p, ":") || !add_kid(p, n, block(p), NULL)) {
        node_free(n);
        return NULL;
    }
    if (cs_ts_is_kw(p, "elif")) {
        ts_node *b = mk(p, TS_BLOCK);
        if (!add_kid(p, b, if_stmt(p), NULL)) { /* the elif failed to parse: b holds nothing yet */
            node_free(b);
            node_free(n);
            return NULL;
        }
        if (!add_kid(p, n, b, NULL)) { /* add_kid frees b when it fails */
            node_free(n);
            return NULL;
        }
    } else if (cs_ts_is_kw(p, "else")) {
        cs_ts_next(p);
        if (!cs_ts_expect_op(p, ":") || !add_kid(p, n, block(p), NULL)) {
            node_free(n);
            return NULL;
        }
    }
    return n;
}

static ts_node *stmt(parser *p)
{
    ts_node *n = NULL;
    if (cs_ts_is_kw(p, "if"))
        return if_stmt(p);
    if (cs_ts_is_kw(p, "for")) {
        n = mk(p, TS_FOR);
        cs_ts_next(p);
        if (!add_kid(p, n, for_target(p), NULL) || !cs_ts_is_kw(p, "in")) {
            cs_ts_perr(p, "expected 'in' in for", NULL);
            node_free(n);
            return NULL;
        }
        cs_ts_next(p);
        if (!add_kid(p, n, expr(p), NULL) || !cs_ts_expect_op(p, ":") || !add_kid(p, n, block(p), NULL)) {
            node_free(n);
            return NULL;
        }
        return n;
    }
    if (cs_ts_is_kw(p, "with") || cs_ts_is_kw(p, "while")) { /* with EXPR: BLOCK (no_grad), while COND: BLOCK */
        n = mk(p, p->t.text[1] == 'i' ? TS_WITH : TS_WHILE);
        cs_ts_next(p);
        if (!add_kid(p, n, expr(p), NULL) || !cs_ts_expect_op(p, ":") || !add_kid(p, n, block(p), NULL)) {
            node_free(n);
            return NULL;
        }
        return n;
    }
    if (cs_ts_is_kw(p, "pass")) {
        n = mk(p, TS_PASS);
        cs_ts_next(p);
    } else if (cs_ts_is_kw(p, "return")) {
        n = mk(p, TS_RETURN);
        cs_ts_next(p);
        if (p->t.kind != T_NEWLINE && p->t.kind != T_END && p->t.kind != T_DEDENT)
            if (!add_kid(p, n, targets(p), NULL)) {
                node_free(n);
                n = NULL;
            }
    } else {
        ts_node *lhs = targets(p);
        if (lhs && cs_ts_is_op(p, ":")) { /* annotated assignment: x : T [= v] */
            cs_ts_next(p);
            node_free(expr(p));
        }
        if (lhs && cs_ts_is_op(p, "=")) {
            cs_ts_next(p);
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
    cs_ts_next(p);
    if (p->t.kind != T_INDENT) {
        cs_ts_perr(p, "expected an indented block", NULL);
        node_free(b);
        return NULL;
    }
    cs_ts_next(p);
    while (!p->failed && p->t.kind != T_DEDENT && p->t.kind != T_END)
        if (!add_kid(p, b, stmt(p), NULL))
            break;
    if (p->t.kind == T_DEDENT)
        cs_ts_next(p);
    if (p->failed) {
        node_free(b);
        return NULL;
    }
    return b;
}

static ts_node *def(parser *p)
{
    cs_ts_next(p); /* 'def' */
    ts_node *d = mk(p, TS_DEF);
    if (p->t.kind != T_NAME || !set_name(p, d, p->t.text)) {
        cs_ts_perr(p, "expected a function name", NULL);
        node_free(d);
        return NULL;
    }
    cs_ts_next(p);
    if (!cs_ts_expect_op(p, "(")) {
        node_free(d);
        return NULL;
    }
    while (!p->failed && p->t.kind == T_NAME) {
        ts_node *prm = mk(p, TS_PARAM);
        if (!set_name(p, prm, p->t.text)) {
            node_free(prm);
            break;
        }
        if (!add_kid(p, d, prm, NULL)) /* frees prm when it fails */
            break;
        cs_ts_next(p);
        if (cs_ts_is_op(p, ":")) {
            cs_ts_next(p);
            ts_node *ty = expr(p);
            prm->i = ty && ty->kind == TS_INDEX && ty->n == 2 && ty->kids[0]->kind == TS_NAME && /* List[Tensor] */
                     strcmp(ty->kids[0]->name, "List") == 0 && ty->kids[1]->kind == TS_NAME &&
                     strcmp(ty->kids[1]->name, "Tensor") == 0;
            node_free(ty);
        }
        if (cs_ts_is_op(p, "=")) {
            cs_ts_next(p);
            add_kid(p, prm, expr(p), NULL);
        }
        if (!cs_ts_is_op(p, ","))
            break;
        cs_ts_next(p);
    }
    if (!cs_ts_expect_op(p, ")")) {
        node_free(d);
        return NULL;
    }
    if (cs_ts_is_op(p, "->")) {
        cs_ts_next(p);
        node_free(expr(p));
    }
    if (!cs_ts_expect_op(p, ":") || !add_kid(p, d, block(p), NULL)) {
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
            cs_ts_perr(p, "out of memory", NULL);
            return false;
        }
    return true;
}

/* Class body member: def, __parameters__/__buffers__ lists, "name : T [= value]" constants. */
static bool class_member(parser *p, ts_node *c)
{
    if (cs_ts_is_kw(p, "def"))
        return add_kid(p, c, def(p), NULL);
    ts_node *lhs = expr(p);
    if (!lhs)
        return false;
    ts_node *value = NULL;
    if (cs_ts_is_op(p, ":")) {
        cs_ts_next(p);
        node_free(expr(p));
    }
    if (cs_ts_is_op(p, "=")) {
        cs_ts_next(p);
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
            if (!set_name(p, a, lhs->name)) { /* value is still ours: freed below */
                node_free(a);
                ok = false;
            } else {
                ok = add_kid(p, a, value, NULL); /* add_kid frees value when it fails */
                value = NULL;
                if (!ok)
                    node_free(a);
                else
                    ok = add_kid(p, c, a, NULL); /* frees a when it fails */
            }
        }
    }
    node_free(lhs);
    node_free(value);
    return ok;
}

static ts_node *class_def(parser *p)
{
    cs_ts_next(p); /* 'class' */
    ts_node *c = mk(p, TS_CLASS);
    if (p->t.kind != T_NAME || !set_name(p, c, p->t.text)) {
        cs_ts_perr(p, "expected a class name", NULL);
        node_free(c);
        return NULL;
    }
    cs_ts_next(p);
    if (cs_ts_is_op(p, "(")) {
        cs_ts_next(p);
        node_free(seq(p, TS_TUPLE, ")"));
    }
    if (!cs_ts_expect_op(p, ":") || p->t.kind != T_NEWLINE) {
        cs_ts_perr(p, "expected a class body", NULL);
        node_free(c);
        return NULL;
    }
    cs_ts_next(p);
    if (p->t.kind != T_INDENT) {
        cs_ts_perr(p, "expected an indented class body", NULL);
        node_free(c);
        return NULL;
    }
    cs_ts_next(p);
    while (!p->failed && p->t.kind != T_DEDENT && p->t.kind != T_END)
        if (!class_member(p, c))
            break;
    if (p->t.kind == T_DEDENT)
        cs_ts_next(p);
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
        cs_ts_perr(p, "out of memory", NULL);
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
    cs_ts_next(&p);
    while (!p.failed && p.t.kind != T_END) {
        if (p.t.kind == T_NEWLINE) {
            cs_ts_next(&p);
        } else if (cs_ts_is_kw(&p, "class")) {
            push_def(&p, f, class_def(&p));
        } else if (cs_ts_is_kw(&p, "def")) {
            push_def(&p, f, def(&p));
        } else { /* import lines, op_version_set = N: skipped */
            while (!p.failed && p.t.kind != T_NEWLINE && p.t.kind != T_END)
                cs_ts_next(&p);
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


/* torchscript_lex.c — tokenizer of the code torch.jit.save writes: names, numbers, strings, operators, and
 * Python indentation as INDENT/DEDENT tokens (brackets suspend it). */
#include "torchscript_lex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cs_ts_perr(parser *p, const char *msg, const char *what)
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
        cs_ts_perr(p, "unterminated string", NULL);
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
                cs_ts_perr(p, "indentation too deep", NULL);
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
            cs_ts_perr(p, "inconsistent dedent", NULL);
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

/* Skips blanks, line continuations, newlines inside brackets and a comment. */
static void skip_blanks(parser *p)
{
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
}

static bool name_char(char d, bool first)
{
    return d == '_' || (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || (!first && d >= '0' && d <= '9');
}

/* An identifier (truncated to the token's text buffer, as before). */
static void lex_name(parser *p)
{
    size_t k = 0;
    while (k < sizeof p->t.text - 1 && name_char(p->src[p->pos], false))
        p->t.text[k++] = p->src[p->pos++];
    p->t.text[k] = 0;
    p->t.kind = T_NAME;
}

/* An operator or bracket (two-character operators first); brackets track the nesting depth. */
static void lex_op(parser *p, char c)
{
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
        cs_ts_perr(p, "unexpected character", bad);
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

void cs_ts_next(parser *p)
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
    skip_blanks(p);
    p->t.line = p->line;
    char c = p->src[p->pos];
    if (!c) {
        p->t.kind = p->n_indents > 1 ? T_DEDENT : T_END;
        p->n_indents -= p->n_indents > 1;
    } else if (c == '\n') {
        p->pos++;
        p->line++;
        p->at_line_start = true;
        p->t.kind = T_NEWLINE;
    } else if (name_char(c, true)) {
        lex_name(p);
    } else if ((c >= '0' && c <= '9') || (c == '.' && p->src[p->pos + 1] >= '0' && p->src[p->pos + 1] <= '9')) {
        lex_number(p);
    } else if (c == '"' || c == '\'') {
        if (!lex_string(p, c) && !p->failed)
            cs_ts_perr(p, "out of memory", NULL);
    } else {
        lex_op(p, c);
    }
}

bool cs_ts_is_op(const parser *p, const char *op)
{
    return p->t.kind == T_OP && strcmp(p->t.text, op) == 0;
}

bool cs_ts_is_kw(const parser *p, const char *kw)
{
    return p->t.kind == T_NAME && strcmp(p->t.text, kw) == 0;
}

bool cs_ts_expect_op(parser *p, const char *op)
{
    if (!cs_ts_is_op(p, op)) {
        cs_ts_perr(p, "expected", op);
        return false;
    }
    cs_ts_next(p);
    return true;
}


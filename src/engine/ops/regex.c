/* regex.c — op family 'regex': ONNX RegexFullMatch (opset 20) over string tensors, run by PCRE2 on patterns
 * that re2_compat.c has checked and rewritten so that every accepted pattern matches exactly as RE2 would.
 *
 * RE2-compatibility rule: the ONNX spec names RE2 syntax. A pattern is accepted only when it is RE2 syntax and
 * PCRE2 (UTF mode without UCP, so \w \d \b stay ASCII as in RE2; $ only at the very end; LF newlines) reads it
 * the same way; RE2's \s / \v are rewritten to RE2's meaning. Constructs that RE2 rejects but PCRE2 would run
 * (backreferences, lookaround, atomic groups, possessive quantifiers, recursion, \C, ...) are refused when the
 * model is planned, naming the node and the place in the pattern. The match is anchored at both ends. PCRE2
 * backtracks where RE2 does not: match, depth and heap limits stop a hostile pattern with an error instead of
 * a hang. A subject string that is not valid UTF-8 is an error (RE2 would read its bytes as U+FFFD). */
#include "regex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../value.h"
#include "re2_compat.h"
#include "registry.h"

#define REGEX_MATCH_LIMIT 10000000u /* backtracking steps per string */
#define REGEX_DEPTH_LIMIT 100000u   /* nested backtracking frames per string */
#define REGEX_HEAP_LIMIT 65536u     /* KiB of backtracking memory per string */

pcre2_code *cs_regex_compile(const char *re2_pattern, char *msg, size_t size)
{
    char why[256];
    char *pat = cs_re2_to_pcre2(re2_pattern, why, sizeof why);
    if (!pat) {
        snprintf(msg, size, "pattern refused (not RE2 syntax, or read differently by PCRE2): %s", why);
        return NULL;
    }
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    if (!cc) {
        free(pat);
        snprintf(msg, size, "out of memory");
        return NULL;
    }
    pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOLLAR_ENDONLY |
                                       PCRE2_NEVER_UCP | PCRE2_NEVER_BACKSLASH_C,
                                   &code, &off, cc);
    pcre2_compile_context_free(cc);
    if (!re) {
        PCRE2_UCHAR text[160];
        pcre2_get_error_message(code, text, sizeof text);
        snprintf(msg, size, "pattern does not compile (as PCRE2 '%s', at byte %zu): %s", pat, (size_t)off,
                 (const char *)text);
    }
    free(pat);
    return re;
}

/* Compiles the node's pattern; NULL with msg set on refusal. */
static pcre2_code *compile(const cs_node *node, char *msg, size_t size)
{
    if (!cs_attrs_find(&node->attrs, "pattern")) {
        snprintf(msg, size, "RegexFullMatch needs a 'pattern' attribute");
        return NULL;
    }
    return cs_regex_compile(cs_attrs_string(&node->attrs, "pattern", ""), msg, size);
}

static cs_status check_regex(const cs_graph *g, int n, cs_error *err)
{
    char msg[512];
    pcre2_code *re = compile(&g->nodes[n], msg, sizeof msg);
    if (!re)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: node '%s' (RegexFullMatch): %s", g->path,
                            g->nodes[n].name && g->nodes[n].name[0] ? g->nodes[n].name : "?", msg);
    pcre2_code_free(re);
    return CS_OK;
}

/* Matches every string of x against re into y (bool); a limit or a malformed subject fails the node. */
static cs_status match_all(cs_kernel_ctx *ctx, pcre2_code *re, const cs_tensor *x, cs_tensor *y,
                           pcre2_match_data *md, pcre2_match_context *mc)
{
    for (int64_t i = 0, n = cs_string_count(x); i < n; i++) {
        const char *s = cs_string_at(x, i);
        int rc = pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, mc);
        if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
            return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "string %lld: the pattern backtracks past the match "
                                  "limit (%u steps, depth %u, %u KiB): refused rather than left to run",
                                  (long long)i, REGEX_MATCH_LIMIT, REGEX_DEPTH_LIMIT, REGEX_HEAP_LIMIT);
        if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
            PCRE2_UCHAR text[160];
            pcre2_get_error_message(rc, text, sizeof text);
            return cs_kernel_fail(ctx, CS_ERR_FORMAT, "string %lld: %s", (long long)i, (const char *)text);
        }
        ((uint8_t *)y->data)[i] = rc >= 0;
    }
    return CS_OK;
}

static cs_status op_regex_full_match(cs_kernel_ctx *ctx)
{
    const cs_tensor *x = cs_kernel_input(ctx, 0);
    if (!x || x->kind != CS_VALUE_TENSOR || x->dtype != CS_DT_STRING)
        return cs_kernel_fail(ctx, CS_ERR_ARG, "the input must be a string tensor");
    char msg[512];
    pcre2_code *re = compile(ctx->node, msg, sizeof msg);
    if (!re)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "%s", msg);
    cs_tensor *y = cs_kernel_output(ctx, 0, CS_DT_BOOL, x->rank, x->dims);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    cs_status st = y ? CS_OK : ctx->err->status;
    if (st == CS_OK && (!md || !mc))
        st = cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    if (st == CS_OK) {
        pcre2_set_match_limit(mc, REGEX_MATCH_LIMIT);
        pcre2_set_depth_limit(mc, REGEX_DEPTH_LIMIT);
        pcre2_set_heap_limit(mc, REGEX_HEAP_LIMIT);
        st = match_all(ctx, re, x, y, md, mc);
    }
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return st;
}

const cs_op_def cs_ops_regex[] = {
    {.name = "RegexFullMatch", .run = op_regex_full_match, .check = check_regex},
    {.name = NULL},
};

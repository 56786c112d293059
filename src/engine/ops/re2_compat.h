/* re2_compat.h — checks that a regular expression is RE2 syntax (what ONNX RegexFullMatch specifies) and
 * rewrites it into a PCRE2 pattern that matches exactly the same strings, or refuses it with the reason. */
#ifndef CS_RE2_COMPAT_H
#define CS_RE2_COMPAT_H

#include <stdbool.h>
#include <stddef.h>

/* Longest pattern accepted, in bytes. */
#define CS_RE2_MAX_PATTERN 65536

/* Translates the RE2 pattern `re2` (UTF-8, NUL-terminated) into a PCRE2 pattern for PCRE2_UTF without UCP,
 * with PCRE2_DOLLAR_ENDONLY and LF newlines. The caller must compile it with those options; then, for every
 * subject, PCRE2 and RE2 agree on whether the pattern matches. Rewrites: \s and \S to RE2's ASCII space set
 * (PCRE2's includes \v), \v to the vertical-tab character, a '{' that does not start a repeat to a literal.
 * Refuses (returns NULL, `why` set to "at byte N: ...") what RE2 rejects but PCRE2 would run: backreferences,
 * lookahead/lookbehind, atomic groups, possessive or stacked quantifiers, recursion, conditionals, callouts,
 * (*VERBS), comments, \C and escapes RE2 does not know, repeat counts above 1000 (also as nested products),
 * flags other than i, m, s, U, Unicode classes outside a known list. Returns a malloc'd string. */
char *cs_re2_to_pcre2(const char *re2, char *why, size_t why_size);

#endif

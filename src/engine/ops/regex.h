/* regex.h — compiling an ONNX RegexFullMatch pattern (RE2 syntax) into a PCRE2 program that full-matches
 * exactly the strings RE2 would; shared by the op (regex.c) and its fuzz target. */
#ifndef CS_OPS_REGEX_H
#define CS_OPS_REGEX_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>

/* Checks and translates `re2_pattern` (re2_compat.h) and compiles it anchored at both ends, UTF without UCP,
 * $ only at the very end, LF newlines. Returns NULL with `msg` set to the reason when the pattern is refused or
 * does not compile. Free with pcre2_code_free. Matching limits are the caller's (pcre2_match_context). */
pcre2_code *cs_regex_compile(const char *re2_pattern, char *msg, size_t size);

#endif

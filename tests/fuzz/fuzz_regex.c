/* fuzz_regex.c — libFuzzer target: RegexFullMatch patterns (an attribute of an untrusted model). The bytes up
 * to the first NUL are the pattern, the rest a subject; the RE2 check/rewrite runs, and what it accepts is
 * compiled by the op's own cs_regex_compile and matched under lower limits. */
#include <stdlib.h>
#include <string.h>

#include "engine/ops/regex.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t plen = nul ? (size_t)(nul - data) : size;
    char *pattern = malloc(plen + 1), why[512];
    if (!pattern)
        return 0;
    memcpy(pattern, data, plen);
    pattern[plen] = 0;
    pcre2_code *re = cs_regex_compile(pattern, why, sizeof why);
    free(pattern);
    if (!re)
        return 0;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    if (md && mc) { /* lower limits than the op's: each execution stays cheap, the code paths are the same */
        pcre2_set_match_limit(mc, 100000);
        pcre2_set_depth_limit(mc, 10000);
        pcre2_set_heap_limit(mc, 4096);
        const uint8_t *s = nul ? nul + 1 : data + size;
        pcre2_match(re, s, (size_t)(data + size - s), 0, 0, md, mc);
    }
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return 0;
}

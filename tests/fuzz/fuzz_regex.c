/* fuzz_regex.c — libFuzzer target: RegexFullMatch patterns (an attribute of an untrusted model). The bytes up
 * to the first NUL are the pattern, the rest a subject; the RE2 check/rewrite runs, and what it accepts is
 * compiled and matched with the options and limits of ops/regex.c. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/re2_compat.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t plen = nul ? (size_t)(nul - data) : size;
    char *pattern = malloc(plen + 1), why[256];
    if (!pattern)
        return 0;
    memcpy(pattern, data, plen);
    pattern[plen] = 0;
    char *pcre = cs_re2_to_pcre2(pattern, why, sizeof why);
    free(pattern);
    if (!pcre)
        return 0;
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pcre, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOLLAR_ENDONLY |
                                       PCRE2_NEVER_UCP | PCRE2_NEVER_BACKSLASH_C,
                                   &code, &off, NULL);
    free(pcre);
    if (!re)
        return 0;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    if (md && mc) {
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

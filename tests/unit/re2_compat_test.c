/* re2_compat_test.c — the RE2-syntax gate of RegexFullMatch: patterns RE2 accepts come through (rewritten where
 * PCRE2 reads them otherwise), constructs RE2 rejects but PCRE2 would run are refused with a reason. */
#include <stdlib.h>
#include <string.h>

#include "engine/ops/re2_compat.h"
#include "test.h"

/* The translation of p, or NULL; why gets the refusal. */
static bool translates_to(const char *p, const char *want)
{
    char why[200];
    char *got = cs_re2_to_pcre2(p, why, sizeof why);
    bool ok = got && strcmp(got, want) == 0;
    if (!ok)
        fprintf(stderr, "  '%s' -> '%s' (%s), wanted '%s'\n", p, got ? got : "NULL", why, want);
    free(got);
    return ok;
}

static bool refused(const char *p, const char *reason)
{
    char why[200];
    char *got = cs_re2_to_pcre2(p, why, sizeof why);
    bool ok = !got && strstr(why, reason);
    if (!ok)
        fprintf(stderr, "  '%s' -> '%s' (%s), wanted a refusal naming '%s'\n", p, got ? got : "NULL", why, reason);
    free(got);
    return ok;
}

TEST(re2_accepts_and_copies_common_syntax)
{
    const char *same[] = {
        "(\\W|^)[\\w.\\-]{0,25}@(yahoo|gmail)\\.com(\\W|$)", "www\\.[\\w.-]+\\.\\bcom\\b", "a*?b+?c??", "(?i)abc",
        "(?i:ab)c", "(?-s:.)", "(?P<year>\\d{4})-(?<m>\\d\\d)", "[[:alpha:][:^digit:]_]", "\\p{Greek}\\PL\\pN",
        "\\x41\\x{1F600}\\0\\012", "\\Q(a+)\\1\\E", "a{2,}b{1,1000}", "\\A\\z", "",
    };
    for (size_t i = 0; i < sizeof same / sizeof *same; i++)
        EXPECT(translates_to(same[i], same[i]));
}

TEST(re2_rewrites_what_pcre2_reads_otherwise)
{
    EXPECT(translates_to("a\\sb", "a[\\t\\n\\f\\r\\x20]b"));     /* RE2's \s has no \v */
    EXPECT(translates_to("[^\\S]", "[^\\S\\x0b]"));
    EXPECT(translates_to("\\v", "\\x0b"));                         /* RE2: vertical tab; PCRE2: a class */
    EXPECT(translates_to("x{,2}y{", "x\\{,2}y\\{"));               /* no repeat: RE2 reads a literal '{' */
    EXPECT(translates_to("[a[b]", "[a\\[b]"));
    EXPECT(translates_to("[]a]", "[\\]a]"));                     /* a leading ']' is a literal in both */
    EXPECT(translates_to("[^]a]", "[^\\]a]"));
}

TEST(re2_refuses_what_only_pcre2_accepts)
{
    EXPECT(refused("(a)\\1", "backreferences"));
    EXPECT(refused("(?P<n>a)(?P=n)", "backreferences"));
    EXPECT(refused("(?<n>a)\\k<n>", "backreferences"));
    EXPECT(refused("a(?=b)", "lookahead"));
    EXPECT(refused("a(?!b)", "lookahead"));
    EXPECT(refused("(?<=a)b", "lookbehind"));
    EXPECT(refused("(?<!a)b", "lookbehind"));
    EXPECT(refused("(?>a+)b", "atomic"));
    EXPECT(refused("a++b", "possessive"));
    EXPECT(refused("a{2}+", "possessive"));
    EXPECT(refused("a**", "stacked"));
    EXPECT(refused("(a|(?R))", "recursion"));
    EXPECT(refused("(a)(?1)", "recursion"));
    EXPECT(refused("(?(1)a|b)", "conditionals"));
    EXPECT(refused("(*UCP)a", "VERB"));
    EXPECT(refused("a\\Cb", "\\C"));
    EXPECT(refused("(?#c)a", "comments"));
    EXPECT(refused("(?x)a b", "flag"));
    EXPECT(refused("\\h\\R\\X", "not RE2"));
    EXPECT(refused("a{1001}", "bad repeat"));
    EXPECT(refused("(a{100}){100}", "multiply"));
    EXPECT(refused("\\p{Xan}", "Unicode class"));
    EXPECT(refused("(?i)\\p{Lu}", "folds its case"));                  /* PCRE2 keeps \p{Lu} case-sensitive */
    EXPECT(translates_to("\\p{Lu}(?s:.)", "\\p{Lu}(?s:.)"));
    EXPECT(refused("*a", "missing argument"));
    EXPECT(refused("(a", "missing )"));
    EXPECT(refused("[a", "missing ]"));
    EXPECT(refused("a\\", "trailing backslash"));
    EXPECT(refused("\\x4", "hex"));
    EXPECT(refused("[\\d-z]", "range"));
}

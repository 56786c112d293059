/* re2_compat.c — RE2 syntax checked and rewritten for PCRE2 (see re2_compat.h): one pass over the pattern that
 * copies what both engines read alike, rewrites what they read differently and refuses what RE2 rejects. */
#include "re2_compat.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RE2_MAX_REPEAT 1000 /* RE2's kMaxRepeat, also the bound on nested repeat products */
#define RE2_MAX_NEST 1000   /* deeper group nesting than RE2's own limit is refused */

typedef struct tr {
    const char *p;          /* the pattern */
    size_t i, n;            /* position, length */
    char *out;
    size_t len, cap;
    bool oom;
    char *why;
    size_t why_size;
    long prod[RE2_MAX_NEST + 1]; /* per open group: largest repeat product inside it */
    int depth;
    long atom;              /* repeat product of the last atom (0: nothing to repeat) */
    bool quantified;        /* the last thing was a repeat: another one is a stacked/possessive repeat */
    bool caseless;          /* a (?i) flag appears somewhere in the pattern */
} tr;

static bool refuse(tr *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool refuse(tr *t, const char *fmt, ...)
{
    int k = snprintf(t->why, t->why_size, "at byte %zu: ", t->i);
    va_list ap;
    va_start(ap, fmt);
    if (k >= 0 && (size_t)k < t->why_size)
        vsnprintf(t->why + k, t->why_size - (size_t)k, fmt, ap);
    va_end(ap);
    return false;
}

static void put(tr *t, const char *s, size_t n)
{
    if (t->oom)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *o = realloc(t->out, cap);
        if (!o) {
            t->oom = true;
            return;
        }
        t->out = o, t->cap = cap;
    }
    memcpy(t->out + t->len, s, n);
    t->len += n;
    t->out[t->len] = 0;
}

static void puts_(tr *t, const char *s)
{
    put(t, s, strlen(s));
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char peek(const tr *t, size_t k)
{
    return t->i + k < t->n ? t->p[t->i + k] : 0;
}

/* A new atom with repeat product prod: the enclosing group remembers the largest. */
static void atom(tr *t, long prod)
{
    t->atom = prod;
    t->quantified = false;
    if (prod > t->prod[t->depth])
        t->prod[t->depth] = prod;
}

/* Unicode class names RE2 knows that PCRE2 reads the same way (general categories, Any, common scripts);
 * others are refused, since PCRE2 accepts names RE2 rejects (loose matching, binary properties). */
static bool known_class(const char *s, size_t n)
{
    static const char *const names[] = {
        "Any", "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N", "Nd",
        "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So", "Z", "Zl", "Zp",
        "Zs", "Arabic", "Armenian", "Bengali", "Common", "Cyrillic", "Devanagari", "Ethiopic", "Georgian", "Greek",
        "Gujarati", "Gurmukhi", "Han", "Hangul", "Hebrew", "Hiragana", "Inherited", "Kannada", "Katakana", "Khmer",
        "Lao", "Latin", "Malayalam", "Myanmar", "Oriya", "Sinhala", "Tamil", "Telugu", "Thai", "Tibetan",
    };
    if (n && s[0] == '^')
        s++, n--;
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
        if (strlen(names[k]) == n && memcmp(names[k], s, n) == 0)
            return true;
    return false;
}

/* \p / \P at t->i (the backslash): copied when the class is known. */
static bool unicode_class(tr *t)
{
    size_t start = t->i, end;
    if (peek(t, 2) == '{') {
        const char *close = memchr(t->p + t->i + 3, '}', t->n - t->i - 3 < t->n ? t->n - t->i - 3 : 0);
        if (!close)
            return refuse(t, "\\%c{ without a closing }", peek(t, 1));
        end = (size_t)(close - t->p) + 1;
        const char *name = t->p + start + 3 + (peek(t, 3) == '^');
        size_t nlen = end - start - 4 - (peek(t, 3) == '^');
        bool cased = nlen == 2 && name[0] == 'L' && (name[1] == 'u' || name[1] == 'l' || name[1] == 't');
        if (!known_class(t->p + start + 3, end - start - 4) || (cased && t->caseless))
            return refuse(t, "Unicode class \\%c{%.*s} is not one RE2 and PCRE2 read alike%s", peek(t, 1),
                          (int)(end - start - 4), t->p + start + 3,
                          cased && t->caseless ? " under (?i) (RE2 folds its case, PCRE2 does not)" : "");
    } else {
        if (!known_class(t->p + start + 2, 1))
            return refuse(t, "Unicode class \\%c%c is not one RE2 knows", peek(t, 1), peek(t, 2));
        end = start + 3;
    }
    put(t, t->p + start, end - start);
    t->i = end;
    return true;
}

/* \x: two hex digits or {hex} (RE2 wants exactly that; PCRE2 would also take one digit). */
static bool hex_escape(tr *t)
{
    size_t k = 2;
    if (peek(t, 2) == '{') {
        unsigned long v = 0;
        for (k = 3; is_hex(peek(t, k)); k++)
            if ((v = v * 16 + (unsigned long)(is_digit(peek(t, k)) ? peek(t, k) - '0' : (peek(t, k) | 32) - 'a' + 10)) >
                0x10FFFF)
                return refuse(t, "\\x{...} is beyond U+10FFFF");
        if (k == 3 || peek(t, k) != '}')
            return refuse(t, "malformed \\x{...}");
        k++;
    } else if (is_hex(peek(t, 2)) && is_hex(peek(t, 3))) {
        k = 4;
    } else {
        return refuse(t, "\\x needs two hex digits or {hex}");
    }
    put(t, t->p + t->i, k);
    t->i += k;
    return true;
}

/* One escape at t->i (a backslash), inside a class or not. Sets *cls when it is a class (\d, \s, \p...). */
static bool escape(tr *t, bool in_class, bool *cls)
{
    char c = peek(t, 1);
    *cls = false;
    if (t->i + 1 >= t->n)
        return refuse(t, "trailing backslash");
    if (c >= '1' && c <= '9')
        return refuse(t, "backreferences (\\%c) are not RE2 syntax", c);
    if ((unsigned char)c >= 0x80)
        return refuse(t, "a backslash before a non-ASCII character is not RE2 syntax");
    if (!is_alpha(c) && !is_digit(c)) { /* escaped punctuation or space: a literal in both */
        put(t, t->p + t->i, 2);
        t->i += 2;
        return true;
    }
    switch (c) {
    case '0': { /* octal: \0 and up to two more octal digits, alike in both */
        size_t k = 2;
        while (k < 4 && peek(t, k) >= '0' && peek(t, k) <= '7')
            k++;
        put(t, t->p + t->i, k);
        t->i += k;
        return true;
    }
    case 'x':
        return hex_escape(t);
    case 'p':
    case 'P':
        *cls = true;
        return unicode_class(t);
    case 's': /* RE2's \s is [\t\n\f\r ]; PCRE2's also has \v */
        puts_(t, in_class ? "\\t\\n\\f\\r\\x20" : "[\\t\\n\\f\\r\\x20]");
        *cls = true;
        break;
    case 'S':
        puts_(t, in_class ? "\\S\\x0b" : "[\\S\\x0b]");
        *cls = true;
        break;
    case 'v': /* RE2: the vertical tab; PCRE2: any vertical space */
        puts_(t, "\\x0b");
        break;
    case 'd': case 'D': case 'w': case 'W':
        *cls = true;
        put(t, t->p + t->i, 2);
        break;
    case 'a': case 'f': case 't': case 'n': case 'r':
        put(t, t->p + t->i, 2);
        break;
    case 'b': case 'B': case 'A': case 'z':
        if (in_class)
            return refuse(t, "\\%c inside a character class is not RE2 syntax", c);
        put(t, t->p + t->i, 2);
        break;
    case 'C':
        return refuse(t, "\\C (any single byte) is refused: it breaks UTF-8 matching");
    case 'Q':
    case 'E':
        return refuse(t, "\\%c out of place", c);
    case 'g': case 'k':
        return refuse(t, "backreferences (\\%c) are not RE2 syntax", c);
    default:
        return refuse(t, "escape \\%c is not RE2 syntax", c);
    }
    t->i += 2;
    return true;
}

/* [...] at t->i. */
static bool char_class(tr *t)
{
    static const char *const posix[] = {"alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph",
                                        "lower", "print", "punct", "space", "upper", "word", "xdigit"};
    put(t, "[", 1);
    t->i++;
    if (peek(t, 0) == '^')
        put(t, "^", 1), t->i++;
    bool first = true, after_cls = false;
    for (;; first = false) {
        char c = peek(t, 0);
        if (t->i >= t->n)
            return refuse(t, "missing ] at the end of a character class");
        if (c == ']' && !first)
            break;
        if (c == '-' && after_cls && peek(t, 1) != ']')
            return refuse(t, "a range from a class escape is not RE2 syntax");
        after_cls = false;
        if (c == '[' && peek(t, 1) == ':') {
            const char *end = strstr(t->p + t->i + 2, ":]");
            size_t k, len = end ? (size_t)(end - t->p) - t->i - 2 : 0;
            const char *name = t->p + t->i + 2 + (peek(t, 2) == '^');
            size_t nlen = len - (peek(t, 2) == '^');
            for (k = 0; end && k < sizeof posix / sizeof *posix; k++)
                if (strlen(posix[k]) == nlen && memcmp(posix[k], name, nlen) == 0)
                    break;
            if (!end || k == sizeof posix / sizeof *posix)
                return refuse(t, "unknown POSIX class [:...:]");
            put(t, t->p + t->i, len + 4);
            t->i += len + 4;
            after_cls = true;
        } else if (c == '[' && (peek(t, 1) == '.' || peek(t, 1) == '=')) {
            return refuse(t, "collating elements [%c...%c] are not RE2 syntax", peek(t, 1), peek(t, 1));
        } else if (c == '\\') {
            if (peek(t, 1) == 'Q' || peek(t, 1) == 'E')
                return refuse(t, "\\%c inside a character class is not RE2 syntax", peek(t, 1));
            if (!escape(t, true, &after_cls))
                return false;
        } else if (c == '[' || c == ']') { /* a literal bracket: escaped so PCRE2 reads it as one too */
            put(t, c == '[' ? "\\[" : "\\]", 2);
            t->i++;
        } else {
            put(t, &c, 1);
            t->i++;
        }
    }
    put(t, "]", 1);
    t->i++;
    return true;
}

/* {n}, {n,} or {n,m} at t->i: its length and the count RE2 multiplies by; 0 when it is not a repeat
 * (RE2 then reads '{' as a literal). */
static size_t repeat_at(const tr *t, long *lo, long *hi)
{
    size_t k = 1;
    *lo = 0, *hi = -1;
    if (!is_digit(peek(t, k)))
        return 0;
    for (; is_digit(peek(t, k)); k++)
        *lo = *lo > 100000 ? *lo : *lo * 10 + (peek(t, k) - '0');
    if (peek(t, k) == '}')
        return *hi = *lo, k + 1;
    if (peek(t, k) != ',')
        return 0;
    k++;
    if (peek(t, k) == '}')
        return k + 1;
    if (!is_digit(peek(t, k)))
        return 0;
    for (*hi = 0; is_digit(peek(t, k)); k++)
        *hi = *hi > 100000 ? *hi : *hi * 10 + (peek(t, k) - '0');
    return peek(t, k) == '}' ? k + 1 : 0;
}

/* A repeat operator of `len` bytes at t->i (count: RE2's multiplier, 0 for * + ?). */
static bool repeat(tr *t, size_t len, long count)
{
    if (t->quantified)
        return refuse(t, "stacked or possessive repetition (%.*s after a repeat) is not RE2 syntax", (int)len,
                      t->p + t->i);
    if (!t->atom)
        return refuse(t, "missing argument to repetition operator %.*s", (int)len, t->p + t->i);
    long prod = t->atom * (count > 0 ? count : 1);
    if (prod > RE2_MAX_REPEAT)
        return refuse(t, "repeat counts multiply to more than %d", RE2_MAX_REPEAT);
    put(t, t->p + t->i, len);
    t->i += len;
    if (peek(t, 0) == '?') /* non-greedy */
        put(t, "?", 1), t->i++;
    atom(t, prod);
    t->quantified = true;
    return true;
}

/* "(?" at t->i: a non-capturing group, a named group or flags; everything else PCRE2 has is refused. */
static bool group_open(tr *t)
{
    char c = peek(t, 2);
    size_t k = 2;
    if (c == '<' && peek(t, 3) != '=' && peek(t, 3) != '!')
        k = 3;
    else if (c == 'P' && peek(t, 3) == '<')
        k = 4;
    if (k > 2) { /* (?<name> or (?P<name> */
        size_t s = k;
        while (is_alpha(peek(t, k)) || is_digit(peek(t, k)) || peek(t, k) == '_')
            k++;
        if (k == s || peek(t, k) != '>')
            return refuse(t, "bad group name");
        put(t, t->p + t->i, k + 1);
        t->i += k + 1;
        return true;
    }
    bool neg = false, any = false;
    for (k = 2;; k++) {
        c = peek(t, k);
        if (c == 'i' || c == 'm' || c == 's' || c == 'U') {
            any = true;
        } else if (c == '-' && !neg) {
            neg = true, any = false;
        } else if ((c == ')' || c == ':') && any) {
            break;
        } else if (k == 2 && c == ':') {
            break;
        } else {
            const char *what = c == '=' || c == '!' ? "lookahead" : c == '<' ? "lookbehind"
                             : c == '>' ? "atomic groups" : c == '|' ? "branch reset groups"
                             : c == '#' ? "comments" : c == '(' ? "conditionals"
                             : c == 'R' || c == '&' || c == '+' || is_digit(c) || c == 'P' ? "recursion and backreferences"
                             : c == 'C' ? "callouts" : NULL;
            return what ? refuse(t, "%s (?%c...) are not RE2 syntax", what, peek(t, 2))
                        : refuse(t, "group flag or form '%c' is not RE2 syntax (flags: i, m, s, U)", c);
        }
    }
    put(t, t->p + t->i, k + 1);
    t->i += k + 1;
    return true;
}

static bool step(tr *t)
{
    char c = peek(t, 0);
    long lo, hi;
    size_t len;
    bool cls;
    switch (c) {
    case '\\':
        if (peek(t, 1) == 'Q') { /* \Q...\E: literals, alike in both */
            const char *e = strstr(t->p + t->i + 2, "\\E");
            size_t end = e ? (size_t)(e - t->p) + 2 : t->n;
            put(t, t->p + t->i, end - t->i);
            t->i = end;
            atom(t, 1);
            return true;
        }
        if (!escape(t, false, &cls))
            return false;
        atom(t, 1);
        return true;
    case '[':
        if (!char_class(t))
            return false;
        atom(t, 1);
        return true;
    case '(':
        if (peek(t, 1) == '*')
            return refuse(t, "(*VERB) and option settings are not RE2 syntax");
        if (t->depth >= RE2_MAX_NEST)
            return refuse(t, "groups nested deeper than %d", RE2_MAX_NEST);
        if (peek(t, 1) == '?') {
            if (!group_open(t))
                return false;
            if (t->p[t->i - 1] == ')') { /* a flags-only group: (?i) */
                t->atom = 0, t->quantified = false;
                return true;
            }
        } else {
            put(t, "(", 1), t->i++;
        }
        t->prod[++t->depth] = 1;
        t->atom = 0, t->quantified = false;
        return true;
    case ')':
        if (t->depth == 0)
            return refuse(t, "unmatched )");
        put(t, ")", 1), t->i++;
        long inner = t->prod[t->depth--];
        atom(t, inner);
        return true;
    case '|':
        put(t, "|", 1), t->i++;
        t->atom = 0, t->quantified = false;
        return true;
    case '*': case '+': case '?':
        return repeat(t, 1, 0);
    case '{':
        if ((len = repeat_at(t, &lo, &hi)) == 0) {
            put(t, "\\{", 2), t->i++; /* RE2 reads a '{' that starts no repeat as a literal */
            atom(t, 1);
            return true;
        }
        if (lo > RE2_MAX_REPEAT || hi > RE2_MAX_REPEAT || (hi >= 0 && hi < lo))
            return refuse(t, "bad repeat %.*s (RE2 allows counts up to %d, min <= max)", (int)len, t->p + t->i,
                          RE2_MAX_REPEAT);
        return repeat(t, len, hi >= 0 ? hi : lo);
    default:
        put(t, &c, 1), t->i++;
        atom(t, 1);
        return true;
    }
}

char *cs_re2_to_pcre2(const char *re2, char *why, size_t why_size)
{
    tr t = {.p = re2, .n = strlen(re2), .why = why, .why_size = why_size};
    if (why_size)
        why[0] = 0;
    if (t.n > CS_RE2_MAX_PATTERN) {
        snprintf(why, why_size, "the pattern is %zu bytes, more than %d", t.n, CS_RE2_MAX_PATTERN);
        return NULL;
    }
    t.prod[0] = 1;
    for (const char *q = strstr(re2, "(?"); q && !t.caseless; q = strstr(q + 2, "(?"))
        for (const char *f = q + 2; (*f >= 'a' && *f <= 'z') || (*f >= 'A' && *f <= 'Z') || *f == '-'; f++)
            t.caseless |= *f == 'i'; /* over-approximate: also a (?-i) or an escaped "\(?i" refuse Lu/Ll/Lt */
    put(&t, "", 0);
    while (t.i < t.n && !t.oom)
        if (!step(&t)) {
            free(t.out);
            return NULL;
        }
    if (!t.oom && t.depth > 0) {
        refuse(&t, "missing )");
        free(t.out);
        return NULL;
    }
    if (t.oom) {
        snprintf(why, why_size, "out of memory");
        free(t.out);
        return NULL;
    }
    return t.out;
}

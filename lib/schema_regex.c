/* ECMA-262-style regular expressions for JSON Schema `pattern`.
 *
 * The pattern is parsed into a small syntax tree, then compiled into a
 * program for a Thompson NFA (Pike VM without captures). Quantifiers are
 * expanded, so `x{2,4}` costs four copies of `x`; the size is computed before
 * anything is emitted, so `(a{1000}){1000}` is refused without being built.
 * Matching keeps a set of program counters per text position: linear in the
 * text whatever the pattern, which is what makes it safe on hostile schemas
 * and lets an open string be judged ("can anything still match?").
 */
#include "schema_regex.h"
#include "ascii.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buffer.h"
#include "ssekit/status.h"

enum { RI_CHAR, RI_ANY, RI_CLASS, RI_SPLIT, RI_JMP, RI_BOL, RI_EOL, RI_WORDB, RI_NWORDB, RI_MATCH };

typedef struct re_inst {
    uint32_t op;
    uint32_t a; /* CHAR: code point; CLASS: class index; SPLIT/JMP: target */
    uint32_t b; /* SPLIT: second target */
} re_inst;

typedef struct re_range {
    uint32_t lo, hi;
} re_range;

typedef struct re_class {
    uint32_t first, count; /* into the range array */
    uint32_t negated;
} re_class;

struct sk_regex {
    const re_inst *prog;
    size_t ninst;
    const re_class *classes;
    const re_range *ranges;
};

/* ---- syntax tree ------------------------------------------------------- */

enum { N_CHAR, N_ANY, N_CLASS, N_BOL, N_EOL, N_WORDB, N_NWORDB, N_CAT, N_ALT, N_REP };

#define REP_INF UINT32_MAX
#define NO_NODE UINT32_MAX

typedef struct re_node {
    uint32_t type;
    uint32_t child; /* CAT, ALT: first child; REP: the repeated node */
    uint32_t next;  /* next sibling inside a CAT or ALT */
    uint32_t val;   /* CHAR: code point; CLASS: class index */
    uint32_t min, max;
} re_node;

typedef struct re_parser {
    const ssekit_alloc_funcs *a;
    const unsigned char *p, *end;
    sk_buf nodes, classes, ranges, code;
    char *err;
    size_t errlen;
    int status; /* first error */
    int depth;
} re_parser;

#define NODE(ps, i) (((re_node *)(ps)->nodes.p)[i])

static void fail(re_parser *ps, const char *why)
{
    if (ps->status)
        return;
    ps->status = SSEKIT_E_SCHEMA;
    snprintf(ps->err, ps->errlen, "%s", why);
}

static void nomem(re_parser *ps)
{
    if (!ps->status) {
        ps->status = SSEKIT_E_NOMEM;
        snprintf(ps->err, ps->errlen, "out of memory");
    }
}

static uint32_t new_node(re_parser *ps, uint32_t type, uint32_t val)
{
    re_node n = {type, NO_NODE, NO_NODE, val, 0, 0};
    if (ps->nodes.len / sizeof n >= UINT32_MAX - 1) {
        fail(ps, "pattern too large");
        return NO_NODE;
    }
    if (sk_buf_append(ps->a, &ps->nodes, &n, sizeof n)) {
        nomem(ps);
        return NO_NODE;
    }
    return (uint32_t)(ps->nodes.len / sizeof n - 1);
}

/* Decodes one UTF-8 code point; an ill-formed byte gives U+FFFD and advances
 * by one, so matching never stalls on bad input. */
static uint32_t utf8_next(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    uint32_t c = *p;
    int n;
    if (c < 0x80) {
        *pp = p + 1;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
        c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        c &= 0x07;
    } else {
        *pp = p + 1;
        return 0xFFFD;
    }
    if (end - p <= n) {
        *pp = p + 1;
        return 0xFFFD;
    }
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *pp = p + 1;
            return 0xFFFD;
        }
        c = (c << 6) | (p[i] & 0x3F);
    }
    if ((n == 2 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
        (n == 3 && (c < 0x10000 || c > 0x10FFFF))) {
        *pp = p + 1;
        return 0xFFFD;
    }
    *pp = p + n + 1;
    return c;
}

/* ---- character sets ---------------------------------------------------- */

static const re_range set_digit[] = {{'0', '9'}};
static const re_range set_word[] = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
static const re_range set_space[] = {
    {0x09, 0x0D},     {0x20, 0x20},     {0xA0, 0xA0},     {0x1680, 0x1680}, {0x2000, 0x200A},
    {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}, {0xFEFF, 0xFEFF}};

typedef struct char_set {
    const re_range *r;
    size_t n;
} char_set;

static int add_range(re_parser *ps, uint32_t lo, uint32_t hi)
{
    re_range r = {lo, hi};
    if (sk_buf_append(ps->a, &ps->ranges, &r, sizeof r)) {
        nomem(ps);
        return -1;
    }
    return 0;
}

/* Adds a shorthand set (sorted, disjoint) or its complement. */
static int add_set(re_parser *ps, char_set s, int negate)
{
    if (!negate) {
        for (size_t i = 0; i < s.n; i++)
            if (add_range(ps, s.r[i].lo, s.r[i].hi))
                return -1;
        return 0;
    }
    uint32_t lo = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.r[i].lo > lo && add_range(ps, lo, s.r[i].lo - 1))
            return -1;
        lo = s.r[i].hi + 1;
    }
    return add_range(ps, lo, 0x10FFFF);
}

static uint32_t new_class(re_parser *ps, uint32_t first, uint32_t negated)
{
    re_class c = {first, (uint32_t)(ps->ranges.len / sizeof(re_range)) - first, negated};
    if (sk_buf_append(ps->a, &ps->classes, &c, sizeof c)) {
        nomem(ps);
        return NO_NODE;
    }
    return (uint32_t)(ps->classes.len / sizeof c - 1);
}

static uint32_t class_node(re_parser *ps, char_set s, int negate)
{
    uint32_t first = (uint32_t)(ps->ranges.len / sizeof(re_range));
    if (add_set(ps, s, 0))
        return NO_NODE;
    uint32_t k = new_class(ps, first, (uint32_t)negate);
    return k == NO_NODE ? NO_NODE : new_node(ps, N_CLASS, k);
}

/* ---- parser ------------------------------------------------------------ */

/* Reads exactly n hex digits; -1 when they are not there. */
static long read_hex(re_parser *ps, int n)
{
    long v = 0;
    if (ps->end - ps->p < n)
        return -1;
    for (int i = 0; i < n; i++) {
        int h = sk_hexval(ps->p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    ps->p += n;
    return v;
}

/* \u escapes, after the 'u': HHHH (joining a surrogate pair) or {H...}. */
static long read_unicode_escape(re_parser *ps)
{
    if (ps->p < ps->end && *ps->p == '{') {
        const unsigned char *q = ps->p + 1;
        long v = 0;
        int digits = 0;
        while (q < ps->end && sk_hexval(*q) >= 0) {
            v = v * 16 + sk_hexval(*q++);
            if (v > 0x10FFFF)
                return -1;
            digits++;
        }
        if (!digits || q >= ps->end || *q != '}')
            return -1;
        ps->p = q + 1;
        return v;
    }
    long v = read_hex(ps, 4);
    if (v >= 0xD800 && v <= 0xDBFF && ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
        const unsigned char *save = ps->p;
        ps->p += 2;
        long lo = read_hex(ps, 4);
        if (lo >= 0xDC00 && lo <= 0xDFFF)
            return 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
        ps->p = save;
    }
    return v;
}

enum { ESC_CHAR, ESC_SET, ESC_WORDB, ESC_NWORDB };

typedef struct escape {
    int kind;
    uint32_t cp;  /* ESC_CHAR */
    char_set set; /* ESC_SET */
    int negated;  /* ESC_SET */
} escape;

/* Parses the escape after a backslash. `in_class`: \b is a backspace there. */
static int parse_escape(re_parser *ps, int in_class, escape *e)
{
    if (ps->p >= ps->end) {
        fail(ps, "pattern ends with a backslash");
        return -1;
    }
    int c = *ps->p;
    e->kind = ESC_CHAR;
    e->negated = 0;
    if (c >= 0x80) {
        e->cp = utf8_next(&ps->p, ps->end);
        return 0;
    }
    ps->p++;
    switch (c) {
    case 'd':
    case 'D':
    case 'w':
    case 'W':
    case 's':
    case 'S':
        e->kind = ESC_SET;
        e->negated = c == 'D' || c == 'W' || c == 'S';
        if (c == 'd' || c == 'D')
            e->set = (char_set){set_digit, sizeof set_digit / sizeof set_digit[0]};
        else if (c == 'w' || c == 'W')
            e->set = (char_set){set_word, sizeof set_word / sizeof set_word[0]};
        else
            e->set = (char_set){set_space, sizeof set_space / sizeof set_space[0]};
        return 0;
    case 'b':
        if (in_class) {
            e->cp = 8;
            return 0;
        }
        e->kind = ESC_WORDB;
        return 0;
    case 'B':
        if (in_class) {
            fail(ps, "\\B inside a character class");
            return -1;
        }
        e->kind = ESC_NWORDB;
        return 0;
    case 't':
        e->cp = '\t';
        return 0;
    case 'n':
        e->cp = '\n';
        return 0;
    case 'v':
        e->cp = '\v';
        return 0;
    case 'f':
        e->cp = '\f';
        return 0;
    case 'r':
        e->cp = '\r';
        return 0;
    case '0':
        if (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
            fail(ps, "octal escapes are not supported");
            return -1;
        }
        e->cp = 0;
        return 0;
    case 'c':
        if (ps->p < ps->end && ((*ps->p | 0x20) >= 'a' && (*ps->p | 0x20) <= 'z')) {
            e->cp = *ps->p++ % 32;
            return 0;
        }
        fail(ps, "\\c must be followed by a letter");
        return -1;
    case 'x': {
        long v = read_hex(ps, 2);
        if (v < 0) {
            fail(ps, "\\x must be followed by two hex digits");
            return -1;
        }
        e->cp = (uint32_t)v;
        return 0;
    }
    case 'u': {
        long v = read_unicode_escape(ps);
        if (v < 0) {
            fail(ps, "malformed \\u escape");
            return -1;
        }
        e->cp = (uint32_t)v;
        return 0;
    }
    case 'k':
        fail(ps, "backreferences are not supported");
        return -1;
    case 'p':
    case 'P':
        fail(ps, "Unicode property escapes (\\p{...}) are not supported");
        return -1;
    default:
        break;
    }
    if (c >= '1' && c <= '9') {
        fail(ps, "backreferences are not supported");
        return -1;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        snprintf(ps->err, ps->errlen, "unsupported escape \\%c", c);
        ps->status = SSEKIT_E_SCHEMA;
        return -1;
    }
    e->cp = (uint32_t)c;
    return 0;
}

/* One class atom: a code point, or a shorthand set (then *is_set). */
static int class_atom(re_parser *ps, uint32_t *cp, escape *e, int *is_set)
{
    *is_set = 0;
    if (*ps->p == '\\') {
        ps->p++;
        if (parse_escape(ps, 1, e))
            return -1;
        if (e->kind == ESC_SET) {
            *is_set = 1;
            return 0;
        }
        *cp = e->cp;
        return 0;
    }
    *cp = utf8_next(&ps->p, ps->end);
    return 0;
}

static uint32_t parse_class(re_parser *ps)
{
    uint32_t first = (uint32_t)(ps->ranges.len / sizeof(re_range));
    int negated = 0;
    if (ps->p < ps->end && *ps->p == '^') {
        negated = 1;
        ps->p++;
    }
    for (;;) {
        if (ps->p >= ps->end) {
            fail(ps, "unterminated character class");
            return NO_NODE;
        }
        if (*ps->p == ']') {
            ps->p++;
            break;
        }
        uint32_t lo, hi;
        escape e;
        int is_set;
        if (class_atom(ps, &lo, &e, &is_set))
            return NO_NODE;
        if (is_set) {
            if (add_set(ps, e.set, e.negated))
                return NO_NODE;
            continue;
        }
        /* A '-' between two atoms makes a range; elsewhere it is literal. */
        if (ps->end - ps->p >= 2 && ps->p[0] == '-' && ps->p[1] != ']') {
            ps->p++;
            if (class_atom(ps, &hi, &e, &is_set))
                return NO_NODE;
            if (is_set) {
                /* [a-\d]: Annex B treats the '-' as a literal. */
                if (add_range(ps, lo, lo) || add_range(ps, '-', '-') ||
                    add_set(ps, e.set, e.negated))
                    return NO_NODE;
                continue;
            }
            if (hi < lo) {
                fail(ps, "character class range out of order");
                return NO_NODE;
            }
            if (add_range(ps, lo, hi))
                return NO_NODE;
            continue;
        }
        if (add_range(ps, lo, lo))
            return NO_NODE;
    }
    uint32_t k = new_class(ps, first, (uint32_t)negated);
    return k == NO_NODE ? NO_NODE : new_node(ps, N_CLASS, k);
}

static uint32_t parse_alt(re_parser *ps);

/* Reads a decimal count of a quantifier, saturating above the limit. */
static int read_count(const unsigned char **pp, const unsigned char *end, uint32_t *out)
{
    const unsigned char *p = *pp;
    uint32_t v = 0;
    if (p >= end || *p < '0' || *p > '9')
        return -1;
    while (p < end && *p >= '0' && *p <= '9') {
        if (v <= SK_REGEX_MAX_REPEAT)
            v = v * 10 + (uint32_t)(*p - '0');
        p++;
    }
    *pp = p;
    *out = v;
    return 0;
}

/* Tries to read {n}, {n,} or {n,m} at ps->p; 0 when it is not a quantifier. */
static int brace_quantifier(re_parser *ps, uint32_t *min, uint32_t *max)
{
    const unsigned char *p = ps->p + 1;
    if (read_count(&p, ps->end, min))
        return 0;
    *max = *min;
    if (p < ps->end && *p == ',') {
        p++;
        if (p < ps->end && *p == '}')
            *max = REP_INF;
        else if (read_count(&p, ps->end, max))
            return 0;
    }
    if (p >= ps->end || *p != '}')
        return 0;
    ps->p = p + 1;
    return 1;
}

static int is_quantifier_start(re_parser *ps)
{
    if (ps->p >= ps->end)
        return 0;
    int c = *ps->p;
    if (c == '*' || c == '+' || c == '?')
        return 1;
    if (c == '{') {
        const unsigned char *save = ps->p;
        uint32_t a, b;
        int q = brace_quantifier(ps, &a, &b);
        ps->p = save;
        return q;
    }
    return 0;
}

static uint32_t parse_atom(re_parser *ps, int *assertion)
{
    int c = *ps->p;
    *assertion = 0;
    switch (c) {
    case '(': {
        ps->p++;
        if (ps->end - ps->p >= 2 && ps->p[0] == '?') {
            if (ps->p[1] == ':') {
                ps->p += 2;
            } else if (ps->p[1] == '<' && ps->end - ps->p >= 3 && ps->p[2] != '=' &&
                       ps->p[2] != '!') {
                const unsigned char *q = ps->p + 2;
                while (q < ps->end && *q != '>')
                    q++;
                if (q >= ps->end) {
                    fail(ps, "unterminated group name");
                    return NO_NODE;
                }
                ps->p = q + 1;
            } else {
                fail(ps, "lookahead and lookbehind are not supported");
                return NO_NODE;
            }
        } else if (ps->p < ps->end && *ps->p == '?') {
            fail(ps, "invalid group");
            return NO_NODE;
        }
        if (++ps->depth > SK_REGEX_MAX_NESTING) {
            fail(ps, "groups nested too deeply");
            return NO_NODE;
        }
        uint32_t n = parse_alt(ps);
        ps->depth--;
        if (n == NO_NODE)
            return NO_NODE;
        if (ps->p >= ps->end || *ps->p != ')') {
            fail(ps, "missing )");
            return NO_NODE;
        }
        ps->p++;
        return n;
    }
    case '[':
        ps->p++;
        return parse_class(ps);
    case '.': {
        ps->p++;
        return new_node(ps, N_ANY, 0);
    }
    case '^':
        ps->p++;
        *assertion = 1;
        return new_node(ps, N_BOL, 0);
    case '$':
        ps->p++;
        *assertion = 1;
        return new_node(ps, N_EOL, 0);
    case '\\': {
        escape e;
        ps->p++;
        if (parse_escape(ps, 0, &e))
            return NO_NODE;
        if (e.kind == ESC_SET)
            return class_node(ps, e.set, e.negated);
        if (e.kind == ESC_WORDB || e.kind == ESC_NWORDB) {
            *assertion = 1;
            return new_node(ps, e.kind == ESC_WORDB ? N_WORDB : N_NWORDB, 0);
        }
        return new_node(ps, N_CHAR, e.cp);
    }
    case '*':
    case '+':
    case '?':
        fail(ps, "nothing to repeat");
        return NO_NODE;
    default:
        break;
    }
    if (c == '{' && is_quantifier_start(ps)) {
        fail(ps, "nothing to repeat");
        return NO_NODE;
    }
    return new_node(ps, N_CHAR, utf8_next(&ps->p, ps->end));
}

static uint32_t parse_repeat(re_parser *ps)
{
    int assertion;
    uint32_t atom = parse_atom(ps, &assertion);
    if (atom == NO_NODE || !is_quantifier_start(ps))
        return atom;
    if (assertion) {
        fail(ps, "nothing to repeat");
        return NO_NODE;
    }
    uint32_t min = 0, max = REP_INF;
    int c = *ps->p;
    if (c == '{') {
        brace_quantifier(ps, &min, &max);
        if ((max != REP_INF && max > SK_REGEX_MAX_REPEAT) || min > SK_REGEX_MAX_REPEAT) {
            fail(ps, "repetition count too large");
            return NO_NODE;
        }
        if (max < min) {
            fail(ps, "numbers out of order in {} quantifier");
            return NO_NODE;
        }
    } else {
        ps->p++;
        min = c == '+' ? 1 : 0;
        max = c == '?' ? 1 : REP_INF;
    }
    if (ps->p < ps->end && *ps->p == '?')
        ps->p++; /* lazy: same yes/no answer */
    if (is_quantifier_start(ps)) {
        fail(ps, "nothing to repeat");
        return NO_NODE;
    }
    uint32_t n = new_node(ps, N_REP, 0);
    if (n == NO_NODE)
        return NO_NODE;
    NODE(ps, n).child = atom;
    NODE(ps, n).min = min;
    NODE(ps, n).max = max;
    return n;
}

/* A sequence: returns a CAT (or EMPTY) node. */
static uint32_t parse_cat(re_parser *ps)
{
    uint32_t cat = new_node(ps, N_CAT, 0), last = NO_NODE;
    if (cat == NO_NODE)
        return NO_NODE;
    while (ps->p < ps->end && *ps->p != '|' && *ps->p != ')') {
        uint32_t n = parse_repeat(ps);
        if (n == NO_NODE)
            return NO_NODE;
        if (last == NO_NODE)
            NODE(ps, cat).child = n;
        else
            NODE(ps, last).next = n;
        last = n;
    }
    return cat;
}

static uint32_t parse_alt(re_parser *ps)
{
    uint32_t first = parse_cat(ps);
    if (first == NO_NODE || ps->p >= ps->end || *ps->p != '|')
        return first;
    uint32_t alt = new_node(ps, N_ALT, 0), last = first;
    if (alt == NO_NODE)
        return NO_NODE;
    NODE(ps, alt).child = first;
    while (ps->p < ps->end && *ps->p == '|') {
        ps->p++;
        uint32_t n = parse_cat(ps);
        if (n == NO_NODE)
            return NO_NODE;
        NODE(ps, last).next = n;
        last = n;
    }
    return alt;
}

/* ---- code generation --------------------------------------------------- */

static size_t sat_add(size_t a, size_t b)
{
    size_t s = a + b;
    return s < a || s > SK_REGEX_MAX_INSTS + 1 ? SK_REGEX_MAX_INSTS + 1 : s;
}

static size_t sat_mul(size_t a, size_t b)
{
    if (a && b > (SK_REGEX_MAX_INSTS + 1) / a)
        return SK_REGEX_MAX_INSTS + 1;
    return sat_add(a * b, 0);
}

/* Instructions the node compiles to, saturated just above the limit.
 * Recursion follows group nesting, which the parser bounds. */
static size_t code_size(re_parser *ps, uint32_t n)
{
    re_node *nd = &NODE(ps, n);
    size_t s = 0, k = 0;
    switch (nd->type) {
    case N_CAT:
    case N_ALT:
        for (uint32_t c = nd->child; c != NO_NODE; c = NODE(ps, c).next, k++)
            s = sat_add(s, code_size(ps, c));
        if (nd->type == N_ALT && k > 1)
            s = sat_add(s, sat_mul(2, k - 1));
        return s;
    case N_REP: {
        size_t e = code_size(ps, nd->child);
        s = sat_mul(e, nd->min);
        if (nd->max == REP_INF)
            return sat_add(s, sat_add(e, 2));
        return sat_add(s, sat_mul(nd->max - nd->min, sat_add(e, 1)));
    }
    default:
        return 1;
    }
}

static uint32_t emit(re_parser *ps, uint32_t op, uint32_t a, uint32_t b)
{
    re_inst i = {op, a, b};
    if (sk_buf_append(ps->a, &ps->code, &i, sizeof i)) {
        nomem(ps);
        return 0;
    }
    return (uint32_t)(ps->code.len / sizeof i - 1);
}

#define INST(ps, i) (((re_inst *)(ps)->code.p)[i])
#define PC(ps) ((uint32_t)((ps)->code.len / sizeof(re_inst)))

static void gen(re_parser *ps, uint32_t n)
{
    re_node nd = NODE(ps, n);
    if (ps->status)
        return;
    switch (nd.type) {
    case N_CHAR:
        emit(ps, RI_CHAR, nd.val, 0);
        return;
    case N_ANY:
        emit(ps, RI_ANY, 0, 0);
        return;
    case N_CLASS:
        emit(ps, RI_CLASS, nd.val, 0);
        return;
    case N_BOL:
        emit(ps, RI_BOL, 0, 0);
        return;
    case N_EOL:
        emit(ps, RI_EOL, 0, 0);
        return;
    case N_WORDB:
        emit(ps, RI_WORDB, 0, 0);
        return;
    case N_NWORDB:
        emit(ps, RI_NWORDB, 0, 0);
        return;
    case N_CAT:
        for (uint32_t c = nd.child; c != NO_NODE; c = NODE(ps, c).next)
            gen(ps, c);
        return;
    case N_ALT: {
        /* SPLIT L1 L2; L1: a; JMP end; L2: SPLIT ... ; the JMPs are patched. */
        uint32_t jumps = NO_NODE; /* chain of JMPs to patch, linked through .a */
        for (uint32_t c = nd.child; c != NO_NODE && !ps->status; c = NODE(ps, c).next) {
            if (NODE(ps, c).next == NO_NODE) {
                gen(ps, c);
                break;
            }
            uint32_t split = emit(ps, RI_SPLIT, 0, 0);
            if (ps->status)
                return;
            INST(ps, split).a = PC(ps);
            gen(ps, c);
            uint32_t j = emit(ps, RI_JMP, jumps, 0);
            if (ps->status)
                return;
            jumps = j;
            INST(ps, split).b = PC(ps);
        }
        while (jumps != NO_NODE && !ps->status) {
            uint32_t next = INST(ps, jumps).a;
            INST(ps, jumps).a = PC(ps);
            jumps = next;
        }
        return;
    }
    case N_REP: {
        for (uint32_t i = 0; i < nd.min && !ps->status; i++)
            gen(ps, nd.child);
        if (nd.max == REP_INF) {
            uint32_t loop = emit(ps, RI_SPLIT, 0, 0);
            if (ps->status)
                return;
            INST(ps, loop).a = PC(ps);
            gen(ps, nd.child);
            emit(ps, RI_JMP, loop, 0);
            if (!ps->status)
                INST(ps, loop).b = PC(ps);
            return;
        }
        /* x{0,k}: k nested optional copies, every SPLIT exits to the end. */
        uint32_t splits = NO_NODE;
        for (uint32_t i = nd.min; i < nd.max && !ps->status; i++) {
            uint32_t s = emit(ps, RI_SPLIT, 0, splits);
            if (ps->status)
                return;
            splits = s;
            INST(ps, s).a = PC(ps);
            gen(ps, nd.child);
        }
        while (splits != NO_NODE && !ps->status) {
            uint32_t next = INST(ps, splits).b;
            INST(ps, splits).b = PC(ps);
            splits = next;
        }
        return;
    }
    default:
        return;
    }
}

int sk_regex_compile(const ssekit_alloc_funcs *a, const char *pat, size_t len, sk_regex **out,
                     char *err, size_t errlen)
{
    re_parser ps;
    memset(&ps, 0, sizeof ps);
    ps.a = a;
    ps.p = (const unsigned char *)pat;
    ps.end = ps.p + len;
    ps.err = err;
    ps.errlen = errlen;
    if (errlen)
        err[0] = 0;
    *out = NULL;

    uint32_t root = parse_alt(&ps);
    if (!ps.status && ps.p < ps.end)
        fail(&ps, "unmatched )");
    if (!ps.status && code_size(&ps, root) + 1 > SK_REGEX_MAX_INSTS)
        fail(&ps, "pattern too large once its repetitions are expanded");
    if (!ps.status) {
        gen(&ps, root);
        emit(&ps, RI_MATCH, 0, 0);
    }
    if (!ps.status) {
        /* One block: header, program, classes, ranges (all 4-byte aligned). */
        size_t hdr = (sizeof(sk_regex) + 7) & ~(size_t)7;
        size_t total = hdr + ps.code.len + ps.classes.len + ps.ranges.len;
        char *blk = sk_malloc(a, total);
        if (!blk) {
            nomem(&ps);
        } else {
            sk_regex *re = (sk_regex *)blk;
            char *p = blk + hdr;
            if (ps.code.len)
                memcpy(p, ps.code.p, ps.code.len);
            re->prog = (const re_inst *)p;
            re->ninst = ps.code.len / sizeof(re_inst);
            p += ps.code.len;
            if (ps.classes.len)
                memcpy(p, ps.classes.p, ps.classes.len);
            re->classes = (const re_class *)p;
            p += ps.classes.len;
            if (ps.ranges.len)
                memcpy(p, ps.ranges.p, ps.ranges.len);
            re->ranges = (const re_range *)p;
            *out = re;
        }
    }
    sk_buf_free(a, &ps.nodes);
    sk_buf_free(a, &ps.classes);
    sk_buf_free(a, &ps.ranges);
    sk_buf_free(a, &ps.code);
    return ps.status;
}

void sk_regex_free(const ssekit_alloc_funcs *a, sk_regex *re)
{
    sk_free(a, re);
}

/* ---- matching ---------------------------------------------------------- */

#define CP_NONE UINT32_MAX          /* before the start of the text */
#define CP_END (UINT32_MAX - 1)     /* after the end of a closed string */
#define CP_UNKNOWN (UINT32_MAX - 2) /* after the end of an open string */

typedef struct re_vm {
    const sk_regex *re;
    uint32_t *list[2];
    size_t count[2];
    uint32_t *stack;
    uint32_t *mark;
    uint32_t gen;
    int matched;       /* reached MATCH with everything known */
    int matched_maybe; /* reached MATCH assuming what follows an open string */
} re_vm;

size_t sk_regex_scratch_size(const sk_regex *re)
{
    return 4 * re->ninst * sizeof(uint32_t);
}

static int is_word(uint32_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int class_has(const sk_regex *re, uint32_t k, uint32_t c)
{
    const re_class *cl = &re->classes[k];
    int in = 0;
    for (uint32_t i = 0; i < cl->count && !in; i++)
        in = c >= re->ranges[cl->first + i].lo && c <= re->ranges[cl->first + i].hi;
    return in != (int)cl->negated;
}

/* Does an assertion hold between prev and next? Unknown text after an open
 * string may satisfy it, so it holds then: the answer must never be "no
 * match possible" when some continuation would match. */
static int assertion_holds(uint32_t op, uint32_t prev, uint32_t next)
{
    if (next == CP_UNKNOWN && op != RI_BOL)
        return 1;
    switch (op) {
    case RI_BOL:
        return prev == CP_NONE;
    case RI_EOL:
        return next == CP_END;
    case RI_WORDB:
    case RI_NWORDB: {
        int a = prev != CP_NONE && is_word(prev);
        int b = next != CP_END && is_word(next);
        return (a != b) == (op == RI_WORDB);
    }
    default:
        return 0;
    }
}

/* Adds pc and everything reachable from it without consuming a character. */
static void add_thread(re_vm *vm, int which, uint32_t pc, uint32_t prev, uint32_t next)
{
    size_t sp = 0;
    if (vm->mark[pc] == vm->gen)
        return;
    vm->mark[pc] = vm->gen;
    vm->stack[sp++] = pc;
    while (sp) {
        const re_inst *in = &vm->re->prog[vm->stack[--sp]];
        uint32_t t[2];
        int nt = 0;
        switch (in->op) {
        case RI_JMP:
            t[nt++] = in->a;
            break;
        case RI_SPLIT:
            t[nt++] = in->a;
            t[nt++] = in->b;
            break;
        case RI_BOL:
        case RI_EOL:
        case RI_WORDB:
        case RI_NWORDB:
            if (assertion_holds(in->op, prev, next))
                t[nt++] = (uint32_t)(in - vm->re->prog) + 1;
            break;
        case RI_MATCH:
            if (next == CP_UNKNOWN)
                vm->matched_maybe = 1;
            else
                vm->matched = 1;
            break;
        default:
            vm->list[which][vm->count[which]++] = (uint32_t)(in - vm->re->prog);
            break;
        }
        for (int i = 0; i < nt; i++) {
            if (vm->mark[t[i]] != vm->gen) {
                vm->mark[t[i]] = vm->gen;
                vm->stack[sp++] = t[i];
            }
        }
    }
}

static int consumes(const sk_regex *re, const re_inst *in, uint32_t c)
{
    switch (in->op) {
    case RI_CHAR:
        return in->a == c;
    case RI_ANY:
        return c != '\n' && c != '\r' && c != 0x2028 && c != 0x2029;
    case RI_CLASS:
        return class_has(re, in->a, c);
    default:
        return 0;
    }
}

static void next_gen(re_vm *vm)
{
    if (++vm->gen == 0) {
        memset(vm->mark, 0, vm->re->ninst * sizeof(uint32_t));
        vm->gen = 1;
    }
}

int sk_regex_match(const sk_regex *re, const char *s, size_t n, int open, void *scratch)
{
    re_vm vm;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    uint32_t *base = scratch;
    vm.re = re;
    vm.list[0] = base;
    vm.list[1] = base + re->ninst;
    vm.stack = base + 2 * re->ninst;
    vm.mark = base + 3 * re->ninst;
    memset(vm.mark, 0, re->ninst * sizeof(uint32_t));
    vm.gen = 1;
    vm.count[0] = vm.count[1] = 0;
    vm.matched = vm.matched_maybe = 0;

    uint32_t after = open ? CP_UNKNOWN : CP_END;
    uint32_t prev = CP_NONE;
    uint32_t cur = p < end ? utf8_next(&p, end) : after;
    int which = 0;
    for (;;) {
        /* A new attempt starts at every position: the search is unanchored. */
        add_thread(&vm, which, 0, prev, cur);
        if (vm.matched)
            return SK_RE_MATCH;
        if (cur == CP_END || cur == CP_UNKNOWN)
            break;
        uint32_t nxt = p < end ? utf8_next(&p, end) : after;
        next_gen(&vm);
        int other = !which;
        vm.count[other] = 0;
        for (size_t i = 0; i < vm.count[which]; i++) {
            uint32_t pc = vm.list[which][i];
            if (consumes(re, &re->prog[pc], cur))
                add_thread(&vm, other, pc + 1, cur, nxt);
        }
        if (vm.matched)
            return SK_RE_MATCH;
        which = other;
        prev = cur;
        cur = nxt;
    }
    if (open && (vm.count[which] || vm.matched_maybe))
        return SK_RE_MAYBE;
    return SK_RE_NOMATCH;
}

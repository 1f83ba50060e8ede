/* Tests of the schema validator (lib/schema.c) and its regex engine
 * (lib/schema_regex.c): every keyword on complete trees, partial trees fed
 * byte by byte (a violation must appear exactly when it becomes certain and
 * stay), an OpenAI strict-mode schema on real provider outputs, progress,
 * compile errors, limits and allocation failures. Trees come from the real
 * partial JSON builder. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "check.h"
#include "fail_alloc.h"
#include "schema_regex.h"
#include "ssekit/partial_json.h"
#include "ssekit/schema.h"
#include "ssekit/status.h"

/* ---- helpers ------------------------------------------------------------ */

static ssekit_schema *compile_ok(const char *schema)
{
    ssekit_schema_error err;
    ssekit_schema *s = ssekit_schema_compile(schema, strlen(schema), NULL, &err);
    if (!s)
        fprintf(stderr, "schema failed: %s at '%s': %s\n", schema, err.pointer, err.message);
    REQUIRE(s);
    return s;
}

static ssekit_partial *parse_all(const char *json)
{
    ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
    REQUIRE(b);
    REQUIRE(ssekit_partial_feed(b, json, strlen(json)) == SSEKIT_OK);
    int rc = ssekit_partial_finish(b);
    if (rc != SSEKIT_OK)
        fprintf(stderr, "bad test document: %s\n", json);
    REQUIRE(rc == SSEKIT_OK);
    return b;
}

#define MAXREC 16

typedef struct rec {
    int n;
    char path[MAXREC][256];
    char kw[MAXREC][40];
    char msg[MAXREC][300];
    char spath[MAXREC][256];
} rec;

static int rec_cb(void *user, const ssekit_schema_violation *v)
{
    rec *r = user;
    if (r->n < MAXREC) {
        snprintf(r->path[r->n], sizeof r->path[0], "%s", v->path);
        snprintf(r->kw[r->n], sizeof r->kw[0], "%s", v->keyword);
        snprintf(r->msg[r->n], sizeof r->msg[0], "%s", v->message);
        snprintf(r->spath[r->n], sizeof r->spath[0], "%s", v->schema_path);
    }
    r->n++;
    return 0;
}

/* Validates a complete document; returns the violation count, fills r. */
static int validate_doc(const ssekit_schema *s, const char *json, unsigned flags, rec *r)
{
    ssekit_partial *b = parse_all(json);
    memset(r, 0, sizeof *r);
    int n = ssekit_schema_validate(s, ssekit_partial_root(b), flags, rec_cb, r);
    CHECKF(n < 0 || n == r->n, "returned %d, callback saw %d", n, r->n);
    ssekit_partial_free(b);
    return n;
}

/* ---- keywords on complete documents -------------------------------------- */

typedef struct kcase {
    const char *schema;
    const char *doc;
    const char *path; /* NULL: valid; else the first violation's path */
    const char *kw;   /* and keyword */
} kcase;

static const kcase keyword_cases[] = {
    /* type */
    {"{\"type\":\"string\"}", "\"x\"", NULL, NULL},
    {"{\"type\":\"string\"}", "1", "", "type"},
    {"{\"type\":\"integer\"}", "3", NULL, NULL},
    {"{\"type\":\"integer\"}", "3.0", NULL, NULL},
    {"{\"type\":\"integer\"}", "1e2", NULL, NULL},
    {"{\"type\":\"integer\"}", "12.50e1", NULL, NULL},
    {"{\"type\":\"integer\"}", "-0", NULL, NULL},
    {"{\"type\":\"integer\"}", "3.5", "", "type"},
    {"{\"type\":\"integer\"}", "1e-1", "", "type"},
    {"{\"type\":\"integer\"}", "\"3\"", "", "type"},
    {"{\"type\":\"number\"}", "3", NULL, NULL},
    {"{\"type\":\"number\"}", "-3.25e-2", NULL, NULL},
    {"{\"type\":\"number\"}", "true", "", "type"},
    {"{\"type\":\"boolean\"}", "false", NULL, NULL},
    {"{\"type\":\"boolean\"}", "0", "", "type"},
    {"{\"type\":\"null\"}", "null", NULL, NULL},
    {"{\"type\":\"null\"}", "\"\"", "", "type"},
    {"{\"type\":\"array\"}", "[]", NULL, NULL},
    {"{\"type\":\"array\"}", "{}", "", "type"},
    {"{\"type\":\"object\"}", "{}", NULL, NULL},
    {"{\"type\":\"object\"}", "[]", "", "type"},
    {"{\"type\":[\"string\",\"null\"]}", "null", NULL, NULL},
    {"{\"type\":[\"string\",\"null\"]}", "\"a\"", NULL, NULL},
    {"{\"type\":[\"string\",\"null\"]}", "0", "", "type"},
    {"{\"type\":[\"integer\",\"boolean\"]}", "2.5", "", "type"},
    /* properties, required, additionalProperties */
    {"{\"properties\":{\"a\":{\"type\":\"string\"}}}", "{\"a\":\"x\",\"b\":1}", NULL, NULL},
    {"{\"properties\":{\"a\":{\"type\":\"string\"}}}", "{\"a\":1}", "/a", "type"},
    {"{\"properties\":{\"a\":{\"type\":\"string\"}}}", "[1]", NULL, NULL},
    {"{\"properties\":{\"a/b\":{\"type\":\"string\"},\"c~d\":{\"type\":\"null\"}}}",
     "{\"a/b\":\"\",\"c~d\":0}", "/c~0d", "type"},
    {"{\"properties\":{\"a/b\":{\"type\":\"string\"}}}", "{\"a/b\":0}", "/a~1b", "type"},
    {"{\"required\":[\"a\",\"b\"]}", "{\"a\":1,\"b\":2}", NULL, NULL},
    {"{\"required\":[\"a\",\"b\"]}", "{\"a\":1}", "", "required"},
    {"{\"required\":[\"a\"]}", "\"not an object\"", NULL, NULL},
    {"{\"properties\":{\"a\":{}},\"additionalProperties\":false}", "{\"a\":1}", NULL, NULL},
    {"{\"properties\":{\"a\":{}},\"additionalProperties\":false}", "{\"a\":1,\"b\":2}", "/b",
     "additionalProperties"},
    {"{\"additionalProperties\":{\"type\":\"number\"}}", "{\"x\":1,\"y\":2}", NULL, NULL},
    {"{\"additionalProperties\":{\"type\":\"number\"}}", "{\"x\":1,\"y\":\"2\"}", "/y", "type"},
    {"{\"properties\":{\"a\":false}}", "{\"a\":null}", "/a", "properties"},
    {"{\"minProperties\":2}", "{\"a\":1}", "", "minProperties"},
    {"{\"maxProperties\":1}", "{\"a\":1,\"b\":2}", "", "maxProperties"},
    /* items, prefixItems, min/maxItems, uniqueItems */
    {"{\"items\":{\"type\":\"integer\"}}", "[1,2,3]", NULL, NULL},
    {"{\"items\":{\"type\":\"integer\"}}", "[1,\"2\",3]", "/1", "type"},
    {"{\"prefixItems\":[{\"type\":\"string\"},{\"type\":\"number\"}]}", "[\"a\",1,null]", NULL,
     NULL},
    {"{\"prefixItems\":[{\"type\":\"string\"}],\"items\":false}", "[\"a\",1]", "/1", "items"},
    {"{\"items\":[{\"type\":\"string\"}]}", "[1]", "/0", "type"}, /* draft-4 tuple */
    {"{\"minItems\":2}", "[1]", "", "minItems"},
    {"{\"minItems\":2}", "[1,2]", NULL, NULL},
    {"{\"maxItems\":-0}", "[]", NULL, NULL},
    {"{\"maxItems\":2.0}", "[1,2]", NULL, NULL},
    {"{\"maxItems\":2}", "[1,2,3]", "", "maxItems"},
    {"{\"uniqueItems\":true}", "[1,2,\"1\",[1],{\"a\":1}]", NULL, NULL},
    {"{\"uniqueItems\":true}", "[1,2,1.0]", "", "uniqueItems"},
    {"{\"uniqueItems\":true}", "[{\"a\":[1,2],\"b\":2},{\"b\":2,\"a\":[1,2]}]", "", "uniqueItems"},
    /* enum, const */
    {"{\"enum\":[\"red\",\"green\",null,2]}", "\"green\"", NULL, NULL},
    {"{\"enum\":[\"red\",\"green\",null,2]}", "null", NULL, NULL},
    {"{\"enum\":[\"red\",\"green\",null,2]}", "2.0", NULL, NULL},
    {"{\"enum\":[\"red\",\"green\",null,2]}", "\"gree\"", "", "enum"},
    {"{\"enum\":[\"red\",\"green\",null,2]}", "false", "", "enum"},
    {"{\"enum\":[[1,{\"a\":true}]]}", "[1,{\"a\":true}]", NULL, NULL},
    {"{\"enum\":[[1,{\"a\":true}]]}", "[1,{\"a\":true,\"b\":1}]", "", "enum"},
    {"{\"enum\":[[1,{\"a\":true}]]}", "[1]", "", "enum"},
    {"{\"const\":\"caf\\u00e9\"}", "\"caf\\u00e9\"", NULL, NULL},
    {"{\"const\":\"caf\\u00e9\"}", "\"cafe\"", "", "const"},
    {"{\"const\":{\"x\":[1,2]}}", "{\"x\":[1,2]}", NULL, NULL},
    {"{\"const\":{\"x\":[1,2]}}", "{\"x\":[1,2,3]}", "", "const"},
    {"{\"const\":false}", "0", "", "const"},
    /* numbers */
    {"{\"minimum\":1.5}", "1.5", NULL, NULL},
    {"{\"minimum\":1.5}", "1.4", "", "minimum"},
    {"{\"exclusiveMinimum\":1.5}", "1.5", "", "exclusiveMinimum"},
    {"{\"exclusiveMinimum\":1.5}", "1.6", NULL, NULL},
    {"{\"maximum\":10}", "10", NULL, NULL},
    {"{\"maximum\":10}", "10.01", "", "maximum"},
    {"{\"exclusiveMaximum\":10}", "10", "", "exclusiveMaximum"},
    {"{\"minimum\":5,\"exclusiveMinimum\":true}", "5", "", "exclusiveMinimum"}, /* draft 4 */
    {"{\"maximum\":5,\"exclusiveMaximum\":false}", "5", NULL, NULL},
    {"{\"minimum\":0}", "\"-1\"", NULL, NULL},
    {"{\"multipleOf\":0.1}", "0.3", NULL, NULL},
    {"{\"multipleOf\":2}", "7", "", "multipleOf"},
    {"{\"multipleOf\":0.01}", "19.99", NULL, NULL},
    /* strings */
    {"{\"minLength\":3}", "\"\\u00e9\\u4e2d\\ud83d\\ude00\"", NULL, NULL}, /* 3 code points */
    {"{\"maxLength\":3}", "\"\\u00e9\\u4e2d\\ud83d\\ude00\"", NULL, NULL},
    {"{\"maxLength\":2}", "\"\\u00e9\\u4e2d\\ud83d\\ude00\"", "", "maxLength"},
    {"{\"minLength\":4}", "\"\\u00e9\\u4e2d\\ud83d\\ude00\"", "", "minLength"},
    {"{\"minLength\":1}", "5", NULL, NULL},
    {"{\"pattern\":\"^[a-z]+-\\\\d{2,3}$\"}", "\"abc-12\"", NULL, NULL},
    {"{\"pattern\":\"^[a-z]+-\\\\d{2,3}$\"}", "\"abc-1234\"", "", "pattern"},
    {"{\"pattern\":\"o\\\\w\"}", "\"hello world\"", NULL, NULL}, /* unanchored */
    {"{\"pattern\":\"^\\\\S+@\\\\S+\\\\.\\\\S+$\"}", "\"a@b.c\"", NULL, NULL},
    {"{\"pattern\":\"^\\\\S+@\\\\S+\\\\.\\\\S+$\"}", "\"a b@c.d\"", "", "pattern"},
    {"{\"pattern\":\"^.{3}$\"}", "\"\\u00e9\\u4e2d\\ud83d\\ude00\"", NULL, NULL},
    {"{\"pattern\":\"^[^\\u4e00-\\u9fff]*$\"}", "\"caf\\u00e9\"", NULL, NULL},
    {"{\"pattern\":\"^[^\\u4e00-\\u9fff]*$\"}", "\"ab\\u4e2d\"", "", "pattern"},
    /* applicators */
    {"{\"allOf\":[{\"type\":\"number\"},{\"minimum\":2}]}", "3", NULL, NULL},
    {"{\"allOf\":[{\"type\":\"number\"},{\"minimum\":2}]}", "1", "", "minimum"},
    {"{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"number\"}]}", "1", NULL, NULL},
    {"{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"number\"}]}", "null", "", "anyOf"},
    /* anyOf with only one alternative of the value's type: its own errors */
    {"{\"anyOf\":[{\"type\":\"object\",\"required\":[\"a\"]},{\"type\":\"null\"}]}", "{}", "",
     "required"},
    {"{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}", "1", NULL, NULL},
    {"{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}", "3", "", "oneOf"},
    /* only {"minimum":2} accepts a non-integer: its own violation */
    {"{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}", "1.5", "", "minimum"},
    {"{\"not\":{\"type\":\"string\"}}", "1", NULL, NULL},
    {"{\"not\":{\"type\":\"string\"}}", "\"a\"", "", "not"},
    {"true", "{\"anything\":[1]}", NULL, NULL},
    {"false", "1", "", "false"},
    /* $ref */
    {"{\"$defs\":{\"n\":{\"type\":\"number\"}},\"properties\":{\"x\":{\"$ref\":\"#/$defs/n\"}}}",
     "{\"x\":1}", NULL, NULL},
    {"{\"$defs\":{\"n\":{\"type\":\"number\"}},\"properties\":{\"x\":{\"$ref\":\"#/$defs/n\"}}}",
     "{\"x\":\"1\"}", "/x", "type"},
    {"{\"definitions\":{\"n\":{\"type\":\"number\"}},\"items\":{\"$ref\":\"#/definitions/n\"}}",
     "[1,true]", "/1", "type"},
    {"{\"$defs\":{\"a b\":{\"const\":1}},\"$ref\":\"#/$defs/a%20b\"}", "2", "", "const"},
    {"{\"$defs\":{\"s\":{\"type\":\"string\"}},\"$ref\":\"#/$defs/s\",\"maxLength\":1}", "\"ab\"",
     "", "maxLength"}, /* siblings of $ref apply */
    /* recursive: a tree of nodes */
    {"{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integer\"},"
     "\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/node\"}}},"
     "\"required\":[\"v\"],\"additionalProperties\":false}},\"$ref\":\"#/$defs/node\"}",
     "{\"v\":1,\"kids\":[{\"v\":2},{\"v\":3,\"kids\":[{\"v\":4,\"kids\":[]}]}]}", NULL, NULL},
    {"{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integer\"},"
     "\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/node\"}}},"
     "\"required\":[\"v\"],\"additionalProperties\":false}},\"$ref\":\"#/$defs/node\"}",
     "{\"v\":1,\"kids\":[{\"v\":2},{\"v\":3,\"kids\":[{\"v\":4.5}]}]}", "/kids/1/kids/0/v", "type"},
    {"{\"properties\":{\"next\":{\"$ref\":\"#\"}},\"type\":\"object\"}",
     "{\"next\":{\"next\":{\"next\":[]}}}", "/next/next/next", "type"},
    /* annotations and unknown keywords are ignored */
    {"{\"title\":\"t\",\"description\":\"d\",\"format\":\"email\",\"default\":3,\"examples\":[1],"
     "\"x-vendor\":{\"type\":\"bogus\"},\"$schema\":\"https://json-schema.org/draft/2020-12/"
     "schema\","
     "\"$comment\":\"c\"}",
     "\"not an email\"", NULL, NULL},
};

static void test_keywords(void)
{
    for (size_t i = 0; i < sizeof keyword_cases / sizeof keyword_cases[0]; i++) {
        const kcase *k = &keyword_cases[i];
        ssekit_schema *s = compile_ok(k->schema);
        rec r;
        int n = validate_doc(s, k->doc, 0, &r);
        if (!k->path) {
            CHECKF(n == 0, "schema %s doc %s: %d violations, first %s %s: %s", k->schema, k->doc, n,
                   r.path[0], r.kw[0], r.msg[0]);
        } else {
            CHECKF(n >= 1, "schema %s doc %s: expected a violation", k->schema, k->doc);
            CHECKF(n >= 1 && !strcmp(r.path[0], k->path) && !strcmp(r.kw[0], k->kw),
                   "schema %s doc %s: got %s %s (%s), want %s %s", k->schema, k->doc, r.path[0],
                   r.kw[0], r.msg[0], k->path, k->kw);
        }
        /* A complete document gives the same answer in partial mode. */
        rec r2;
        int n2 = validate_doc(s, k->doc, SSEKIT_SCHEMA_PARTIAL, &r2);
        CHECKF(n2 == n, "schema %s doc %s: partial mode %d, full mode %d", k->schema, k->doc, n2,
               n);
        ssekit_schema_free(s);
    }
}

static void test_messages(void)
{
    ssekit_schema *s = compile_ok(
        "{\"type\":\"object\",\"properties\":{\"age\":{\"type\":\"integer\",\"minimum\":0},"
        "\"name\":{\"type\":\"string\"}},\"required\":[\"name\",\"age\"],"
        "\"additionalProperties\":false}");
    rec r;
    int n = validate_doc(s, "{\"age\":-3,\"nick\":\"x\"}", 0, &r);
    CHECK(n == 3);
    /* each violation once, with its schema location */
    int seen_req = 0, seen_min = 0, seen_add = 0;
    for (int i = 0; i < r.n && i < MAXREC; i++) {
        if (!strcmp(r.kw[i], "required")) {
            seen_req++;
            CHECK(!strcmp(r.path[i], ""));
            CHECK(strstr(r.msg[i], "\"name\"") != NULL);
            CHECK(!strcmp(r.spath[i], "/required"));
        } else if (!strcmp(r.kw[i], "minimum")) {
            seen_min++;
            CHECK(!strcmp(r.path[i], "/age"));
            CHECK(strstr(r.msg[i], "-3") != NULL);
            CHECK(!strcmp(r.spath[i], "/properties/age/minimum"));
        } else if (!strcmp(r.kw[i], "additionalProperties")) {
            seen_add++;
            CHECK(!strcmp(r.path[i], "/nick"));
            CHECK(!strcmp(r.spath[i], "/additionalProperties"));
        }
    }
    CHECK(seen_req == 1 && seen_min == 1 && seen_add == 1);

    n = validate_doc(s, "{\"name\":5,\"age\":1}", 0, &r);
    CHECK(n == 1 && !strcmp(r.msg[0], "expected string, got number"));
    n = validate_doc(s, "{\"name\":\"x\",\"age\":1.5}", 0, &r);
    CHECK(n == 1 && !strcmp(r.msg[0], "expected integer, got number"));
    n = validate_doc(s, "{\"name\":[],\"age\":1}", 0, &r);
    CHECK(n == 1 && !strcmp(r.msg[0], "expected string, got array"));

    /* the convenience collector copies the first N, counts them all */
    ssekit_partial *b = parse_all("{\"age\":-3,\"nick\":\"x\"}");
    ssekit_schema_message m[2];
    memset(m, 0x55, sizeof m);
    n = ssekit_schema_validate_collect(s, ssekit_partial_root(b), 0, m, 2);
    CHECK(n == 3);
    CHECK(m[0].path[sizeof m[0].path - 1] != 0x55 || strlen(m[0].path) < sizeof m[0].path);
    CHECK(strlen(m[0].keyword) > 0 && strlen(m[1].keyword) > 0);
    CHECK(ssekit_schema_validate_collect(s, ssekit_partial_root(b), 0, NULL, 0) == 3);
    CHECK(ssekit_schema_validate(s, ssekit_partial_root(b), 0, NULL, NULL) == 3);
    ssekit_partial_free(b);

    /* NULL root: nothing yet in partial mode; "no value" when final */
    CHECK(ssekit_schema_validate(s, NULL, SSEKIT_SCHEMA_PARTIAL, NULL, NULL) == 0);
    CHECK(ssekit_schema_validate(s, NULL, 0, NULL, NULL) == 1);
    CHECK(ssekit_schema_validate(NULL, NULL, 0, NULL, NULL) == SSEKIT_E_INVALID);
    ssekit_schema_free(s);

    /* long paths are truncated with "..." in the collector */
    char schema[64], doc[700];
    snprintf(schema, sizeof schema, "{\"additionalProperties\":false}");
    s = compile_ok(schema);
    memset(doc, 0, sizeof doc);
    strcpy(doc, "{\"");
    memset(doc + 2, 'k', 600);
    strcat(doc, "\":1}");
    b = parse_all(doc);
    n = ssekit_schema_validate_collect(s, ssekit_partial_root(b), 0, m, 1);
    CHECK(n == 1);
    CHECK(strlen(m[0].path) == sizeof m[0].path - 1);
    CHECK(!strcmp(m[0].path + sizeof m[0].path - 4, "..."));
    ssekit_partial_free(b);
    ssekit_schema_free(s);
}

static int stop_cb(void *user, const ssekit_schema_violation *v)
{
    (void)v;
    (*(int *)user)++;
    return 1;
}

static void test_stop(void)
{
    ssekit_schema *s = compile_ok("{\"items\":{\"type\":\"string\"}}");
    ssekit_partial *b = parse_all("[1,2,3]");
    int calls = 0;
    CHECK(ssekit_schema_validate(s, ssekit_partial_root(b), 0, stop_cb, &calls) ==
          SSEKIT_E_STOPPED);
    CHECK(calls == 1);
    ssekit_partial_free(b);
    ssekit_schema_free(s);
}

/* ---- partial trees, byte by byte ----------------------------------------- */

static int same_recs(const rec *a, const rec *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n && i < MAXREC; i++)
        if (strcmp(a->path[i], b->path[i]) || strcmp(a->kw[i], b->kw[i]) ||
            strcmp(a->msg[i], b->msg[i]) || strcmp(a->spath[i], b->spath[i]))
            return 0;
    return 1;
}

/* Feeds doc one byte at a time and validates in partial mode after each.
 * Returns the number of bytes fed when the first violation appeared (0 when
 * none did), checking on the way that a violation, once reported, stays, and
 * that a checker (which skips what it has seen complete and valid) reports
 * exactly the same. The final validation in full mode must agree. `first`
 * receives the first violation. */
static size_t sweep(const ssekit_schema *s, const char *doc, rec *first)
{
    size_t len = strlen(doc), at = 0;
    ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
    ssekit_schema_checker *ck = ssekit_schema_checker_new(s, NULL);
    REQUIRE(b && ck);
    memset(first, 0, sizeof *first);
    for (size_t i = 0; i < len; i++) {
        REQUIRE(ssekit_partial_feed(b, doc + i, 1) == SSEKIT_OK);
        rec r, rc;
        memset(&r, 0, sizeof r);
        memset(&rc, 0, sizeof rc);
        int n =
            ssekit_schema_validate(s, ssekit_partial_root(b), SSEKIT_SCHEMA_PARTIAL, rec_cb, &r);
        CHECKF(n >= 0, "validate failed: %d", n);
        int nc = ssekit_schema_checker_validate(ck, ssekit_partial_root(b), SSEKIT_SCHEMA_PARTIAL,
                                                rec_cb, &rc);
        CHECKF(nc == n && same_recs(&r, &rc), "%s after %zu bytes: checker %d (%s %s), validate %d",
               doc, i + 1, nc, rc.path[0], rc.kw[0], n);
        if (n > 0 && !at) {
            at = i + 1;
            *first = r;
        }
        CHECKF(!at || n > 0, "violation disappeared after %zu bytes of %s", i + 1, doc);
    }
    REQUIRE(ssekit_partial_finish(b) == SSEKIT_OK);
    int full = ssekit_schema_validate(s, ssekit_partial_root(b), 0, NULL, NULL);
    int part = ssekit_schema_validate(s, ssekit_partial_root(b), SSEKIT_SCHEMA_PARTIAL, NULL, NULL);
    CHECKF(full == part, "complete %s: full %d, partial %d", doc, full, part);
    CHECK(ssekit_schema_checker_validate(ck, ssekit_partial_root(b), 0, NULL, NULL) == full);
    ssekit_schema_checker_free(ck);
    CHECKF((full > 0) == (at > 0), "complete %s: full mode %d violations, sweep first at %zu", doc,
           full, at);
    ssekit_partial_free(b);
    return at;
}

/* The number of bytes after which the member or element at `pointer` is
 * visible in the builder's tree (how the builder shows values is its
 * business; a violation about a value cannot come before the value). */
static size_t visible_at(const char *doc, const char *pointer)
{
    size_t len = strlen(doc), at = 0;
    ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
    REQUIRE(b);
    for (size_t i = 0; i < len && !at; i++) {
        REQUIRE(ssekit_partial_feed(b, doc + i, 1) == SSEKIT_OK);
        if (ssekit_json_get(ssekit_partial_root(b), pointer))
            at = i + 1;
    }
    if (!at) {
        ssekit_partial_finish(b);
        if (ssekit_json_get(ssekit_partial_root(b), pointer))
            at = len;
    }
    ssekit_partial_free(b);
    return at;
}

/* Bytes up to and including the end of the first occurrence of `mark`. */
static size_t after(const char *doc, const char *mark)
{
    const char *p = strstr(doc, mark);
    REQUIRE(p);
    return (size_t)(p - doc) + strlen(mark);
}

typedef struct pcase {
    const char *schema;
    const char *doc;
    /* Where the violation becomes certain: after the first occurrence of
     * `mark` (NULL: a valid document); `visible`: or once the value at this
     * pointer is visible, if that is later (scalars appear only complete). */
    const char *mark;
    const char *visible;
    const char *path, *kw;
} pcase;

#define OBJ_COLOR "{\"type\":\"object\",\"properties\":{\"color\":{\"enum\":[\"red\",\"green\"]}}}"

static const pcase partial_cases[] = {
    /* an open string that is still a prefix of an allowed value is fine */
    {OBJ_COLOR, "{\"color\":\"green\"}", NULL, NULL, NULL, NULL},
    /* ... until it no longer is: "gre" could become "green", "grey" cannot */
    {OBJ_COLOR, "{\"color\":\"grey\"}", "\"grey", NULL, "/color", "enum"},
    /* a closed string that is a prefix of an allowed value: at the quote */
    {OBJ_COLOR, "{\"color\":\"gree\"}", "\"gree\"", NULL, "/color", "enum"},
    /* wrong type: certain as soon as the value starts */
    {"{\"properties\":{\"n\":{\"type\":\"integer\"}}}", "{\"n\":\"5\"}", "\"n\":\"", NULL, "/n",
     "type"},
    {"{\"properties\":{\"n\":{\"type\":\"integer\"}}}", "{\"n\":[5]}", "\"n\":[", NULL, "/n",
     "type"},
    {"{\"properties\":{\"n\":{\"type\":\"integer\"}}}", "{\"n\":1.5}", "1.5", "/n", "/n", "type"},
    {"{\"type\":\"object\"}", "[1,2]", "[", NULL, "", "type"},
    /* required, minLength, minItems: only when the value closes */
    {"{\"required\":[\"a\",\"b\"]}", "{\"a\":\"x\",\"c\":\"y\"}", "\"y\"}", NULL, "", "required"},
    {"{\"required\":[\"a\",\"b\"]}", "{\"a\":\"x\",\"b\":\"y\"}", NULL, NULL, NULL, NULL},
    {"{\"items\":{\"minLength\":3}}", "[\"abc\",\"ab\"]", "\"ab\"", NULL, "/1", "minLength"},
    {"{\"minItems\":3}", "[\"a\",\"b\"]", "]", NULL, "", "minItems"},
    /* maxLength / maxItems: as soon as they are exceeded, while growing */
    {"{\"properties\":{\"s\":{\"maxLength\":3}}}", "{\"s\":\"ab\\u20acd!\"}", "\\u20acd", NULL,
     "/s", "maxLength"},
    {"{\"maxItems\":2}", "[\"a\",\"b\",\"c\"]", "\"b\",\"", NULL, "", "maxItems"},
    {"{\"maxItems\":2}", "[1,2,3]", "3", "/2", "", "maxItems"},
    /* forbidden property: as soon as the member is there */
    {"{\"properties\":{\"a\":{}},\"additionalProperties\":false}", "{\"a\":1,\"zz\":\"v\"}", "",
     "/zz", "/zz", "additionalProperties"},
    {"{\"properties\":{\"a\":{}},\"additionalProperties\":false}", "{\"a\":1,\"zz\":{}}", "", "/zz",
     "/zz", "additionalProperties"},
    /* numbers: once complete */
    {"{\"properties\":{\"t\":{\"minimum\":0}}}", "{\"t\":-5,\"u\":1}", "-5", "/t", "/t", "minimum"},
    {"{\"items\":{\"maximum\":9}}", "[1,10]", "10", "/1", "/1", "maximum"},
    /* pattern: on an open string as soon as no continuation can match */
    {"{\"pattern\":\"^[0-9]+$\"}", "\"12a4\"", "\"12a", NULL, "", "pattern"},
    /* ... an unanchored pattern can match later: only at the closing quote */
    {"{\"pattern\":\"[0-9]\"}", "\"abc\"", "\"abc\"", NULL, "", "pattern"},
    {"{\"pattern\":\"^ab\"}", "\"ac\"", "\"ac", NULL, "", "pattern"},
    {"{\"pattern\":\"ab$\"}", "\"abx\"", "\"abx\"", NULL, "", "pattern"},
    /* const on an open string */
    {"{\"const\":\"yes\"}", "\"yo\"", "\"yo", NULL, "", "const"},
    {"{\"const\":[1,2]}", "[1,3]", "3", "/1", "", "const"},
    {"{\"const\":[1,2]}", "[1,2,3]", "3", "/2", "", "const"},
    /* anyOf: only when every alternative is certainly violated */
    {"{\"anyOf\":[{\"type\":\"string\",\"maxLength\":2},{\"type\":\"number\"}]}", "\"abc\"",
     "\"abc", NULL, "", "maxLength"},
    {"{\"anyOf\":[{\"type\":\"string\",\"maxLength\":2},{\"type\":\"string\",\"pattern\":\"^x\"}]}",
     "\"abc\"", "\"abc", NULL, "", "anyOf"},
    {"{\"anyOf\":[{\"type\":\"string\",\"maxLength\":2},{\"type\":\"string\",\"pattern\":\"^x\"}]}",
     "\"xbcd\"", NULL, NULL, NULL, NULL},
    {"{\"anyOf\":[{\"const\":\"alpha\"},{\"const\":\"alps\"}]}", "\"alpine\"", "\"alpi", NULL, "",
     "anyOf"},
    /* oneOf and not */
    {"{\"oneOf\":[{\"const\":\"ab\"},{\"const\":\"abc\"}]}", "\"abc\"", NULL, NULL, NULL, NULL},
    {"{\"not\":{\"type\":\"string\"}}", "\"abc\"", "\"", NULL, "", "not"},
    {"{\"not\":{\"const\":\"ab\"}}", "\"ab\"", "\"ab\"", NULL, "", "not"},
    /* uniqueItems: when the second equal item is complete */
    {"{\"uniqueItems\":true}", "[\"a\",\"b\",\"a\"]", "\"a\",\"b\",\"a\"", NULL, "", "uniqueItems"},
    /* nullable via a type array */
    {"{\"properties\":{\"x\":{\"type\":[\"string\",\"null\"]}}}", "{\"x\":null}", NULL, NULL, NULL,
     NULL},
    {"{\"properties\":{\"x\":{\"type\":[\"string\",\"null\"]}}}", "{\"x\":false}", "false", "/x",
     "/x", "type"},
    /* a violation deep inside an array of objects */
    {"{\"items\":{\"type\":\"object\",\"properties\":{\"k\":{\"enum\":[\"person\",\"place\"]}}}}",
     "[{\"k\":\"person\"},{\"k\":\"plan\"}]", "\"plan", NULL, "/1/k", "enum"},
};

static void test_partial_sweeps(void)
{
    for (size_t i = 0; i < sizeof partial_cases / sizeof partial_cases[0]; i++) {
        const pcase *p = &partial_cases[i];
        ssekit_schema *s = compile_ok(p->schema);
        rec first;
        size_t at = sweep(s, p->doc, &first);
        if (!p->path) {
            CHECKF(at == 0, "schema %s doc %s: violation after %zu bytes: %s %s %s", p->schema,
                   p->doc, at, first.path[0], first.kw[0], first.msg[0]);
        } else {
            size_t want = p->mark && *p->mark ? after(p->doc, p->mark) : 0;
            if (p->visible) {
                size_t vis = visible_at(p->doc, p->visible);
                if (vis > want)
                    want = vis;
            }
            CHECKF(at == want, "schema %s doc %s: first violation after %zu bytes, want %zu",
                   p->schema, p->doc, at, want);
            CHECKF(!strcmp(first.path[0], p->path) && !strcmp(first.kw[0], p->kw),
                   "schema %s doc %s: first violation %s %s (%s), want %s %s", p->schema, p->doc,
                   first.path[0], first.kw[0], first.msg[0], p->path, p->kw);
        }
        ssekit_schema_free(s);
    }
}

/* ---- an OpenAI strict-mode schema on real outputs -------------------------- */

/* The shape of the bench stream's answer (shared/bench/gen_stream.py) and of
 * OpenAI's structured-output examples: every property required, no extra
 * properties, nullable through type arrays and anyOf, shared definitions. */
static const char strict_schema[] =
    "{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"summary\",\"sentiment\",\"tags\",\"entities\",\"reviewer\",\"score\"],"
    "\"properties\":{"
    "\"summary\":{\"type\":\"string\",\"description\":\"one paragraph\"},"
    "\"sentiment\":{\"type\":\"string\",\"enum\":[\"positive\",\"negative\",\"neutral\"]},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"entities\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/entity\"}},"
    "\"reviewer\":{\"anyOf\":[{\"$ref\":\"#/$defs/person\"},{\"type\":\"null\"}]},"
    "\"score\":{\"type\":[\"number\",\"null\"]}},"
    "\"$defs\":{"
    "\"entity\":{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"type\",\"value\",\"confidence\"],"
    "\"properties\":{\"type\":{\"type\":\"string\",\"enum\":[\"person\",\"place\",\"org\",\"time\"]"
    "},"
    "\"value\":{\"type\":\"string\"},\"confidence\":{\"type\":\"number\"}}},"
    "\"person\":{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"name\",\"email\"],\"properties\":{\"name\":{\"type\":\"string\"},"
    "\"email\":{\"type\":[\"string\",\"null\"],\"pattern\":\"^[^@\\\\s]+@[^@\\\\s]+$\"}}}}}";

/* A document of that shape with n entities, in the generator's style
 * (non-ASCII text included). */
static char *strict_doc(int n, int reviewer)
{
    static const char *types[] = {"person", "place", "org", "time"};
    static const char *words[] = {"clinic", "doctor", "waiting", "kind", "time", "minutes"};
    size_t cap = 512 + (size_t)n * 160, len = 0;
    char *d = malloc(cap);
    REQUIRE(d);
    len +=
        (size_t)snprintf(d + len, cap - len,
                         "{\"summary\": \"kind staff, short wait \\u00e9\\u4e2d\\ud83d\\ude00\", "
                         "\"sentiment\": \"positive\", \"tags\": [\"clinic\", \"time\"], "
                         "\"entities\": [");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(d + len, cap - len,
                                "%s{\"type\": \"%s\", \"value\": \"%s %s \u00e9\u4e2d\U0001F600\", "
                                "\"confidence\": 0.%03d}",
                                i ? ", " : "", types[(i * 7) % 4], words[i % 6],
                                words[(i * 5 + 1) % 6], (i * 37) % 1000);
    if (reviewer)
        len += (size_t)snprintf(
            d + len, cap - len,
            "], \"reviewer\": {\"name\": \"Ana\", \"email\": \"ana@example.org\"}, "
            "\"score\": 4.5}");
    else
        len += (size_t)snprintf(d + len, cap - len, "], \"reviewer\": null, \"score\": null}");
    return d;
}

/* Replaces the first occurrence of `from` in doc by `to` (same buffer). */
static char *replace_first(const char *doc, const char *from, const char *to)
{
    const char *p = strstr(doc, from);
    REQUIRE(p);
    size_t n = strlen(doc) - strlen(from) + strlen(to);
    char *r = malloc(n + 1);
    REQUIRE(r);
    size_t pre = (size_t)(p - doc);
    memcpy(r, doc, pre);
    strcpy(r + pre, to);
    strcat(r, p + strlen(from));
    return r;
}

/* Sweeps byte by byte checking progress: in [0,1], never decreasing, 1 at
 * the end. Returns the number of distinct progress values seen. */
static int progress_sweep(const ssekit_schema *s, const char *doc)
{
    size_t len = strlen(doc);
    ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
    REQUIRE(b);
    double last = -1;
    int steps = 0, mono = 1, inrange = 1;
    for (size_t i = 0; i <= len; i++) {
        if (i < len)
            REQUIRE(ssekit_partial_feed(b, doc + i, 1) == SSEKIT_OK);
        else
            REQUIRE(ssekit_partial_finish(b) == SSEKIT_OK);
        double p = -1;
        CHECK(ssekit_schema_progress(s, ssekit_partial_root(b), &p) == SSEKIT_OK);
        inrange &= p >= 0 && p <= 1;
        if (p < last && mono) {
            mono = 0;
            fprintf(stderr, "progress fell from %f to %f after %zu bytes of %s\n", last, p, i + 1,
                    doc);
        }
        steps += p != last;
        last = p;
    }
    CHECK(mono);
    CHECK(inrange);
    CHECKF(last == 1.0, "final progress %f", last);
    ssekit_partial_free(b);
    return steps;
}

static void test_strict_schema(void)
{
    ssekit_schema *s = compile_ok(strict_schema);
    rec first;

    char *doc = strict_doc(12, 1);
    CHECK(sweep(s, doc, &first) == 0);
    CHECK(progress_sweep(s, doc) >= 6);
    free(doc);

    doc = strict_doc(5, 0);
    CHECK(sweep(s, doc, &first) == 0);
    progress_sweep(s, doc);

    /* an entity type outside the enum: certain at its first impossible byte */
    char *bad = replace_first(doc, "\"type\": \"org\"", "\"type\": \"orb\"");
    CHECK(sweep(s, bad, &first) == after(bad, "\"type\": \"orb"));
    CHECK(!strcmp(first.path[0], "/entities/2/type") && !strcmp(first.kw[0], "enum"));
    free(bad);

    /* a forbidden property inside an entity: as soon as it is visible (a
     * string member as soon as its value starts) */
    bad = replace_first(doc, "\"value\"", "\"valeu\"");
    CHECK(sweep(s, bad, &first) == visible_at(bad, "/entities/0/valeu"));
    CHECK(visible_at(bad, "/entities/0/valeu") < after(bad, "\"confidence\""));
    CHECKF(!strcmp(first.path[0], "/entities/0/valeu") &&
               !strcmp(first.kw[0], "additionalProperties"),
           "%d: %s %s %s", first.n, first.path[0], first.kw[0], first.msg[0]);
    free(bad);
    /* a number member shows only once complete, here with the closing brace,
     * so the object's missing "confidence" is reported at the same byte */
    bad = replace_first(doc, "\"confidence\"", "\"confidenze\"");
    CHECK(sweep(s, bad, &first) == visible_at(bad, "/entities/0/confidenze"));
    CHECK(first.n == 2 && !strcmp(first.kw[0], "required") &&
          !strcmp(first.path[1], "/entities/0/confidenze") &&
          !strcmp(first.kw[1], "additionalProperties"));
    free(bad);

    /* a missing required property: only when its object closes */
    bad = replace_first(doc, ", \"confidence\": 0.000", "");
    {
        const char *close = strchr(bad, '}'); /* the end of entity 0 */
        REQUIRE(close);
        CHECK(sweep(s, bad, &first) == (size_t)(close - bad) + 1);
        CHECK(!strcmp(first.path[0], "/entities/0") && !strcmp(first.kw[0], "required"));
    }
    free(bad);

    /* a wrong type for a nullable field */
    bad = replace_first(doc, "\"score\": null", "\"score\": \"4\"");
    CHECK(sweep(s, bad, &first) == after(bad, "\"score\": \""));
    CHECK(!strcmp(first.path[0], "/score") && !strcmp(first.kw[0], "type"));
    free(bad);
    free(doc);

    /* the nullable object: its own violations, not a bare "anyOf" */
    doc = strict_doc(1, 1);
    bad = replace_first(doc, "ana@example.org", "ana at example");
    CHECK(sweep(s, bad, &first) == after(bad, "ana ")); /* no space before the @ */
    CHECK(!strcmp(first.path[0], "/reviewer/email") && !strcmp(first.kw[0], "pattern"));
    free(bad);
    bad = replace_first(doc, "ana@example.org", "ana@@");
    CHECK(sweep(s, bad, &first) == after(bad, "ana@@"));
    CHECK(!strcmp(first.path[0], "/reviewer/email") && !strcmp(first.kw[0], "pattern"));
    free(bad);
    free(doc);
    ssekit_schema_free(s);
}

static const char *ystr(yajl_val v)
{
    const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
    REQUIRE(s);
    return s;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    REQUIRE(d);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

/* The JSON text a provider vector's model wrote: the "text" field of
 * NAME.expect.json, or the arguments of its first tool call re-serialised. */
static char *vector_text(const char *name, int tool_args)
{
    char path[512], errbuf[256];
    snprintf(path, sizeof path, "%s/providers/%s.expect.json", SSEKIT_VECTORS_DIR, name);
    char *raw = check_read_file(path, NULL);
    yajl_val root = yajl_tree_parse(raw, errbuf, sizeof errbuf);
    REQUIRE(root);
    char *out = NULL;
    if (!tool_args) {
        const char *key[] = {"text", NULL};
        yajl_val t = yajl_tree_get(root, key, yajl_t_string);
        REQUIRE(t);
        out = dup_n(ystr(t), strlen(ystr(t)));
    } else {
        const char *key[] = {"tool_calls", NULL};
        yajl_val calls = yajl_tree_get(root, key, yajl_t_array);
        REQUIRE(calls && YAJL_GET_ARRAY(calls)->len > 0);
        const char *akey[] = {"arguments", NULL};
        yajl_val args = yajl_tree_get(YAJL_GET_ARRAY(calls)->values[0], akey, yajl_t_object);
        REQUIRE(args);
        /* re-serialise with yajl_gen */
        yajl_gen g = yajl_gen_alloc(NULL);
        yajl_gen_map_open(g);
        for (size_t i = 0; i < YAJL_GET_OBJECT(args)->len; i++) {
            const char *k = YAJL_GET_OBJECT(args)->keys[i];
            yajl_val v = YAJL_GET_OBJECT(args)->values[i];
            yajl_gen_string(g, (const unsigned char *)k, strlen(k));
            if (YAJL_IS_STRING(v)) {
                yajl_gen_string(g, (const unsigned char *)ystr(v), strlen(ystr(v)));
            } else if (YAJL_IS_NUMBER(v)) {
                const char *num = v->u.number.r;
                REQUIRE(num);
                yajl_gen_number(g, num, strlen(num));
            } else if (YAJL_IS_ARRAY(v)) {
                yajl_gen_array_open(g);
                for (size_t j = 0; j < YAJL_GET_ARRAY(v)->len; j++) {
                    yajl_val e = YAJL_GET_ARRAY(v)->values[j];
                    yajl_gen_string(g, (const unsigned char *)ystr(e), strlen(ystr(e)));
                }
                yajl_gen_array_close(g);
            } else {
                REQUIRE(0 && "unexpected argument type in the vector");
            }
        }
        yajl_gen_map_close(g);
        const unsigned char *buf;
        size_t len;
        yajl_gen_get_buf(g, &buf, &len);
        out = dup_n((const char *)buf, len);
        yajl_gen_free(g);
    }
    yajl_tree_free(root);
    free(raw);
    REQUIRE(out);
    return out;
}

static void test_provider_vectors(void)
{
    /* OpenAI structured output: the weather answer */
    ssekit_schema *s = compile_ok(
        "{\"type\":\"object\",\"additionalProperties\":false,"
        "\"required\":[\"city\",\"temp_c\",\"conditions\",\"note\"],\"properties\":{"
        "\"city\":{\"type\":\"string\",\"minLength\":1},"
        "\"temp_c\":{\"type\":\"number\",\"minimum\":-90,\"maximum\":60},"
        "\"conditions\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"type\":\"string\","
        "\"enum\":[\"sunny\",\"cloudy\",\"light rain\",\"rain\",\"snow\"]}},"
        "\"note\":{\"type\":[\"string\",\"null\"],\"maxLength\":40}}}");
    char *doc = vector_text("openai_chat_structured", 0);
    rec first;
    CHECK(sweep(s, doc, &first) == 0);
    progress_sweep(s, doc);
    /* the note counts code points: "Café \"Flore\" — 🌧" is 16 */
    ssekit_schema *s16 = compile_ok("{\"properties\":{\"note\":{\"maxLength\":15}}}");
    {
        /* the 16th code point is the last one (the emoji): the violation
         * comes with it, i.e. once its 4 UTF-8 bytes are in */
        const char *emoji = strstr(doc, "\xF0\x9F\x8C\xA7");
        REQUIRE(emoji);
        CHECK(sweep(s16, doc, &first) == (size_t)(emoji - doc) + 4);
        CHECK(!strcmp(first.path[0], "/note") && !strcmp(first.kw[0], "maxLength"));
    }
    ssekit_schema_free(s16);
    char *bad = replace_first(doc, "light rain", "light rainy");
    CHECK(sweep(s, bad, &first) == after(bad, "light rainy"));
    CHECK(!strcmp(first.path[0], "/conditions/1") && !strcmp(first.kw[0], "enum"));
    free(bad);
    free(doc);
    ssekit_schema_free(s);

    /* Anthropic tool_use input */
    s = compile_ok(
        "{\"type\":\"object\",\"required\":[\"summary\",\"tags\",\"score\"],"
        "\"additionalProperties\":false,\"properties\":{\"summary\":{\"type\":\"string\"},"
        "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"uniqueItems\":true},"
        "\"score\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1}}}");
    doc = vector_text("anthropic_tool_use", 1);
    CHECK(sweep(s, doc, &first) == 0);
    progress_sweep(s, doc);
    free(doc);
    ssekit_schema_free(s);
}

/* ---- progress -------------------------------------------------------------- */

static double progress_of(const ssekit_schema *s, const char *prefix)
{
    ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
    REQUIRE(b);
    REQUIRE(ssekit_partial_feed(b, prefix, strlen(prefix)) == SSEKIT_OK);
    double p = -1;
    CHECK(ssekit_schema_progress(s, ssekit_partial_root(b), &p) == SSEKIT_OK);
    ssekit_partial_free(b);
    return p;
}

static int near(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

static void test_progress(void)
{
    /* two required scalars, one optional */
    ssekit_schema *s = compile_ok("{\"type\":\"object\",\"required\":[\"a\",\"b\"],"
                                  "\"properties\":{\"a\":{\"type\":\"string\"},"
                                  "\"b\":{\"type\":\"string\"},\"c\":{\"type\":\"string\"}}}");
    CHECK(near(progress_of(s, ""), 0));
    CHECK(near(progress_of(s, "{\"a\":\"xy"), 0));
    CHECK(near(progress_of(s, "{\"a\":\"xy\""), 0.5));
    CHECK(near(progress_of(s, "{\"a\":\"xy\",\"c\":\"zz\""), 0.5)); /* optional: no weight */
    CHECK(near(progress_of(s, "{\"a\":\"xy\",\"c\":\"zz\",\"b\":\"q\""), 1));
    CHECK(near(progress_of(s, "{\"b\":\"q\",\"a\":\"xy\"}"), 1));
    double p = -1;
    CHECK(ssekit_schema_progress(s, NULL, &p) == SSEKIT_OK && p == 0);
    CHECK(ssekit_schema_progress(NULL, NULL, &p) == SSEKIT_E_INVALID);
    CHECK(ssekit_schema_progress(s, NULL, NULL) == SSEKIT_E_INVALID);
    ssekit_schema_free(s);

    /* nested required objects weigh by their leaves: {a:{x,y,z}, b} = 4 */
    s = compile_ok("{\"required\":[\"a\",\"b\"],\"properties\":{"
                   "\"a\":{\"type\":\"object\",\"required\":[\"x\",\"y\",\"z\"]},"
                   "\"b\":{\"type\":\"array\"}}}");
    CHECK(near(progress_of(s, "{\"a\":{\"x\":1,\"y\":"), 0.25));
    CHECK(near(progress_of(s, "{\"a\":{\"x\":1,\"y\":2,\"z\":3}"), 0.75));
    CHECK(near(progress_of(s, "{\"a\":{\"x\":1,\"y\":2,\"z\":3},\"b\":[1,2"), 0.75)); /* open */
    CHECK(near(progress_of(s, "{\"a\":{\"x\":1,\"y\":2,\"z\":3},\"b\":[1,2]"), 1));
    ssekit_schema_free(s);

    /* a nullable object through anyOf counts its leaves once it is an object */
    s = compile_ok("{\"required\":[\"p\",\"q\"],\"properties\":{\"q\":{\"type\":\"string\"},"
                   "\"p\":{\"anyOf\":[{\"type\":\"null\"},{\"$ref\":\"#/$defs/pt\"}]}},"
                   "\"$defs\":{\"pt\":{\"type\":\"object\",\"required\":[\"x\",\"y\"]}}}");
    /* weights: p = max(1, 2) = 2, q = 1 */
    CHECK(near(progress_of(s, "{\"p\":{\"x\":1,"), 1.0 / 3));
    CHECK(near(progress_of(s, "{\"p\":null,\"q\":\"a"), 2.0 / 3));
    ssekit_schema_free(s);

    /* recursive schemas terminate */
    s = compile_ok(
        "{\"$defs\":{\"n\":{\"type\":\"object\",\"required\":[\"v\",\"next\"],"
        "\"properties\":{\"next\":{\"anyOf\":[{\"$ref\":\"#/$defs/n\"},{\"type\":\"null\"}]}}}},"
        "\"$ref\":\"#/$defs/n\"}");
    progress_sweep(s, "{\"v\":1,\"next\":{\"v\":2,\"next\":{\"v\":3,\"next\":null}}}");
    ssekit_schema_free(s);

    /* a large generated document: monotonic, reaches 1 */
    s = compile_ok(strict_schema);
    char *doc = strict_doc(40, 1);
    progress_sweep(s, doc);
    free(doc);
    ssekit_schema_free(s);
}

/* ---- compile errors and limits --------------------------------------------- */

typedef struct ecase {
    const char *schema;
    int status;
    ssekit_schema_error_code code;
    const char *pointer;
} ecase;

static const ecase error_cases[] = {
    {"{\"type\":", SSEKIT_E_JSON, SSEKIT_SCHEMA_MALFORMED, ""},
    {"", SSEKIT_E_JSON, SSEKIT_SCHEMA_MALFORMED, ""},
    {"{} {}", SSEKIT_E_JSON, SSEKIT_SCHEMA_MALFORMED, ""},
    {"[]", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_BAD_KEYWORD, ""},
    {"{\"type\":\"strin\"}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_BAD_KEYWORD, "/type"},
    {"{\"properties\":{\"a\":{\"minLength\":-1}}}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_BAD_KEYWORD,
     "/properties/a/minLength"},
    {"{\"properties\":{\"a\":{\"maxItems\":1.5}}}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_BAD_KEYWORD,
     "/properties/a/maxItems"},
    {"{\"items\":{\"properties\":{\"x/y\":{\"required\":[1]}}}}", SSEKIT_E_SCHEMA,
     SSEKIT_SCHEMA_BAD_KEYWORD, "/items/properties/x~1y/required"},
    {"{\"anyOf\":[]}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_BAD_KEYWORD, "/anyOf"},
    {"{\"anyOf\":[{},3]}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_BAD_KEYWORD, "/anyOf/1"},
    {"{\"multipleOf\":0}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_BAD_KEYWORD, "/multipleOf"},
    {"{\"enum\":3}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_BAD_KEYWORD, "/enum"},
    {"{\"properties\":{\"a\":{\"patternProperties\":{}}}}", SSEKIT_E_SCHEMA,
     SSEKIT_SCHEMA_UNSUPPORTED, "/properties/a/patternProperties"},
    {"{\"if\":{},\"then\":{}}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_UNSUPPORTED, "/if"},
    {"{\"$ref\":\"other.json#/a\"}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_UNSUPPORTED, "/$ref"},
    {"{\"$ref\":\"#anchor\"}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_UNSUPPORTED, "/$ref"},
    {"{\"properties\":{\"a\":{\"$ref\":\"#/$defs/missing\"}}}", SSEKIT_E_SCHEMA,
     SSEKIT_SCHEMA_BAD_REF, "/properties/a/$ref"},
    {"{\"$defs\":{\"x\":3},\"$ref\":\"#/$defs/x\"}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_BAD_KEYWORD,
     "/$defs/x"},
    {"{\"enum\":[1],\"$ref\":\"#/enum/0\"}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_BAD_REF, "/$ref"},
    {"{\"$ref\":\"#\"}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_REF_CYCLE, ""},
    {"{\"$defs\":{\"a\":{\"anyOf\":[{\"$ref\":\"#/$defs/b\"}]},\"b\":{\"allOf\":[{\"$ref\":\"#/"
     "$defs/a\"}]}}}",
     SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_REF_CYCLE, NULL},
    {"{\"properties\":{\"p\":{\"pattern\":\"(a\"}}}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_BAD_PATTERN,
     "/properties/p/pattern"},
    {"{\"pattern\":\"(a)\\\\1\"}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_BAD_PATTERN, "/pattern"},
    {"{\"pattern\":\"a(?=b)\"}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_BAD_PATTERN, "/pattern"},
    {"{\"pattern\":\"(a{1000}){1000}\"}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_BAD_PATTERN, "/pattern"},
    /* an error in an unused definition is still an error */
    {"{\"$defs\":{\"unused\":{\"type\":7}}}", SSEKIT_E_SCHEMA, SSEKIT_SCHEMA_BAD_KEYWORD,
     "/$defs/unused/type"},
};

static void test_compile_errors(void)
{
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        const ecase *e = &error_cases[i];
        ssekit_schema_error err;
        memset(&err, 0x7f, sizeof err);
        ssekit_schema *s = ssekit_schema_compile(e->schema, strlen(e->schema), NULL, &err);
        CHECKF(!s, "schema %s compiled", e->schema);
        ssekit_schema_free(s);
        CHECKF(err.status == e->status && err.code == e->code,
               "schema %s: status %d code %d (%s), want %d %d", e->schema, err.status, err.code,
               err.message, e->status, e->code);
        CHECKF(!e->pointer || !strcmp(err.pointer, e->pointer), "schema %s: pointer '%s' want '%s'",
               e->schema, err.pointer, e->pointer);
        CHECKF(strlen(err.message) > 0, "schema %s: no message", e->schema);
    }
    ssekit_schema_error err;
    CHECK(!ssekit_schema_compile("{\"type\":", 8, NULL, &err));
    CHECK(err.offset <= 8 && strstr(err.message, "malformed") != NULL);
    CHECK(!ssekit_schema_compile(NULL, 0, NULL, &err) && err.status == SSEKIT_E_INVALID);
    CHECK(!ssekit_schema_compile("{", 1, NULL, NULL)); /* err may be NULL */
    /* not NUL-terminated input */
    const char text[] = {'{', '}', 'x'};
    ssekit_schema *s = ssekit_schema_compile(text, 2, NULL, &err);
    CHECK(s != NULL);
    ssekit_schema_free(s);
    ssekit_schema_free(NULL);
}

static void test_limits(void)
{
    /* schema nesting */
    char deep[4096];
    size_t n = 0;
    for (int i = 0; i < 70; i++)
        n += (size_t)snprintf(deep + n, sizeof deep - n, "{\"not\":");
    n += (size_t)snprintf(deep + n, sizeof deep - n, "{}");
    for (int i = 0; i < 70; i++)
        deep[n++] = '}';
    deep[n] = 0;
    ssekit_schema_error err;
    CHECK(!ssekit_schema_compile(deep, n, NULL, &err));
    CHECK(err.status == SSEKIT_E_TOO_DEEP && err.code == SSEKIT_SCHEMA_TOO_DEEP);
    ssekit_schema_limits lim;
    ssekit_schema_limits_default(&lim);
    CHECK(lim.max_depth == SSEKIT_SCHEMA_DEFAULT_MAX_DEPTH);
    lim.max_depth = 200;
    ssekit_schema *s = ssekit_schema_compile_with_limits(deep, n, &lim, NULL, &err);
    CHECK(s != NULL);
    ssekit_schema_free(s);

    /* $ref recursion follows the instance, up to max_ref_depth */
    const char *rec_schema =
        "{\"$defs\":{\"l\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/l\"}}},"
        "\"$ref\":\"#/$defs/l\"}";
    char doc[256];
    for (int i = 0; i < 100; i++)
        doc[i] = '[';
    for (int i = 0; i < 100; i++)
        doc[100 + i] = ']';
    doc[200] = 0;
    s = compile_ok(rec_schema);
    ssekit_partial *b = parse_all(doc);
    CHECK(ssekit_schema_validate(s, ssekit_partial_root(b), 0, NULL, NULL) == SSEKIT_E_TOO_DEEP);
    memset(&lim, 0, sizeof lim);
    lim.max_ref_depth = 150;
    CHECK(ssekit_schema_set_limits(s, &lim) == SSEKIT_OK);
    CHECK(ssekit_schema_validate(s, ssekit_partial_root(b), 0, NULL, NULL) == 0);
    CHECK(ssekit_schema_set_limits(NULL, &lim) == SSEKIT_E_INVALID);
    ssekit_partial_free(b);
    ssekit_schema_free(s);

    /* exponential work through shared definitions hits max_steps */
    char big[4096];
    n = (size_t)snprintf(big, sizeof big, "{\"$defs\":{");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(big + n, sizeof big - n,
                              "%s\"d%d\":{\"anyOf\":[{\"$ref\":\"#/$defs/d%d\"},{\"$ref\":"
                              "\"#/$defs/d%d\"}]}",
                              i ? "," : "", i, i + 1, i + 1);
    n += (size_t)snprintf(big + n, sizeof big - n,
                          ",\"d40\":{\"type\":\"null\"}},\"$ref\":\"#/$defs/d0\"}");
    s = compile_ok(big);
    memset(&lim, 0, sizeof lim);
    lim.max_steps = 200000; /* the default (10^7) takes a while under sanitizers */
    CHECK(ssekit_schema_set_limits(s, &lim) == SSEKIT_OK);
    b = parse_all("1");
    CHECK(ssekit_schema_validate(s, ssekit_partial_root(b), 0, NULL, NULL) == SSEKIT_E_TOO_LARGE);
    double p;
    CHECK(ssekit_schema_progress(s, ssekit_partial_root(b), &p) == SSEKIT_OK && p == 1);
    ssekit_partial_free(b);
    ssekit_schema_free(s);
}

/* ---- the regex engine ------------------------------------------------------ */

typedef struct rcase {
    const char *pat, *text;
    int open, want;
} rcase;

static const rcase regex_cases[] = {
    {"abc", "xxabcxx", 0, SK_RE_MATCH},
    {"abc", "xxabxcx", 0, SK_RE_NOMATCH},
    {"^abc$", "abc", 0, SK_RE_MATCH},
    {"^abc$", "abcd", 0, SK_RE_NOMATCH},
    {"a|b|cd", "xcd", 0, SK_RE_MATCH},
    {"^(ab|cd)+$", "abcdab", 0, SK_RE_MATCH},
    {"^(ab|cd)+$", "abcda", 0, SK_RE_NOMATCH},
    {"^(?:a|b)*c$", "ababc", 0, SK_RE_MATCH},
    {"^(?<name>x)y$", "xy", 0, SK_RE_MATCH},
    {"^a{2,3}$", "aaaa", 0, SK_RE_NOMATCH},
    {"^a{2,3}$", "aaa", 0, SK_RE_MATCH},
    {"^a{2,}$", "aaaaaaa", 0, SK_RE_MATCH},
    {"^a{2}$", "a", 0, SK_RE_NOMATCH},
    {"^a{,2}$", "a{,2}", 0, SK_RE_MATCH}, /* not a quantifier: literal */
    {"^x*?y+?z??$", "xxyy", 0, SK_RE_MATCH},
    {"^\\d+\\.\\d*$", "12.", 0, SK_RE_MATCH},
    {"^\\D\\W\\S$", "1-b", 0, SK_RE_NOMATCH},
    {"^\\D\\W\\S$", "x_b", 0, SK_RE_NOMATCH},
    {"^\\D\\W\\S$", "x- ", 0, SK_RE_NOMATCH},
    {"^\\D\\W\\S$", "x b", 0, SK_RE_MATCH},
    {"^[\\w.-]+$", "a.b-c_d", 0, SK_RE_MATCH},
    {"^[^\\d\\s]+$", "ab c", 0, SK_RE_NOMATCH},
    {"^[a-c-]+$", "a-c", 0, SK_RE_MATCH},
    {"^[]$", "", 0, SK_RE_NOMATCH},
    {"^[^]$", "\n", 0, SK_RE_MATCH},
    {"^.$", "\n", 0, SK_RE_NOMATCH},
    {"^.$", "\xE2\x82\xAC", 0, SK_RE_MATCH}, /* one code point */
    {"^..$", "\xE2\x82\xAC", 0, SK_RE_NOMATCH},
    {"^\\u20ac\\x41\\u{1F600}$",
     "\xE2\x82\xAC"
     "A\xF0\x9F\x98\x80",
     0, SK_RE_MATCH},
    {"^\\ud83d\\ude00$", "\xF0\x9F\x98\x80", 0, SK_RE_MATCH},
    {"\\bfoo\\b", "a foo.", 0, SK_RE_MATCH},
    {"\\bfoo\\b", "afoo", 0, SK_RE_NOMATCH},
    {"\\Boo", "foo", 0, SK_RE_MATCH},
    {"^\\t\\n\\$\\.\\/$", "\t\n$./", 0, SK_RE_MATCH},
    {"^\\s$", "\xE3\x80\x80", 0, SK_RE_MATCH}, /* U+3000 is ECMA whitespace */
    {"^(a*)*$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", 0, SK_RE_NOMATCH},
    {"", "anything", 0, SK_RE_MATCH},
    {"^$", "", 0, SK_RE_MATCH},
    /* open strings: can some continuation still match? */
    {"^[a-z]+$", "ab1", 1, SK_RE_NOMATCH},
    {"^[a-z]+$", "ab", 1, SK_RE_MAYBE},
    {"^abc", "ab", 1, SK_RE_MAYBE},
    {"^abc", "ax", 1, SK_RE_NOMATCH},
    {"^abc", "abcz", 1, SK_RE_MATCH}, /* the match is already inside */
    {"abc", "xyz", 1, SK_RE_MAYBE},   /* unanchored: could come later */
    {"b$", "ab", 1, SK_RE_MAYBE},     /* could end here, or not */
    {"b\\b", "ab", 1, SK_RE_MAYBE},
    {"^a\\b", "ab", 1, SK_RE_NOMATCH},
    {"^.{0,3}$", "abcd", 1, SK_RE_NOMATCH},
    {"^$", "", 1, SK_RE_MAYBE},
};

static void test_regex(void)
{
    ssekit_alloc_funcs af = {0};
    fail_alloc fa = {0};
    af = fail_alloc_funcs(&fa);
    for (size_t i = 0; i < sizeof regex_cases / sizeof regex_cases[0]; i++) {
        const rcase *c = &regex_cases[i];
        sk_regex *re = NULL;
        char err[128];
        int rc = sk_regex_compile(&af, c->pat, strlen(c->pat), &re, err, sizeof err);
        CHECKF(rc == 0, "pattern %s: %s", c->pat, err);
        if (rc)
            continue;
        void *scratch = malloc(sk_regex_scratch_size(re) + 1);
        REQUIRE(scratch);
        int m = sk_regex_match(re, c->text, strlen(c->text), c->open, scratch);
        CHECKF(m == c->want, "pattern /%s/ on \"%s\" (open %d): %d, want %d", c->pat, c->text,
               c->open, m, c->want);
        free(scratch);
        sk_regex_free(&af, re);
    }
    static const char *bad[] = {"(",   ")",      "a**",   "*a",    "[a",     "\\",     "a{2,1}",
                                "\\1", "\\k<x>", "(?=a)", "(?!a)", "(?<=a)", "\\p{L}", "[z-a]",
                                "\\q", "^*",     "\\xZZ", "\\u12", "a{1001}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sk_regex *re = NULL;
        char err[128];
        int rc = sk_regex_compile(&af, bad[i], strlen(bad[i]), &re, err, sizeof err);
        CHECKF(rc == SSEKIT_E_SCHEMA && !re && err[0], "pattern %s: rc %d", bad[i], rc);
    }
    /* groups nested beyond the limit */
    char nest[2 * SK_REGEX_MAX_NESTING + 8];
    size_t nn = 0;
    for (int i = 0; i <= SK_REGEX_MAX_NESTING; i++)
        nest[nn++] = '(';
    nest[nn++] = 'a';
    for (int i = 0; i <= SK_REGEX_MAX_NESTING; i++)
        nest[nn++] = ')';
    sk_regex *nre = NULL;
    char nerr[128];
    CHECK(sk_regex_compile(&af, nest, nn, &nre, nerr, sizeof nerr) == SSEKIT_E_SCHEMA);
    CHECK(sk_regex_compile(&af, nest + 1, nn - 2, &nre, nerr, sizeof nerr) == 0);
    sk_regex_free(&af, nre);
    CHECK(fa.live == 0);
    /* allocation failures while compiling: NOMEM, nothing leaked */
    for (long k = 1;; k++) {
        fail_alloc f2 = {0};
        f2.fail_at = k;
        ssekit_alloc_funcs a2 = fail_alloc_funcs(&f2);
        sk_regex *re = NULL;
        char err[64];
        int rc = sk_regex_compile(&a2, "^(ab|[c-e]\\d){2,4}x*$", 21, &re, err, sizeof err);
        if (rc == 0) {
            sk_regex_free(&a2, re);
            CHECK(f2.live == 0);
            break;
        }
        CHECK(rc == SSEKIT_E_NOMEM && !re && f2.live == 0);
    }
}

/* ---- allocation failures ---------------------------------------------------- */

static int count_cb(void *user, const ssekit_schema_violation *v)
{
    (void)v;
    (*(int *)user)++;
    return 0;
}

static void test_alloc_failures(void)
{
    /* compile: every allocation in turn fails; NOMEM, nothing leaked */
    long k;
    int compiled = 0;
    for (k = 1; k < 100000 && !compiled; k++) {
        fail_alloc fa = {0};
        fa.fail_at = k;
        ssekit_alloc_funcs af = fail_alloc_funcs(&fa);
        ssekit_schema_error err;
        ssekit_schema *s = ssekit_schema_compile(strict_schema, strlen(strict_schema), &af, &err);
        if (s) {
            compiled = 1;
            CHECK(fa.failures == 0);
            ssekit_schema_free(s);
        } else {
            CHECKF(err.status == SSEKIT_E_NOMEM && err.code == SSEKIT_SCHEMA_NOMEM,
                   "allocation %ld: status %d (%s)", k, err.status, err.message);
        }
        CHECKF(fa.live == 0, "allocation %ld failing: %ld blocks leaked", k, fa.live);
    }
    CHECK(compiled);
    CHECKF(k > 10, "compile made only %ld allocations", k);

    /* sticky failures too (yajl then keeps getting NULL-free memory) */
    for (k = 1; k < 200; k++) {
        fail_alloc fa = {0};
        fa.fail_at = k;
        fa.sticky = 1;
        ssekit_alloc_funcs af = fail_alloc_funcs(&fa);
        ssekit_schema *s = ssekit_schema_compile(strict_schema, strlen(strict_schema), &af, NULL);
        ssekit_schema_free(s);
        CHECK(fa.live == 0);
    }

    /* validate and progress: the path buffers and the regex scratch */
    fail_alloc fa = {0};
    ssekit_alloc_funcs af = fail_alloc_funcs(&fa);
    ssekit_schema *s = ssekit_schema_compile(strict_schema, strlen(strict_schema), &af, NULL);
    REQUIRE(s);
    char *doc = strict_doc(3, 1);
    char *bad = replace_first(doc, "ana@example.org", "not an email");
    char *bad2 = replace_first(bad, "\"positive\"", "\"unsure\"");
    ssekit_partial *b = parse_all(bad2);
    int want_calls = 0;
    int want = ssekit_schema_validate(s, ssekit_partial_root(b), 0, count_cb, &want_calls);
    CHECK(want == 2);
    int ok = 0;
    for (k = 1; k < 1000 && !ok; k++) {
        long base_live = fa.live;
        fa.calls = 0;
        fa.fail_at = k;
        int calls = 0;
        int n = ssekit_schema_validate(s, ssekit_partial_root(b), 0, count_cb, &calls);
        if (n == want)
            ok = 1;
        else
            CHECKF(n == SSEKIT_E_NOMEM, "allocation %ld: validate returned %d", k, n);
        CHECK(fa.live == base_live);
    }
    CHECK(ok);
    fa.fail_at = 0;
    ssekit_partial_free(b);
    ssekit_schema_free(s);
    CHECK(fa.live == 0);
    free(doc);
    free(bad);
    free(bad2);
}

/* ---- consistency on random prefixes of random-ish documents ----------------- */

/* For each document, validating every prefix in partial mode must never
 * report what the complete document (in full mode) does not end up
 * violating... stronger: a valid complete document never has a violation on
 * any prefix. Documents here are generated valid for the strict schema with
 * varying content, then fed with random chunk sizes. */
static void test_random_valid_prefixes(void)
{
    ssekit_schema *s = compile_ok(strict_schema);
    unsigned seed = 12345;
    for (int round = 0; round < 20; round++) {
        char *doc = strict_doc(round % 7, round & 1);
        size_t len = strlen(doc), i = 0;
        ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
        REQUIRE(b);
        double last = 0;
        while (i < len) {
            seed = seed * 1103515245u + 12345u;
            size_t k = 1 + (seed >> 16) % 9;
            if (k > len - i)
                k = len - i;
            REQUIRE(ssekit_partial_feed(b, doc + i, k) == SSEKIT_OK);
            i += k;
            int n = ssekit_schema_validate(s, ssekit_partial_root(b), SSEKIT_SCHEMA_PARTIAL, NULL,
                                           NULL);
            CHECKF(n == 0, "round %d: %d violations after %zu bytes", round, n, i);
            double p;
            CHECK(ssekit_schema_progress(s, ssekit_partial_root(b), &p) == SSEKIT_OK);
            CHECK(p >= last);
            last = p;
        }
        REQUIRE(ssekit_partial_finish(b) == SSEKIT_OK);
        CHECK(ssekit_schema_validate(s, ssekit_partial_root(b), 0, NULL, NULL) == 0);
        ssekit_partial_free(b);
        free(doc);
    }
    ssekit_schema_free(s);
}

/* The checker after reset and on a new tree; its allocation failures. */
static void test_checker(void)
{
    ssekit_schema *s = compile_ok(strict_schema);
    char *doc = strict_doc(30, 1);
    char *bad = replace_first(doc, "\"type\": \"org\"", "\"type\": \"orc\"");
    fail_alloc fa = {0};
    ssekit_alloc_funcs af = fail_alloc_funcs(&fa);
    ssekit_schema_checker *ck = ssekit_schema_checker_new(s, &af);
    REQUIRE(ck);
    CHECK(ssekit_schema_checker_new(NULL, NULL) == NULL);
    CHECK(ssekit_schema_checker_validate(NULL, NULL, 0, NULL, NULL) == SSEKIT_E_INVALID);
    for (int round = 0; round < 2; round++) {
        const char *d = round ? bad : doc;
        ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
        REQUIRE(b);
        size_t len = strlen(d);
        for (size_t i = 0; i < len; i += 3) {
            REQUIRE(ssekit_partial_feed(b, d + i, len - i < 3 ? len - i : 3) == SSEKIT_OK);
            int n = ssekit_schema_validate(s, ssekit_partial_root(b), SSEKIT_SCHEMA_PARTIAL, NULL,
                                           NULL);
            CHECK(ssekit_schema_checker_validate(ck, ssekit_partial_root(b), SSEKIT_SCHEMA_PARTIAL,
                                                 NULL, NULL) == n);
        }
        REQUIRE(ssekit_partial_finish(b) == SSEKIT_OK);
        CHECK(ssekit_schema_checker_validate(ck, ssekit_partial_root(b), 0, NULL, NULL) ==
              (round ? 1 : 0));
        ssekit_partial_free(b);
        ssekit_schema_checker_reset(ck); /* the next tree is a new one */
    }
    /* allocation failures: NOMEM, then usable again */
    ssekit_partial *b = parse_all(bad);
    int nomem = 0, ok = 0;
    for (long k = 1; k < 64 && !ok; k++) {
        fa.calls = 0;
        fa.fail_at = k;
        ssekit_schema_checker *c2 = ssekit_schema_checker_new(s, &af);
        if (!c2) {
            nomem++;
            continue;
        }
        int n = ssekit_schema_checker_validate(c2, ssekit_partial_root(b), 0, NULL, NULL);
        if (n == SSEKIT_E_NOMEM) {
            nomem++;
            fa.fail_at = 0; /* usable after the failure */
            n = ssekit_schema_checker_validate(c2, ssekit_partial_root(b), 0, NULL, NULL);
            CHECK(n == 1);
        } else {
            ok = 1;
            CHECK(n == 1);
        }
        ssekit_schema_checker_free(c2);
    }
    CHECK(nomem >= 2 && ok);
    fa.fail_at = 0;
    ssekit_partial_free(b);
    ssekit_schema_checker_free(ck);
    ssekit_schema_checker_free(NULL);
    CHECK(fa.live == 0);
    free(doc);
    free(bad);
    ssekit_schema_free(s);
}

int main(void)
{
    test_keywords();
    test_messages();
    test_stop();
    test_partial_sweeps();
    test_strict_schema();
    test_provider_vectors();
    test_progress();
    test_compile_errors();
    test_limits();
    test_regex();
    test_alloc_failures();
    test_random_valid_prefixes();
    test_checker();
    return check_done("test_schema");
}

/* events_jcs.c - RFC 8785 canonical JSON: the RFC's own examples (key order
 * by UTF-16 code units, string escaping), integers only, and the strict
 * parser's refusals (floats, duplicates, lone surrogates, bad UTF-8, depth). */
#include "tap.h"
#include "runtime/events/jcs.h"

static char out[4096];

/* Parse text, serialise canonically into `out`; returns 0 or -1 (msg in `out`). */
static int canon(const char *text, size_t len)
{
    struct jcs_doc *d = jcs_doc_new();
    struct jcs_value *v;
    struct jcs_parse_error pe;
    int rc = jcs_parse(d, text, len, 16, &v, &pe);
    if (rc < 0) {
        snprintf(out, sizeof out, "ERR@%zu: %s", pe.offset, pe.e.msg);
    } else {
        struct jcs_buf b = { 0 };
        jcs_serialize(v, NULL, &b);
        snprintf(out, sizeof out, "%s", b.p);
        jcs_buf_free(&b);
    }
    jcs_doc_free(d);
    return rc;
}

#define CANON(lit) canon(lit, sizeof(lit) - 1)

static void refuses(const char *text, size_t len, const char *what, const char *needle)
{
    int rc = canon(text, len);
    ok(rc < 0 && strstr(out, needle), "refuses %s (%s)", what, out);
}
#define REFUSES(lit, what, needle) refuses(lit, sizeof(lit) - 1, what, needle)

int main(void)
{
    /* RFC 8785 section 3.2.3: sorting by UTF-16 code units. */
    ok(CANON("{\n  \"\\u20ac\": \"Euro Sign\",\n  \"\\r\": \"Carriage Return\",\n"
             "  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n  \"1\": \"One\",\n"
             "  \"\\ud83d\\ude00\": \"Emoji: Grinning Face\",\n  \"\\u0080\": \"Control\",\n"
             "  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"\n}") == 0, "RFC 8785 sort example parses");
    is_str(out, "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
                "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
                "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
                "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}",
           "RFC 8785 3.2.3: keys sorted by UTF-16 code units (U+1F600 before U+FB33)");

    /* RFC 8785 section 3.2.2.2: string escaping. */
    ok(CANON("{\"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\"}") == 0,
       "RFC 8785 string example parses");
    is_str(out, "{\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}",
           "RFC 8785 3.2.2.2: escaping as JSON.stringify");

    /* jcs_utf8_cut: a message cut in the middle of a character ends before it. */
    char cut1[] = "caf\xc3\xa9 \xe2\x82", cut2[] = "ok \xc3\xa9", cut3[] = "a\xff" "b", cut4[] = "";
    is_str(jcs_utf8_cut(cut1), "caf\xc3\xa9 ", "utf8_cut drops a trailing half character");
    is_str(jcs_utf8_cut(cut2), "ok \xc3\xa9", "utf8_cut keeps valid UTF-8 whole");
    is_str(jcs_utf8_cut(cut3), "a", "utf8_cut stops at the first invalid byte");
    is_str(jcs_utf8_cut(cut4), "", "utf8_cut of an empty string");

    /* RFC 8785 section 3.2.2 literals and whitespace. */
    ok(CANON(" { \"literals\" : [ null , true , false ] } ") == 0, "literals parse");
    is_str(out, "{\"literals\":[null,true,false]}", "whitespace removed, literals kept");

    /* Every control character and the short escapes. */
    ok(CANON("\"\\b\\f\\n\\r\\t\\u0000\\u0001\\u001f\\u007f \\u2028\"") == 0, "controls parse");
    is_str(out, "\"\\b\\f\\n\\r\\t\\u0000\\u0001\\u001f\x7f \xe2\x80\xa8\"",
           "short escapes, \\u00xx lowercase, DEL and U+2028 verbatim");

    /* Integers. */
    ok(CANON("[0,-1,9007199254740991,-9007199254740991,1234567890]") == 0, "safe integers parse");
    is_str(out, "[0,-1,9007199254740991,-9007199254740991,1234567890]", "integers as plain decimal");
    ok(CANON("-0") == 0, "-0 parses");
    is_str(out, "0", "-0 serialises as 0 (so \"-0\" is not canonical)");
    REFUSES("9007199254740992", "2^53", "I-JSON");
    REFUSES("-9007199254740992", "-2^53", "I-JSON");
    REFUSES("1.5", "a fraction", "floats are not allowed");
    REFUSES("1e3", "an exponent", "floats are not allowed");
    REFUSES("[1E+2]", "an upper-case exponent", "floats are not allowed");
    REFUSES("-0.0", "negative zero float", "floats are not allowed");
    REFUSES("01", "a leading zero", "leading zero");
    REFUSES("+1", "a plus sign", "unexpected character");
    REFUSES("-", "a bare minus", "invalid number");

    /* Objects. */
    REFUSES("{\"a\":1,\"a\":2}", "duplicate keys", "duplicate");
    REFUSES("{\"a\":1,\"\\u0061\":2}", "duplicate keys spelt differently", "duplicate");
    REFUSES("{\"a\":1,}", "a trailing comma", "expected a string key");
    REFUSES("{a:1}", "an unquoted key", "expected a string key");
    REFUSES("{\"a\" 1}", "a missing colon", "expected ':'");

    /* Strings. */
    REFUSES("\"\\ud800\"", "a lone high surrogate", "lone high surrogate");
    REFUSES("\"\\udc00\"", "a lone low surrogate", "lone low surrogate");
    REFUSES("\"\\ud800\\u0041\"", "a high surrogate before a non-surrogate", "lone high surrogate");
    REFUSES("\"\xc3\x28\"", "a bad UTF-8 continuation", "invalid UTF-8");
    REFUSES("\"\xc0\xaf\"", "an overlong UTF-8 sequence", "invalid UTF-8");
    REFUSES("\"\xed\xa0\x80\"", "a UTF-8-encoded surrogate", "invalid UTF-8");
    REFUSES("\"\xf4\x90\x80\x80\"", "a code point above U+10FFFF", "invalid UTF-8");
    REFUSES("\"\xe2\x82\"", "a truncated UTF-8 sequence", "invalid UTF-8");
    REFUSES("\"a\tb\"", "a raw tab", "unescaped control");
    REFUSES("\"\\x41\"", "an unknown escape", "invalid escape");
    REFUSES("\"\\u00g1\"", "a bad \\u hex digit", "bad hex digit");
    REFUSES("\"abc", "an unterminated string", "unterminated string");
    {
        const char nul[] = "\"a\0b\"";
        refuses(nul, sizeof nul - 1, "a raw NUL", "unescaped control");
    }
    ok(CANON("\"\\u0000\"") == 0 && strcmp(out, "\"\\u0000\"") == 0, "escaped NUL round-trips");

    /* Structure. */
    REFUSES("{} {}", "two values", "after the JSON value");
    REFUSES("", "empty input", "unexpected end");
    REFUSES("[1,2", "an unterminated array", "unterminated array");
    REFUSES("tru", "a bad literal", "invalid literal");
    {
        char deep[64];
        memset(deep, '[', 17);
        memset(deep + 17, ']', 17);
        refuses(deep, 34, "17 levels of nesting (limit 16)", "nesting deeper");
        ok(canon(deep + 1, 32) == 0, "16 levels of nesting accepted");
    }

    /* Key order primitive. */
    ok(jcs_key_cmp("a", 1, "b", 1) < 0, "a < b");
    ok(jcs_key_cmp("ab", 2, "a", 1) > 0, "prefix sorts first");
    ok(jcs_key_cmp("\xf0\x9f\x98\x80", 4, "\xef\xac\xb3", 3) < 0,
       "U+1F600 (D83D DE00) sorts before U+FB33 by UTF-16, unlike by code point");
    ok(jcs_key_cmp("\xef\xbf\xbf", 3, "\xf0\x90\x80\x80", 4) > 0, "U+FFFF sorts after U+10000 by UTF-16");
    ok(jcs_key_cmp("Z", 1, "a", 1) < 0, "upper case before lower case");

    /* Builder. */
    struct jcs_doc *d = jcs_doc_new();
    struct jcs_value *o = jcs_new_object(d);
    jcs_put_str(d, o, "sig", "S");
    jcs_put_int(d, o, "b", -5);
    jcs_put_bool(d, o, "a", true);
    jcs_put_null(d, o, "n");
    struct jcs_value *arr = jcs_put_array(d, o, "arr");
    jcs_array_push(d, arr, jcs_new_int(d, 1));
    jcs_array_push(d, arr, jcs_new_string(d, "x\"", 2));
    ok(jcs_doc_error(d) == NULL, "builder: no error");
    struct jcs_buf b = { 0 };
    jcs_serialize(o, NULL, &b);
    is_str(b.p, "{\"a\":true,\"arr\":[1,\"x\\\"\"],\"b\":-5,\"n\":null,\"sig\":\"S\"}", "builder output sorted");
    b.len = 0;
    jcs_serialize(o, "sig", &b);
    is_str(b.p, "{\"a\":true,\"arr\":[1,\"x\\\"\"],\"b\":-5,\"n\":null}", "serialise omitting a key");
    ok(jcs_string_is(jcs_object_get(o, "sig"), "S"), "lookup by key");
    ok(jcs_object_get(o, "zz") == NULL, "lookup of a missing key");
    jcs_buf_free(&b);
    ok(jcs_put_uint(d, o, "big", 9007199254740992ULL) < 0, "builder refuses 2^53");
    ok(jcs_doc_error(d) && strstr(jcs_doc_error(d), "I-JSON"), "error kept: %s", jcs_doc_error(d));
    ok(jcs_put_int(d, o, "later", 1) < 0, "builder is a no-op after an error");
    jcs_doc_reset(d);
    o = jcs_new_object(d);
    jcs_put_int(d, o, "k", 1);
    ok(jcs_put_int(d, o, "k", 2) < 0 && strstr(jcs_doc_error(d), "duplicate"), "builder refuses a duplicate key");
    jcs_doc_reset(d);
    ok(jcs_new_string(d, "\xff", 1) == NULL && strstr(jcs_doc_error(d), "UTF-8"), "builder refuses invalid UTF-8");
    jcs_doc_reset(d);
    /* Many members and a large document survive arena growth and reset. */
    o = jcs_new_object(d);
    char key[16];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%05d", 4999 - i);
        jcs_put_int(d, o, key, i);
    }
    ok(!jcs_doc_error(d) && jcs_object_len(o) == 5000, "5000 members");
    const char *k0;
    size_t kl;
    jcs_object_at(o, 0, &k0, &kl);
    ok(kl == 6 && memcmp(k0, "k00000", 6) == 0, "members kept sorted");
    jcs_doc_free(d);
    return done_testing();
}

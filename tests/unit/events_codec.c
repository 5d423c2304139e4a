/* events_codec.c - hex, base64 and base64url: RFC 4648 test vectors and the
 * strictness of the decoders (one canonical spelling only). */
#include "tap.h"
#include "runtime/events/sign_codec.h"

static void b64_vector(const char *in, const char *want_std, const char *want_url)
{
    char buf[64];
    uint8_t back[32];
    size_t n = strlen(in);
    sc_b64_encode((const uint8_t *)in, n, buf);
    is_str(buf, want_std, "base64(\"%s\")", in);
    ok(sc_b64_decode(want_std, strlen(want_std), back, n) == 0 && memcmp(back, in, n) == 0,
       "base64 decode \"%s\"", want_std);
    sc_b64url_encode((const uint8_t *)in, n, buf);
    is_str(buf, want_url, "base64url(\"%s\")", in);
    ok(sc_b64url_decode(want_url, strlen(want_url), back, n) == 0 && memcmp(back, in, n) == 0,
       "base64url decode \"%s\"", want_url);
}

int main(void)
{
    /* RFC 4648 section 10. */
    b64_vector("", "", "");
    b64_vector("f", "Zg==", "Zg");
    b64_vector("fo", "Zm8=", "Zm8");
    b64_vector("foo", "Zm9v", "Zm9v");
    b64_vector("foob", "Zm9vYg==", "Zm9vYg");
    b64_vector("fooba", "Zm9vYmE=", "Zm9vYmE");
    b64_vector("foobar", "Zm9vYmFy", "Zm9vYmFy");

    uint8_t hi[3] = { 0xfb, 0xff, 0xbf }, out[8];
    char buf[16];
    sc_b64_encode(hi, 3, buf);
    is_str(buf, "+/+/", "base64 uses + and /");
    sc_b64url_encode(hi, 3, buf);
    is_str(buf, "-_-_", "base64url uses - and _");
    ok(sc_b64url_decode("+/+/", 4, out, 3) < 0, "base64url refuses + and /");
    ok(sc_b64_decode("-_-_", 4, out, 3) < 0, "base64 refuses - and _");

    ok(sc_b64_decode("Zh==", 4, out, 1) < 0, "base64 refuses non-zero trailing bits");
    ok(sc_b64url_decode("Zh", 2, out, 1) < 0, "base64url refuses non-zero trailing bits");
    ok(sc_b64_decode("Zg", 2, out, 1) < 0, "base64 refuses missing padding");
    ok(sc_b64url_decode("Zg==", 4, out, 1) < 0, "base64url refuses padding");
    ok(sc_b64_decode("Zg=\n", 4, out, 1) < 0, "base64 refuses whitespace");
    ok(sc_b64_decode("Z===", 4, out, 1) < 0, "base64 refuses misplaced padding");
    ok(sc_b64_decode("Zm9v", 4, out, 2) < 0, "base64 refuses a length other than the expected");
    ok(sc_b64_decode("Zm=v", 4, out, 3) < 0, "base64 refuses padding in the middle");

    uint8_t bytes[4] = { 0x00, 0x0f, 0xa0, 0xff };
    sc_hex_encode(bytes, 4, buf);
    is_str(buf, "000fa0ff", "hex is lowercase");
    ok(sc_hex_decode("000fa0ff", 8, out, 4) == 0 && memcmp(out, bytes, 4) == 0, "hex decodes");
    ok(sc_hex_decode("000FA0FF", 8, out, 4) < 0, "hex refuses upper case");
    ok(sc_hex_decode("000fa0f", 7, out, 4) < 0, "hex refuses an odd length");
    ok(sc_hex_decode("000fa0fg", 8, out, 4) < 0, "hex refuses a non-hex digit");

    /* A 32-byte key and a 64-byte signature: the lengths CellOS uses. */
    uint8_t k[32], k2[32], sig[64], sig2[64];
    for (int i = 0; i < 32; i++) k[i] = (uint8_t)(i * 37 + 1);
    for (int i = 0; i < 64; i++) sig[i] = (uint8_t)(255 - i * 3);
    char t[128];
    is_int(sc_b64url_encode(k, 32, t), 43, "32 bytes are 43 base64url characters");
    ok(sc_b64url_decode(t, 43, k2, 32) == 0 && memcmp(k, k2, 32) == 0, "32-byte round trip");
    is_int(sc_b64_encode(sig, 64, t), 88, "64 bytes are 88 padded base64 characters");
    ok(t[86] == '=' && t[87] == '=', "two padding characters");
    ok(sc_b64_decode(t, 88, sig2, 64) == 0 && memcmp(sig, sig2, 64) == 0, "64-byte round trip");
    return done_testing();
}

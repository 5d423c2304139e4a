/* compiler_units.c - typed scalar values: integers, bytes, durations, CPU,
 * modes, paths, hosts, addresses, env and cell names, path ordering. */
#include "tap.h"
#include "compiler/units.h"
#include "runtime/lib/sys_util.h"

static uint64_t u(const char *s, uint64_t max, int *rc)
{
    uint64_t v = 0;
    char err[200];
    *rc = parse_uint(s, max, &v, err, sizeof err);
    return v;
}

#define BYTES_OK(s, want) do { uint64_t v_ = 0; char e_[200]; \
    int r_ = parse_bytes(s, &v_, e_, sizeof e_); \
    ok(r_ == 0 && v_ == (uint64_t)(want), "bytes %s = %llu (got %llu, %s)", s, (unsigned long long)(want), \
       (unsigned long long)v_, r_ ? e_ : "ok"); } while (0)
#define BYTES_BAD(s, msg) do { uint64_t v_ = 0; char e_[200] = ""; \
    int r_ = parse_bytes(s, &v_, e_, sizeof e_); \
    ok(r_ == -1 && strstr(e_, msg) != NULL, "bytes %s refused: %s", s, e_); } while (0)
#define DUR_OK(s, want) do { uint64_t v_ = 0; char e_[200]; \
    int r_ = parse_duration_ms(s, &v_, e_, sizeof e_); \
    ok(r_ == 0 && v_ == (uint64_t)(want), "duration %s = %llums", s, (unsigned long long)(want)); } while (0)
#define DUR_BAD(s, msg) do { uint64_t v_ = 0; char e_[200] = ""; \
    int r_ = parse_duration_ms(s, &v_, e_, sizeof e_); \
    ok(r_ == -1 && strstr(e_, msg) != NULL, "duration %s refused: %s", s, e_); } while (0)
#define PATH_OK(s) do { char e_[200]; ok(check_path(s, strlen(s), e_, sizeof e_) == 0, "path %s ok", s); } while (0)
#define PATH_BAD(s, n, msg) do { char e_[200] = ""; \
    ok(check_path(s, n, e_, sizeof e_) == -1 && strstr(e_, msg), "path refused: %s", e_); } while (0)
#define HOST_OK(s) do { char e_[200]; ok(check_host(s, strlen(s), e_, sizeof e_) == 0, "host %s ok", s); } while (0)
#define HOST_BAD(s) do { char e_[200]; ok(check_host(s, strlen(s), e_, sizeof e_) == -1, "host %s refused: %s", s, e_); } while (0)

int main(void)
{
    int rc;
    is_int(u("42", 100, &rc), 42, "decimal");
    is_int(u("0x2a", 100, &rc), 42, "hex");
    is_int(u("052", 100, &rc), 42, "leading 0 is octal");
    is_int(u("0", 100, &rc), 0, "zero");
    u("101", 100, &rc); is_int(rc, -1, "above max refused");
    u("18446744073709551616", UINT64_MAX, &rc); is_int(rc, -1, "2^64 overflows");
    is_int((long long)(u("18446744073709551615", UINT64_MAX, &rc) == UINT64_MAX), 1, "2^64-1 fits");
    u("089", 1000, &rc); is_int(rc, -1, "8 is not an octal digit");
    u("12MiB", UINT64_MAX, &rc); is_int(rc, -1, "no unit on a plain integer");
    u("0x", 100, &rc); is_int(rc, -1, "bare 0x refused");

    BYTES_OK("4096", 4096);
    BYTES_OK("64KiB", 65536);
    BYTES_OK("256MiB", 256ull << 20);
    BYTES_OK("1.5GiB", 3ull << 29);
    BYTES_OK("2TiB", 2ull << 40);
    BYTES_OK("10B", 10);
    BYTES_BAD("64M", "ambiguous unit 'M'");
    BYTES_BAD("1GB", "write GiB");
    BYTES_BAD("2k", "write KiB");
    BYTES_BAD("5Mib", "unknown size unit");
    BYTES_BAD("1.5B", "whole");
    BYTES_BAD("17179869184GiB", "out of range");
    BYTES_BAD("1.1234567891GiB", "9 fraction digits");

    DUR_OK("500ms", 500);
    DUR_OK("10s", 10000);
    DUR_OK("10m", 600000);
    DUR_OK("1h", 3600000);
    DUR_OK("2d", 172800000);
    DUR_OK("1.5s", 1500);
    DUR_BAD("10", "needs a unit");
    DUR_BAD("1.0005s", "whole number of milliseconds");
    DUR_BAD("3w", "unknown duration unit");

    uint32_t m;
    char e[200];
    ok(parse_cpu_millis("1500m", &m, e, sizeof e) == 0 && m == 1500, "cpu 1500m");
    ok(parse_cpu_millis("2", &m, e, sizeof e) == 0 && m == 2000, "cpu 2 cores");
    ok(parse_cpu_millis("0.25", &m, e, sizeof e) == 0 && m == 250, "cpu 0.25 cores");
    ok(parse_cpu_millis("0.0001", &m, e, sizeof e) == -1, "cpu finer than 1m refused");
    ok(parse_cpu_millis("0m", &m, e, sizeof e) == -1, "cpu 0 refused");
    ok(parse_cpu_millis("2x", &m, e, sizeof e) == -1, "cpu unit refused");

    ok(parse_mode("0755", 07777, &m, e, sizeof e) == 0 && m == 0755, "mode 0755");
    ok(parse_mode("1777", 07777, &m, e, sizeof e) == 0 && m == 01777, "mode 1777 is octal");
    ok(parse_mode("10000", 07777, &m, e, sizeof e) == -1, "mode above 07777 refused");
    ok(parse_mode("0778", 07777, &m, e, sizeof e) == -1, "mode digit 8 refused");
    ok(parse_mode("0x1ff", 07777, &m, e, sizeof e) == -1, "hex mode refused");

    PATH_OK("/");
    PATH_OK("/usr/lib/x86_64-linux-gnu");
    PATH_BAD("usr", 3, "absolute");
    PATH_BAD("/a/../b", 7, "'..'");
    PATH_BAD("/a/./b", 6, "'.'");
    PATH_BAD("/a//b", 5, "'//'");
    PATH_BAD("/a/", 3, "end with");
    PATH_BAD("/a\0b", 4, "NUL");
    PATH_BAD("", 0, "empty");
    char longp[5000];
    longp[0] = '/';
    for (int i = 1; i < 4097; i++)
        longp[i] = (i % 200 == 0) ? '/' : 'a';
    longp[4097] = 0;
    PATH_BAD(longp, 4097, "longer than 4095");

    HOST_OK("api.example.com");
    HOST_OK("a");
    HOST_OK("xn--bcher-kva.example");
    HOST_BAD("-a.example");
    HOST_BAD("a-.example");
    HOST_BAD("a..example");
    HOST_BAD("a.example.");
    HOST_BAD("under_score.example");
    HOST_BAD("");

    ok(check_env_name("PATH", 4, e, sizeof e) == 0, "env PATH");
    ok(check_env_name("_x1", 3, e, sizeof e) == 0, "env _x1");
    ok(check_env_name("1X", 2, e, sizeof e) == -1, "env 1X refused");
    ok(check_env_name("A-B", 3, e, sizeof e) == -1, "env A-B refused");
    ok(check_cell_name("hello.v2-x_y", 12, e, sizeof e) == 0, "cell name");
    ok(check_cell_name("a b", 3, e, sizeof e) == -1, "cell name with space refused");

    struct cidr c;
    ok(parse_cidr("10.0.0.0", "8", &c, e, sizeof e) == 0 && c.family == 4 && c.prefix == 8 && c.addr[0] == 10,
       "10.0.0.0/8");
    ok(parse_cidr("10.1.0.0", "8", &c, e, sizeof e) == -1 && strstr(e, "host bits"), "host bits refused");
    ok(parse_cidr("192.168.1.7", NULL, &c, e, sizeof e) == 0 && c.prefix == 32, "single v4 host");
    ok(parse_cidr("[fd00::]", "8", &c, e, sizeof e) == 0 && c.family == 6 && c.addr[0] == 0xfd, "[fd00::]/8");
    ok(parse_cidr("[::]", "0", &c, e, sizeof e) == 0 && c.prefix == 0, "[::]/0");
    ok(parse_cidr("[fd00::1]", "64", &c, e, sizeof e) == -1, "v6 host bits refused");
    ok(parse_cidr("256.0.0.0", "8", &c, e, sizeof e) == -1, "octet 256 refused");
    ok(parse_cidr("01.0.0.0", "8", &c, e, sizeof e) == -1, "leading zero octet refused");
    ok(parse_cidr("10.0.0.0", "33", &c, e, sizeof e) == -1, "prefix 33 refused");
    ok(parse_cidr("[zz::]", NULL, &c, e, sizeof e) == -1, "bad v6 refused");

    uint8_t sha[32];
    const char *hx = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    ok(parse_sha256_hex(hx, 64, sha, e, sizeof e) == 0 && sha[0] == 0xe3 && sha[31] == 0x55, "sha256 hex");
    ok(parse_sha256_hex(hx, 63, sha, e, sizeof e) == -1, "short sha refused");

    ok(sys_path_within("/a/b", "/a") && sys_path_within("/a", "/a") && !sys_path_within("/ab", "/a") &&
       sys_path_within("/x", "/"), "path_within is component-wise");
    const char *st = "42 (a) (b c) S 7 42 42 0 -1 4194560 99";
    const char *f3 = sys_proc_stat_field(st, 3), *f4 = sys_proc_stat_field(st, 4), *f9 = sys_proc_stat_field(st, 9);
    ok(f3 && *f3 == 'S' && f4 && strtol(f4, NULL, 10) == 7 && f9 && strtol(f9, NULL, 10) == 4194560,
       "proc stat fields are counted after the comm's last ')', spaces in it and all");
    ok(!sys_proc_stat_field(st, 11) && !sys_proc_stat_field(st, 2) && !sys_proc_stat_field("1 (x", 3) &&
           !sys_proc_stat_field("1 (x) ", 3),
       "proc stat: a field past the end, below 3, or with no comm end is NULL");
    ok(path_cmp("/a", "/a/b") < 0 && path_cmp("/a/b", "/a-b") < 0 && path_cmp("/a-b", "/a") > 0 &&
       path_cmp("/a", "/a") == 0, "path_cmp puts parents first");
    return done_testing();
}

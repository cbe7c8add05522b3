/* Unit tests for src/auth/qrcode: the SVG is well formed and self-contained, its size in
 * modules matches the QR version the text needs (byte mode, level M), its path draws the
 * finder and timing patterns where they belong, and — the real proof — rsvg-convert renders
 * it and zbarimg decodes the original text back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/qrcode.h"

#define QZ QRCODE_QUIET_ZONE
#define MAX_SIDE (177 + 2 * QZ)

/* Byte-mode capacity at error correction level M, versions 1..26 (ISO/IEC 18004 table 7). */
static const int capacity_m[] = {14,  26,  42,  62,  84,  106, 122, 152, 180, 213, 251, 287, 331,
                                 362, 412, 450, 504, 560, 624, 666, 711, 779, 857, 911, 997, 1059};

static int expected_version(size_t len)
{
    for (int v = 1; v <= (int)(sizeof capacity_m / sizeof capacity_m[0]); v++)
        if ((size_t)capacity_m[v - 1] >= len)
            return v;
    return -1;
}

/* Minimal XML check: tags balance, attribute values are quoted, nothing outside the root. */
static bool xml_well_formed(const char *s)
{
    const char *stack[16];
    size_t depth = 0;
    bool seen_root = false;
    while (*s) {
        if (*s != '<')
            return false; /* no text content is expected in this document */
        bool closing = s[1] == '/';
        const char *name = s + 1 + closing;
        size_t nlen = strcspn(name, " />");
        const char *end = strchr(name, '>');
        if (!end || nlen == 0)
            return false;
        size_t quotes = 0;
        for (const char *q = name; q < end; q++)
            quotes += *q == '"';
        if (quotes % 2)
            return false;
        if (closing) {
            if (depth == 0 || strncmp(stack[--depth], name, nlen) != 0)
                return false;
        } else if (end[-1] != '/') {
            if (depth == 16 || (depth == 0 && seen_root))
                return false;
            stack[depth++] = name;
            seen_root = true;
        }
        s = end + 1;
    }
    return depth == 0 && seen_root;
}

static unsigned char grid[MAX_SIDE][MAX_SIDE]; /* the modules drawn by the path */

/* Whether module (x, y) of the symbol (quiet zone excluded) is dark. */
static bool dark(int x, int y)
{
    return grid[QZ + y][QZ + x] != 0;
}

/* Reads the path's rectangles "Mx yhnv1h-nz" into grid; false on anything unexpected. */
static bool draw_path(const char *d, int side)
{
    while (*d && *d != '"') {
        int x, y, n, n2, used = 0;
        char *e;
        if (*d != 'M')
            return false;
        x = (int)strtol(d + 1, &e, 10);
        y = (int)strtol(e + 1, &e, 10);
        if (*e != 'h')
            return false;
        n = (int)strtol(e + 1, &e, 10);
        if (strncmp(e, "v1h-", 4) != 0)
            return false;
        n2 = (int)strtol(e + 4, &e, 10);
        if (*e != 'z' || n != n2 || n < 1 || x < QZ || y < QZ || x + n > side - QZ ||
            y >= side - QZ)
            return false;
        for (int i = 0; i < n; i++)
            used |= grid[y][x + i]++;
        if (used)
            return false; /* overlapping rectangles */
        d = e + 1;
    }
    return *d == '"';
}

/* A 7x7 finder pattern with its top-left module at (x, y). */
static bool finder_at(int x, int y)
{
    for (int j = 0; j < 7; j++)
        for (int i = 0; i < 7; i++) {
            bool ring = i == 0 || j == 0 || i == 6 || j == 6;
            bool core = i >= 2 && i <= 4 && j >= 2 && j <= 4;
            if (dark(x + i, y + j) != (ring || core))
                return false;
        }
    return true;
}

/* Checks the SVG's structure; returns its width in modules (without quiet zone) or -1. */
static int check_svg(const char *svg)
{
    int side = 0;
    const char *vb = strstr(svg, "viewBox=\"0 0 ");
    const char *path = strstr(svg, "<path ");
    const char *d = path ? strstr(path, " d=\"") : NULL;
    if (!xml_well_formed(svg) || !vb || !d || strstr(path + 1, "<path") || strstr(svg, "href") ||
        strstr(svg, "url(") || strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) != 0)
        return -1;
    side = (int)strtol(vb + 13, NULL, 10);
    int w = side - 2 * QZ;
    if (side > MAX_SIDE || w < 21 || (w - 17) % 4 != 0)
        return -1;
    memset(grid, 0, sizeof grid);
    if (!draw_path(d + 4, side))
        return -1;
    if (!finder_at(0, 0) || !finder_at(w - 7, 0) || !finder_at(0, w - 7))
        return -1;
    for (int i = 8; i < w - 8; i++)
        if (dark(i, 6) != !(i & 1) || dark(6, i) != !(i & 1))
            return -1; /* timing patterns */
    return w;
}

static bool have_tools(void)
{
    return system("command -v rsvg-convert >/dev/null 2>&1 && "
                  "command -v zbarimg >/dev/null 2>&1") == 0;
}

/* Renders svg to PNG with rsvg-convert and decodes it with zbarimg into out. */
static bool decode_svg(const char *svg, char *out, size_t cap)
{
    char svgpath[] = "/tmp/snag-qr-XXXXXX.svg", pngpath[64], cmd[256];
    bool ok = false;
    int fd = mkstemps(svgpath, 4);
    if (fd < 0)
        return false;
    size_t len = strlen(svg);
    bool written = write(fd, svg, len) == (ssize_t)len;
    close(fd);
    snprintf(pngpath, sizeof pngpath, "%.*s.png", (int)strlen(svgpath) - 4, svgpath);
    snprintf(cmd, sizeof cmd, "rsvg-convert -w 600 -h 600 -o %s %s", pngpath, svgpath);
    if (written && system(cmd) == 0) {
        snprintf(cmd, sizeof cmd, "zbarimg -q --raw %s 2>/dev/null", pngpath);
        FILE *p = popen(cmd, "r");
        if (p) {
            size_t n = fread(out, 1, cap - 1, p);
            out[n] = '\0';
            while (n && out[n - 1] == '\n')
                out[--n] = '\0';
            ok = pclose(p) == 0;
        }
    }
    unlink(svgpath);
    unlink(pngpath);
    return ok;
}

static const char *const texts[] = {
    "hello",
    "https://snag.example/2fa",
    "otpauth://totp/snag:ann%2B2fa@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer="
    "snag",
    "a fairly long piece of text that needs a bigger symbol to hold it: lorem ipsum dolor sit "
    "amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore mag",
};

static void test_qrcode_structure(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct arena *a = arena_new(0);
        char *svg = NULL;
        assert_int_equal(qrcode_svg(a, texts[i], &svg, NULL), E_OK);
        int w = check_svg(svg), v = expected_version(strlen(texts[i]));
        if (w != 17 + 4 * v)
            fail_msg("text %zu (%zu bytes): %d modules, want %d (version %d):\n%s", i,
                     strlen(texts[i]), w, 17 + 4 * v, v, svg);
        arena_free(a);
    }
}

static void test_qrcode_decodes(void **state)
{
    (void)state;
    if (!have_tools()) {
        fprintf(stderr, "rsvg-convert or zbarimg missing (scripts/deps.sh --test installs "
                        "librsvg2-bin zbar-tools)\n");
        skip();
    }
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct arena *a = arena_new(0);
        char *svg = NULL, got[2048];
        assert_int_equal(qrcode_svg(a, texts[i], &svg, NULL), E_OK);
        if (!decode_svg(svg, got, sizeof got) || strcmp(got, texts[i]) != 0)
            fail_msg("text %zu: decoded '%s'", i, got);
        arena_free(a);
    }
}

static void test_qrcode_errors(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    char dummy = 0, *svg = &dummy;
    struct errinfo ei = {{0}};
    assert_int_equal(qrcode_svg(a, "", &svg, &ei), E_INVALID);
    assert_null(svg);
    char big[QRCODE_MAX_TEXT + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(qrcode_svg(a, big, &svg, &ei), E_TOOBIG);
    big[QRCODE_MAX_TEXT] = '\0'; /* the longest text accepted: version 26 */
    assert_int_equal(qrcode_svg(a, big, &svg, &ei), E_OK);
    assert_int_equal(check_svg(svg), 17 + 4 * 26);
    arena_free(a);
    a = arena_new(256);
    assert_int_equal(qrcode_svg(a, "hello", &svg, &ei), E_TOOBIG);
    arena_free(a);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qrcode_structure),
        cmocka_unit_test(test_qrcode_decodes),
        cmocka_unit_test(test_qrcode_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * diag.c - collecting and printing policy diagnostics (see diag.h).
 *
 * Invariants: every stored item's location refers to a registered source or
 * has line 0 (a whole-file error); messages are one line; JSON output is
 * valid UTF-8 whatever bytes the policy held.
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("cellc: out of memory\n", stderr);
        abort();
    }
    return q;
}

static char *xvasprintf(const char *fmt, va_list ap)
{
    char small[256];
    va_list ap2;
    if (!fmt)
        fmt = "";
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        n = 0;
    char *s = xrealloc(NULL, (size_t)n + 1);
    if ((size_t)n < sizeof small)
        memcpy(s, small, (size_t)n + 1);
    else
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return s;
}

void diag_init(struct diag *d)
{
    memset(d, 0, sizeof *d);
}

void diag_free(struct diag *d)
{
    for (size_t i = 0; i < d->n_src; i++) {
        free(d->src[i].name);
        free(d->src[i].text);
        free(d->src[i].line_start);
    }
    free(d->src);
    for (size_t i = 0; i < d->n_items; i++) {
        struct diag_item *it = &d->items[i];
        free(it->msg);
        for (size_t j = 0; j < it->n_expected; j++)
            free(it->expected[j]);
        free(it->expected);
        for (size_t j = 0; j < it->n_notes; j++)
            free(it->notes[j].msg);
        free(it->notes);
    }
    free(d->items);
    memset(d, 0, sizeof *d);
}

uint32_t diag_add_source(struct diag *d, const char *name, const char *text, size_t len)
{
    d->src = xrealloc(d->src, (d->n_src + 1) * sizeof *d->src);
    struct diag_source *s = &d->src[d->n_src];
    memset(s, 0, sizeof *s);
    s->name = strdup(name);
    s->text = xrealloc(NULL, len + 1);
    if (!s->name) {
        fputs("cellc: out of memory\n", stderr);
        abort();
    }
    memcpy(s->text, text, len);
    s->text[len] = 0;
    s->len = len;
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n')
            n++;
    s->line_start = xrealloc(NULL, n * sizeof *s->line_start);
    s->line_start[0] = 0;
    size_t k = 1;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n')
            s->line_start[k++] = i + 1;
    s->n_lines = n;
    return (uint32_t)d->n_src++;
}

const struct diag_source *diag_source(const struct diag *d, uint32_t file)
{
    return file < d->n_src ? &d->src[file] : NULL;
}

static struct diag_item *new_item(struct diag *d, struct loc loc, char *msg, bool warning)
{
    if (warning)
        d->n_warnings++;
    else
        d->n_errors++;
    if (d->n_items >= DIAG_MAX_STORED) {
        free(msg);
        return NULL;
    }
    if (d->n_items == d->cap_items) {
        d->cap_items = d->cap_items ? d->cap_items * 2 : 16;
        d->items = xrealloc(d->items, d->cap_items * sizeof *d->items);
    }
    struct diag_item *it = &d->items[d->n_items];
    memset(it, 0, sizeof *it);
    it->loc = loc;
    it->msg = msg;
    it->warning = warning;
    it->seq = d->n_items++;
    return it;
}

void diag_error(struct diag *d, struct loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    new_item(d, loc, msg, false);
}

void diag_warning(struct diag *d, struct loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    new_item(d, loc, msg, true);
}

void diag_error_file(struct diag *d, uint32_t file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    struct loc loc = { .file = file };
    new_item(d, loc, msg, false);
}

/* The item the last diag_error created, or NULL when it was dropped. */
static struct diag_item *last_item(struct diag *d)
{
    if (d->n_items == 0 || d->n_errors + d->n_warnings != d->n_items)
        return NULL;
    return &d->items[d->n_items - 1];
}

void diag_note(struct diag *d, struct loc loc, const char *fmt, ...)
{
    struct diag_item *it = last_item(d);
    if (!it)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    it->notes = xrealloc(it->notes, (it->n_notes + 1) * sizeof *it->notes);
    it->notes[it->n_notes].loc = loc;
    it->notes[it->n_notes].msg = msg;
    it->n_notes++;
}

void diag_expected(struct diag *d, const char *const *tokens, size_t n)
{
    struct diag_item *it = last_item(d);
    if (!it || n == 0)
        return;
    it->expected = xrealloc(NULL, n * sizeof *it->expected);
    for (size_t i = 0; i < n; i++) {
        it->expected[i] = strdup(tokens[i]);
        if (!it->expected[i]) {
            fputs("cellc: out of memory\n", stderr);
            abort();
        }
    }
    it->n_expected = n;
}

const char *diag_quote(char *buf, size_t bufsz, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (bufsz < 8) {
        if (bufsz)
            buf[0] = 0;
        return buf;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[4];
        size_t n;
        if (c == '\'' || c == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)c;
            n = 2;
        } else if (c >= 0x20 && c < 0x7f) {
            tmp[0] = (char)c;
            n = 1;
        } else {
            tmp[0] = '\\';
            tmp[1] = 'x';
            tmp[2] = hex[c >> 4];
            tmp[3] = hex[c & 15];
            n = 4;
        }
        if (o + n + 4 > bufsz) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(buf + o, tmp, n);
        o += n;
    }
    buf[o] = 0;
    return buf;
}

/* ---- printing ----------------------------------------------------------- */

static int cmp_items(const void *a, const void *b)
{
    const struct diag_item *x = a, *y = b;
    if (x->loc.file != y->loc.file)
        return x->loc.file < y->loc.file ? -1 : 1;
    if (x->loc.line != y->loc.line)
        return x->loc.line < y->loc.line ? -1 : 1;
    if (x->loc.col != y->loc.col)
        return x->loc.col < y->loc.col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static const char *src_name(const struct diag *d, uint32_t file)
{
    const struct diag_source *s = diag_source(d, file);
    return s ? s->name : "<unknown>";
}

/* The text of line `line` (1-based) without its newline, or NULL. */
static const char *line_text(const struct diag *d, struct loc loc, size_t *len)
{
    const struct diag_source *s = diag_source(d, loc.file);
    if (!s || loc.line == 0 || loc.line > s->n_lines)
        return NULL;
    size_t start = s->line_start[loc.line - 1];
    size_t end = loc.line < s->n_lines ? s->line_start[loc.line] - 1 : s->len;
    if (end > start && s->text[end - 1] == '\r')
        end--;
    *len = end - start;
    return s->text + start;
}

/* gcc style: the line under a gutter, then the caret and tildes. Control
 * bytes in the source line print as spaces (tabs kept) so the caret lines
 * up. A line longer than EXCERPT_MAX bytes is shown as a window around the
 * column, marked with "...", so output stays bounded whatever the input. */
#define EXCERPT_MAX 200

static void put_src_byte(FILE *out, char ch)
{
    unsigned char c = (unsigned char)ch;
    fputc(c == '\t' || c >= 0x20 ? c : ' ', out);
}

static void print_excerpt(const struct diag *d, FILE *out, struct loc loc)
{
    size_t len;
    const char *t = line_text(d, loc, &len);
    if (!t)
        return;
    size_t col = loc.col ? loc.col : 1; /* 1-based byte column */
    if (col > len + 1)
        col = len + 1;
    size_t end = loc.end_line == loc.line ? loc.end_col : len;
    if (end > len)
        end = len;
    size_t from = 0, to = len; /* shown bytes [from, to) */
    if (len > EXCERPT_MAX) {
        from = col > EXCERPT_MAX / 4 ? col - 1 - EXCERPT_MAX / 4 : 0;
        to = from + EXCERPT_MAX < len ? from + EXCERPT_MAX : len;
        if (end > to)
            end = to;
    }
    const char *pre = from > 0 ? "..." : "";
    fprintf(out, "%5u | %s", loc.line, pre);
    for (size_t i = from; i < to; i++)
        put_src_byte(out, t[i]);
    fputs(to < len ? "...\n" : "\n", out);
    fprintf(out, "      | %s", from > 0 ? "   " : "");
    for (size_t i = from + 1; i < col && i <= to; i++)
        fputc(t[i - 1] == '\t' ? '\t' : ' ', out);
    fputc('^', out);
    for (size_t i = col + 1; i <= end; i++)
        fputc('~', out);
    fputc('\n', out);
}

static void print_text_one(const struct diag *d, FILE *out, const char *sev, struct loc loc, const char *msg)
{
    if (loc.line)
        fprintf(out, "%s:%u:%u: %s: %s\n", src_name(d, loc.file), loc.line, loc.col, sev, msg);
    else
        fprintf(out, "%s: %s: %s\n", src_name(d, loc.file), sev, msg);
    print_excerpt(d, out, loc);
}

/* Write a JSON string: valid UTF-8 passes, invalid bytes become U+FFFD. */
static void json_str(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    while (*p) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
            p++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n': fputs("\\n", out); break;
            case '\t': fputs("\\t", out); break;
            case '\r': fputs("\\r", out); break;
            default: fprintf(out, "\\u%04x", c);
            }
            p++;
        } else if (c < 0x80) {
            fputc(c, out);
            p++;
        } else {
            size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
            if (c >= 0xf5)
                n = 0;
            size_t k = 1;
            while (n && k < n && (p[k] & 0xc0) == 0x80)
                k++;
            bool okseq = n && k == n;
            if (okseq && n == 3) {
                /* no overlongs or surrogates */
                if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0))
                    okseq = false;
            }
            if (okseq && n == 4) {
                if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
                    okseq = false;
            }
            if (okseq) {
                fwrite(p, 1, n, out);
                p += n;
            } else {
                fputs("\\ufffd", out);
                p++;
            }
        }
    }
    fputc('"', out);
}

static void json_loc(const struct diag *d, FILE *out, struct loc loc)
{
    fputs("\"file\":", out);
    json_str(out, src_name(d, loc.file));
    fprintf(out, ",\"line\":%u,\"column\":%u,\"end_line\":%u,\"end_column\":%u", loc.line, loc.col,
            loc.end_line, loc.end_col);
}

static void print_json_one(const struct diag *d, FILE *out, const struct diag_item *it)
{
    fputc('{', out);
    json_loc(d, out, it->loc);
    fputs(it->warning ? ",\"severity\":\"warning\",\"message\":" : ",\"severity\":\"error\",\"message\":",
          out);
    json_str(out, it->msg);
    if (it->n_expected) {
        fputs(",\"expected\":[", out);
        for (size_t i = 0; i < it->n_expected; i++) {
            if (i)
                fputc(',', out);
            json_str(out, it->expected[i]);
        }
        fputc(']', out);
    }
    fputs(",\"notes\":[", out);
    for (size_t i = 0; i < it->n_notes; i++) {
        if (i)
            fputc(',', out);
        fputc('{', out);
        json_loc(d, out, it->notes[i].loc);
        fputs(",\"severity\":\"note\",\"message\":", out);
        json_str(out, it->notes[i].msg);
        fputc('}', out);
    }
    fputs("]}", out);
}

/* JSON: one document, also when there is nothing to say, so that a tool
 * can always parse the output: {"errors":E,"warnings":W,"diagnostics":[
 * one object per line ]}. The counts include diagnostics not stored. */
static void print_json(const struct diag *d, FILE *out)
{
    fprintf(out, "{\"errors\":%zu,\"warnings\":%zu,\"diagnostics\":[", d->n_errors, d->n_warnings);
    for (size_t i = 0; i < d->n_items; i++) {
        fputs(i ? ",\n" : "\n", out);
        print_json_one(d, out, &d->items[i]);
    }
    fputs(d->n_items ? "\n]}\n" : "]}\n", out);
}

void diag_print(struct diag *d, FILE *out, enum diag_format fmt)
{
    if (d->n_items > 1)
        qsort(d->items, d->n_items, sizeof *d->items, cmp_items);
    if (fmt == DIAG_JSON) {
        print_json(d, out);
        return;
    }
    for (size_t i = 0; i < d->n_items; i++) {
        const struct diag_item *it = &d->items[i];
        print_text_one(d, out, it->warning ? "warning" : "error", it->loc, it->msg);
        for (size_t j = 0; j < it->n_notes; j++)
            print_text_one(d, out, "note", it->notes[j].loc, it->notes[j].msg);
    }
    if (d->n_errors + d->n_warnings > d->n_items)
        fprintf(out, "cellc: error: %zu more errors not shown\n", d->n_errors + d->n_warnings - d->n_items);
}

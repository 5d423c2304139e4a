/*
 * http_sink.c - CloudEvents over HTTP with libcurl (http_sink.h). One easy
 * handle per sink, reused so that connections stay alive; bodies are built
 * in one buffer per request. The response body is read and dropped (its
 * first 255 bytes kept for the message of a failure). libcurl is loaded
 * with dlopen when the first HTTP sink opens: linking it would cost every
 * cellsend start, NATS-only ones included, some 6 ms of dynamic loading
 * (bench/sinks.sh, docs/performance.md).
 */
#include "http_sink.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_BATCH_BYTES (4u << 20) /* a batch body at most */

/* The libcurl functions used, from dlopen("libcurl.so.4"). */
struct curl_api {
    void *lib;
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
};

struct http_sink {
    struct curl_api api;
    CURL *curl;
    struct curl_slist *hdr_one, *hdr_batch;
    char display[SINK_SPEC_MAX];
    bool batch;
    unsigned batch_max;
    char *body;
    size_t body_cap;
    char resp[256];
    size_t resp_len;
};

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
    struct http_sink *h = ud;
    size_t n = sz * nm;
    size_t room = sizeof h->resp - 1 - h->resp_len;
    size_t k = n < room ? n : room;
    memcpy(h->resp + h->resp_len, p, k);
    h->resp_len += k;
    h->resp[h->resp_len] = 0;
    return n;
}

static int load_curl(struct curl_api *a, struct cell_error *e)
{
    a->lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!a->lib)
        return cell_err(e, 0, "http: cannot load libcurl.so.4 (install libcurl4): %s", dlerror());
#define SYM(f, name)                                                                                         \
    do {                                                                                                     \
        if (!(*(void **)&a->f = dlsym(a->lib, name)))                                                        \
            return cell_err(e, 0, "http: libcurl.so.4 lacks %s", name);                                      \
    } while (0)
    SYM(global_init, "curl_global_init");
    SYM(easy_init, "curl_easy_init");
    SYM(easy_setopt, "curl_easy_setopt");
    SYM(easy_perform, "curl_easy_perform");
    SYM(easy_getinfo, "curl_easy_getinfo");
    SYM(easy_cleanup, "curl_easy_cleanup");
    SYM(easy_strerror, "curl_easy_strerror");
    SYM(slist_append, "curl_slist_append");
    SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
    /* libcurl counts global_init calls; cellsend is one thread */
    if (a->global_init(CURL_GLOBAL_DEFAULT) != 0)
        return cell_err(e, 0, "http: libcurl failed to initialise");
    return 0;
}

int http_sink_open(struct http_sink **out, const struct sink_spec *s, int timeout_ms, struct cell_error *e)
{
    *out = NULL;
    struct http_sink *h = calloc(1, sizeof *h);
    if (!h)
        return cell_err(e, ENOMEM, "http: out of memory");
    if (load_curl(&h->api, e) < 0) {
        http_sink_close(h);
        return -1;
    }
    snprintf(h->display, sizeof h->display, "%s", s->display);
    h->batch = s->batch;
    h->batch_max = s->batch_max ? s->batch_max : 1000;
    h->curl = h->api.easy_init();
    h->hdr_one = h->api.slist_append(NULL, "Content-Type: application/cloudevents+json; charset=utf-8");
    h->hdr_batch =
        h->api.slist_append(NULL, "Content-Type: application/cloudevents-batch+json; charset=utf-8");
    if (h->hdr_one)
        h->hdr_one = h->api.slist_append(h->hdr_one, "Expect:");
    if (h->hdr_batch)
        h->hdr_batch = h->api.slist_append(h->hdr_batch, "Expect:");
    if (!h->curl || !h->hdr_one || !h->hdr_batch) {
        http_sink_close(h);
        return cell_err(e, ENOMEM, "http %s: cannot set up libcurl", s->display);
    }
    h->api.easy_setopt(h->curl, CURLOPT_URL, s->url);
    h->api.easy_setopt(h->curl, CURLOPT_POST, 1L);
    h->api.easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
    h->api.easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    h->api.easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
    h->api.easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    h->api.easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms * 2);
    h->api.easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
    h->api.easy_setopt(h->curl, CURLOPT_WRITEDATA, h);
    h->api.easy_setopt(h->curl, CURLOPT_USERAGENT, "cellsend/1");
    if (s->ca[0])
        h->api.easy_setopt(h->curl, CURLOPT_CAINFO, s->ca);
    *out = h;
    return 0;
}

/* One POST; 0 delivered, -1 with *permanent. */
static int post(struct http_sink *h, const char *body, size_t n, bool batch, bool *permanent,
                struct cell_error *e)
{
    h->resp_len = 0;
    h->resp[0] = 0;
    h->api.easy_setopt(h->curl, CURLOPT_HTTPHEADER, batch ? h->hdr_batch : h->hdr_one);
    h->api.easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
    h->api.easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    CURLcode rc = h->api.easy_perform(h->curl);
    *permanent = false;
    if (rc != CURLE_OK)
        return cell_err(e, 0, "http %s: %s", h->display, h->api.easy_strerror(rc));
    long status = 0;
    h->api.easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300)
        return 0;
    for (char *p = h->resp; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    *permanent = !(status == 429 || status >= 500 || status == 408);
    return cell_err(e, 0, "http %s: status %ld%s%s", h->display, status, h->resp[0] ? ": " : "", h->resp);
}

int http_sink_send(struct http_sink *h, const struct sink_line *l, size_t n, size_t *delivered,
                   bool *permanent, struct cell_error *e)
{
    *delivered = 0;
    *permanent = false;
    if (n == 0)
        return 0;
    if (!h->batch) {
        if (post(h, l[0].p, l[0].n, false, permanent, e) < 0)
            return -1;
        *delivered = 1;
        return 0;
    }
    size_t k = 0, bytes = 2;
    while (k < n && k < h->batch_max && (k == 0 || bytes + l[k].n + 1 <= HTTP_BATCH_BYTES))
        bytes += l[k++].n + 1;
    if (bytes > h->body_cap) {
        char *b = realloc(h->body, bytes);
        if (!b)
            return cell_err(e, ENOMEM, "http: out of memory");
        h->body = b;
        h->body_cap = bytes;
    }
    size_t o = 0;
    h->body[o++] = '[';
    for (size_t i = 0; i < k; i++) {
        if (i)
            h->body[o++] = ',';
        memcpy(h->body + o, l[i].p, l[i].n);
        o += l[i].n;
    }
    h->body[o++] = ']';
    if (post(h, h->body, o, true, permanent, e) < 0)
        return -1;
    *delivered = k;
    return 0;
}

void http_sink_close(struct http_sink *h)
{
    if (!h)
        return;
    if (h->curl)
        h->api.easy_cleanup(h->curl);
    if (h->api.slist_free_all) {
        h->api.slist_free_all(h->hdr_one);
        h->api.slist_free_all(h->hdr_batch);
    }
    free(h->body); /* libcurl stays loaded: cellsend may open another sink */
    free(h);
}

/*
 * http_sink.c - CloudEvents over HTTP with libcurl (http_sink.h). One easy
 * handle per sink, reused so that connections stay alive; bodies are built
 * in one buffer per request. The response body is read and dropped (at
 * most 64 KiB kept for the message of a failure).
 */
#include "http_sink.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_BATCH_BYTES (4u << 20) /* a batch body at most */

struct http_sink {
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

int http_sink_open(struct http_sink **out, const struct sink_spec *s, int timeout_ms, struct cell_error *e)
{
    *out = NULL;
    /* once per process, before the first handle (cellsend is one thread;
     * libcurl counts the calls) */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return cell_err(e, 0, "http %s: libcurl failed to initialise", s->display);
    struct http_sink *h = calloc(1, sizeof *h);
    if (!h)
        return cell_err(e, ENOMEM, "http: out of memory");
    snprintf(h->display, sizeof h->display, "%s", s->display);
    h->batch = s->batch;
    h->batch_max = s->batch_max ? s->batch_max : 1000;
    h->curl = curl_easy_init();
    h->hdr_one = curl_slist_append(NULL, "Content-Type: application/cloudevents+json; charset=utf-8");
    h->hdr_batch = curl_slist_append(NULL, "Content-Type: application/cloudevents-batch+json; charset=utf-8");
    if (h->hdr_one)
        h->hdr_one = curl_slist_append(h->hdr_one, "Expect:");
    if (h->hdr_batch)
        h->hdr_batch = curl_slist_append(h->hdr_batch, "Expect:");
    if (!h->curl || !h->hdr_one || !h->hdr_batch) {
        http_sink_close(h);
        return cell_err(e, ENOMEM, "http %s: cannot set up libcurl", s->display);
    }
    curl_easy_setopt(h->curl, CURLOPT_URL, s->url);
    curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms * 2);
    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "cellsend/1");
    if (s->ca[0])
        curl_easy_setopt(h->curl, CURLOPT_CAINFO, s->ca);
    *out = h;
    return 0;
}

/* One POST; 0 delivered, -1 with *permanent. */
static int post(struct http_sink *h, const char *body, size_t n, bool batch, bool *permanent,
                struct cell_error *e)
{
    h->resp_len = 0;
    h->resp[0] = 0;
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, batch ? h->hdr_batch : h->hdr_one);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    CURLcode rc = curl_easy_perform(h->curl);
    *permanent = false;
    if (rc != CURLE_OK)
        return cell_err(e, 0, "http %s: %s", h->display, curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
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
        curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->hdr_one);
    curl_slist_free_all(h->hdr_batch);
    free(h->body);
    free(h);
}

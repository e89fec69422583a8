/*
 * signed_post.c: a test tool that sends partner-signed POSTs the way
 * seam-partner signs them, many over one connection, so that the tests can
 * replay, flood and time signed requests. Not installed; tests only.
 *
 *   signed-post --key PARTNER_KEY --token TOKEN --url BASE [--at UNIX_TIME]
 *               [--count N] [--print] PATH BODY
 *
 * Each of the N requests (default 1) signs BODY with every "%N" in it
 * replaced by the request's number (0, 1, ...), so that each signature is
 * new; --at signs with that timestamp instead of now. It prints one line
 * per HTTP status, "STATUS COUNT", in ascending order; --print also prints
 * each request's seam-signature header (as "sig HEADER").
 *
 *   signed-post --key BROKER_KEY --webhook ID --url BASE [--at T] [--count N] PATH BODY
 *
 * sends a push delivery as the broker does instead (Standard Webhooks
 * headers, Ed25519 of "ID.T.BODY" by the broker's key), to a receiver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "common.h"
#include "seam/evidence.h"

static size_t
discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

/* BODY with each "%N" replaced by i (malloc'd). */
static char *
body_of(const char *tmpl, long i)
{
    size_t cap = strlen(tmpl) * 4 + 64, n = 0;
    char *out = xmalloc(cap);
    for (const char *p = tmpl; *p;) {
        if (p[0] == '%' && p[1] == 'N') {
            n += (size_t)snprintf(out + n, cap - n, "%ld", i);
            p += 2;
        } else {
            out[n++] = *p++;
        }
        if (cap - n < 32)
            out = xrealloc(out, cap *= 2);
    }
    out[n] = '\0';
    return out;
}

int
main(int argc, char **argv)
{
    const char *key = NULL, *token = NULL, *url = NULL, *webhook = NULL, *path, *tmpl;
    long long at = 0;
    long count = 1, statuses[600] = {0};
    int print = 0, i;
    for (i = 1; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--key") == 0)
            key = argv[i + 1];
        else if (strcmp(argv[i], "--token") == 0)
            token = argv[i + 1];
        else if (strcmp(argv[i], "--webhook") == 0)
            webhook = argv[i + 1];
        else if (strcmp(argv[i], "--url") == 0)
            url = argv[i + 1];
        else if (strcmp(argv[i], "--at") == 0)
            at = atoll(argv[i + 1]);
        else if (strcmp(argv[i], "--count") == 0)
            count = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--print") == 0)
            print = 1, i--;
        else
            break;
    }
    if (key == NULL || (token == NULL) == (webhook == NULL) || url == NULL || argc - i != 2 ||
        sodium_init() < 0) {
        fprintf(stderr, "usage: signed-post --key KEY (--token TOKEN | --webhook ID) --url BASE "
                        "[--at T] [--count N] [--print] PATH BODY\n");
        return 2;
    }
    path = argv[i];
    tmpl = argv[i + 1];
    char *text = NULL;
    size_t n;
    uint8_t sk[64];
    if (read_file(key, 256, &text, &n) != SEAM_OK)
        return 1;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    if (seam_b64_decode(text, sk, sizeof(sk), &n) != 0 || n != 64) {
        fprintf(stderr, "signed-post: %s is not a partner key\n", key);
        return 1;
    }
    free(text);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *c = curl_easy_init();
    char *full = xasprintf("%s%s", url, path);
    char *auth = token ? xasprintf("Authorization: Bearer %s", token) : NULL;
    curl_easy_setopt(c, CURLOPT_URL, full);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    for (long k = 0; k < count; k++) {
        char *body = body_of(tmpl, k);
        long long ts = at ? at : (long long)time(NULL);
        uint8_t sig[64];
        char *msg, *sig64, *hdr;
        struct curl_slist *h = NULL;
        if (webhook != NULL) {
            msg = xasprintf("%s.%lld.%s", webhook, ts, body);
            crypto_sign_detached(sig, NULL, (const uint8_t *)msg, strlen(msg), sk);
            sig64 = seam_b64_encode(sig, sizeof(sig));
            hdr = xasprintf("webhook-signature: v1a,%s", sig64);
            char *idh = xasprintf("webhook-id: %s", webhook);
            char *tsh = xasprintf("webhook-timestamp: %lld", ts);
            h = curl_slist_append(h, idh);
            h = curl_slist_append(h, tsh);
            free(idh);
            free(tsh);
        } else {
            msg = seam_partner_message("POST", path, ts, body, strlen(body));
            seam_sign_ctx(SEAM_PARTNER_CONTEXT, msg, strlen(msg), sk, sig);
            sig64 = seam_b64_encode(sig, sizeof(sig));
            hdr = xasprintf("seam-signature: t=%lld,s=%s", ts, sig64);
            h = curl_slist_append(h, auth);
        }
        if (print)
            printf("sig %s\n", strchr(hdr, ' ') + 1);
        h = curl_slist_append(h, "Content-Type: application/json");
        h = curl_slist_append(h, hdr);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        long status = 0;
        if (curl_easy_perform(c) == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        statuses[status >= 0 && status < 600 ? status : 0]++;
        curl_slist_free_all(h);
        free(hdr);
        free(sig64);
        free(msg);
        free(body);
    }
    for (int s = 0; s < 600; s++)
        if (statuses[s] > 0)
            printf("%d %ld\n", s, statuses[s]);
    sodium_memzero(sk, sizeof(sk));
    curl_easy_cleanup(c);
    curl_global_cleanup();
    free(full);
    free(auth);
    return 0;
}

/*
 * witness_serve.c: `seam-partner witness`, a C2SP tlog-witness for one
 * broker's log. It answers POST /add-checkpoint (witness.h does the checks
 * and the cosignature) and keeps the latest cosigned checkpoint in a state
 * file, written and synced before each 200, under one lock so that two
 * submissions can never roll it back. Every refusal is logged on stderr,
 * one line each.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "common.h"
#include "seam/evidence.h"
#include "witness.h"

#define BODY_MAX 16384

static struct witness_state state;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static const char *state_path, *name;
static uint8_t sk[64], log_pk[32];

static int
state_load(void)
{
    char *text = NULL, root64[64];
    size_t n;
    unsigned long long size;
    if (read_file(state_path, 4096, &text, &n) != SEAM_OK)
        return errno == ENOENT ? 0 : -1; /* never cosigned: size 0 */
    char origin[WITNESS_ORIGIN_MAX];
    int ok = sscanf(text, "%255[^\n]\n%llu\n%63s", origin, &size, root64) == 3 &&
             strcmp(origin, state.origin) == 0 &&
             seam_b64_decode(root64, state.root, 32, &n) == 0 && n == 32;
    free(text);
    if (!ok)
        return -1;
    state.size = size;
    return 0;
}

static int
state_save(const struct witness_state *s)
{
    char *tmp = xasprintf("%s.tmp", state_path), *root64 = seam_b64_encode(s->root, 32);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600), rc = -1;
    if (fd >= 0) {
        char *text = xasprintf("%s\n%llu\n%s\n", s->origin, (unsigned long long)s->size, root64);
        size_t len = strlen(text);
        rc = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0 ? 0 : -1;
        free(text);
        if (close(fd) != 0)
            rc = -1;
        if (rc == 0)
            rc = rename(tmp, state_path);
    }
    free(tmp);
    free(root64);
    return rc;
}

struct upload {
    char *body;
    size_t len;
    int too_big;
};

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *ctype, char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", ctype);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *data, size_t *size, void **con_cls)
{
    struct upload *u = *con_cls;
    (void)cls;
    (void)version;
    if (u == NULL) {
        *con_cls = xcalloc(1, sizeof(*u));
        return MHD_YES;
    }
    if (*size > 0) {
        if (u->len + *size > BODY_MAX)
            u->too_big = 1;
        else {
            u->body = realloc(u->body, u->len + *size + 1);
            if (u->body == NULL)
                abort();
            memcpy(u->body + u->len, data, *size);
            u->len += *size;
        }
        *size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/add-checkpoint") != 0)
        return reply(c, 404, "text/plain", xstrdup("not found\n"));
    if (strcmp(method, "POST") != 0)
        return reply(c, 405, "text/plain", xstrdup("POST only\n"));
    if (u->too_big)
        return reply(c, 413, "text/plain", xstrdup("too large\n"));
    char why[256], *resp = NULL;
    const char *ctype;
    struct witness_state next;
    pthread_mutex_lock(&mu);
    int status = witness_add_checkpoint(&state, log_pk, name, sk, u->body ? u->body : "", u->len,
                                        &next, &resp, &ctype, why, sizeof(why));
    if (status == 200) {
        if (state_save(&next) != 0) {
            free(resp);
            resp = xstrdup("cannot persist the state\n");
            ctype = "text/plain";
            status = 500;
            fprintf(stderr, "witness: cannot write %s: %s\n", state_path, strerror(errno));
        } else {
            fprintf(stderr, "witness: cosigned origin=%s size=%llu\n", state.origin,
                    (unsigned long long)next.size);
            state = next;
        }
    } else {
        fprintf(stderr, "witness: refused origin=%s cosigned=%llu status=%d why=\"%s\"\n",
                state.origin, (unsigned long long)state.size, status, why);
    }
    pthread_mutex_unlock(&mu);
    return reply(c, (unsigned)status, ctype, resp);
}

static void
done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct upload *u = *con_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (u) {
        free(u->body);
        free(u);
    }
}

static const char witness_usage[] =
    "usage: seam-partner witness --listen ADDR:PORT --key WITNESS_KEY --name NAME\n"
    "                            --log-key BROKER_PUB --origin ORIGIN --state FILE\n";

int
witness_main(int argc, char **argv)
{
    const char *listen = NULL, *keyfile = NULL, *logkey = NULL, *origin = NULL;
    for (int i = 0; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--listen") == 0)
            listen = argv[i + 1];
        else if (strcmp(argv[i], "--key") == 0)
            keyfile = argv[i + 1];
        else if (strcmp(argv[i], "--name") == 0)
            name = argv[i + 1];
        else if (strcmp(argv[i], "--log-key") == 0)
            logkey = argv[i + 1];
        else if (strcmp(argv[i], "--origin") == 0)
            origin = argv[i + 1];
        else if (strcmp(argv[i], "--state") == 0)
            state_path = argv[i + 1];
        else {
            fputs(witness_usage, stderr);
            return 2;
        }
    }
    if (argc % 2 != 0 || !listen || !keyfile || !name || !logkey || !origin || !state_path ||
        strlen(origin) >= WITNESS_ORIGIN_MAX || strchr(name, ' ') || strchr(name, '\n')) {
        fputs(witness_usage, stderr);
        return 2;
    }
    char *text = NULL;
    size_t n;
    if (read_file(keyfile, 256, &text, &n) != SEAM_OK) {
        fprintf(stderr, "seam-partner: cannot read the key %s\n", keyfile);
        return 1;
    }
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    int bad = seam_b64_decode(text, sk, sizeof(sk), &n) != 0 || n != 64;
    sodium_memzero(text, strlen(text));
    free(text);
    if (bad || seam_pubkey_parse(logkey, log_pk) != 0) {
        fprintf(stderr, "seam-partner: bad witness key %s or log key %s\n", keyfile, logkey);
        return 1;
    }
    snprintf(state.origin, sizeof(state.origin), "%s", origin);
    if (state_load() != 0) {
        fprintf(stderr, "seam-partner: the state %s is unreadable or of another log\n", state_path);
        return 1;
    }
    const char *colon = strrchr(listen, ':');
    if (colon == NULL)
        return 2;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    char host[64];
    snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return 2;
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, on_request,
                         NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                         MHD_OPTION_THREAD_POOL_SIZE, 2, MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
                         MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "seam-partner: cannot listen on %s\n", listen);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "listening on %s:%u (witness %s, log %s, cosigned size %llu)\n", host,
            info->port, name, state.origin, (unsigned long long)state.size);
    /* what verifiers of its cosignatures pass (seamctl verify-evidence --witness) */
    uint8_t pk[32];
    crypto_sign_ed25519_sk_to_pk(pk, sk);
    char *vkey = seam_witness_vkey(name, pk);
    fprintf(stderr, "witness verifier key: %s\n", vkey);
    free(vkey);
    sigset_t set;
    int sig;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    sodium_memzero(sk, sizeof(sk));
    return 0;
}

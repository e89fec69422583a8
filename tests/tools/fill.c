/*
 * fill.c: seam-fill, the bench's store filler. It fills a running broker
 * (started with -T, the test clock) through its API, as customers and
 * partners would: in batches, each batch files its share of complaints
 * (several customers, a mix of services, symptoms, equipment and
 * priorities), then the partners pull their new assignments and act on
 * them (most acknowledged, many of those resolved, some handed back, which
 * re-routes them and, after enough bounces, brings them to the lead
 * disputed), then the test clock moves forward, so that the creation times
 * spread over months and the SLA clocks of what is left open breach.
 *
 * It speaks HTTP/1.1 over plain keep-alive sockets, one request in flight
 * on each of several connections (the broker's group commit gathers them),
 * and keeps nothing but the current batch's assignment ids. What to do with
 * an assignment is a hash of its id: the same proportions every run, spread
 * evenly over partners, customers and batches (ids differ from run to run).
 *
 * usage: seam-fill -p PORT -n TICKETS -C CUSTOMERS -P PARTNERS -L LEADTOKEN
 *                  [-b BATCHES] [-d DAYS_PER_BATCH] [-c CONNECTIONS]
 * CUSTOMERS: a file of customer tokens, one a line; PARTNERS: a file of
 * "PARTNER-ID TOKEN" lines (pull partners). Progress and a summary go to
 * stderr; exit 1 if any request was refused (other than a 409 of an action
 * the state machine no longer allows, counted apart).
 */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define MAXCONN 256
#define INBUF (1 << 20)

struct conn {
    int fd;
    char out[4096];
    size_t olen, opos;
    char *in;
    size_t ilen;
    int busy;
    long item; /* the generator's item this request is for */
};

/* A phase: next() writes request i into c (returns 0 when there is none left), done() gets the
 * answer. */
struct phase {
    long n;
    int (*make)(void *ctx, long i, char *buf, size_t cap, size_t *len);
    void (*done)(void *ctx, long i, int status, const char *body, size_t blen);
    void *ctx;
};

static int port;
static struct conn conns[MAXCONN];
static int nconn = 32;
static long refused, conflicts, requests;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
    va_list ap;
    fputs("seam-fill: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
dial(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        die("cannot connect to 127.0.0.1:%d: %s", port, strerror(errno));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static size_t
request(char *buf, size_t cap, const char *method, const char *path, const char *token,
        const char *body)
{
    int n = snprintf(buf, cap,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     method, path, token, body ? strlen(body) : 0, body ? body : "");
    if (n < 0 || (size_t)n >= cap)
        die("request too long: %s", path);
    return (size_t)n;
}

/* A whole answer in c->in: its length, else 0. */
static size_t
answer_len(struct conn *c, int *status, size_t *hlen, size_t *blen)
{
    c->in[c->ilen] = '\0';
    char *end = strstr(c->in, "\r\n\r\n");
    if (end == NULL)
        return 0;
    *hlen = (size_t)(end - c->in) + 4;
    if (sscanf(c->in, "HTTP/1.%*d %d", status) != 1)
        die("not an HTTP answer");
    const char *cl = strcasestr(c->in, "\r\ncontent-length:");
    if (cl == NULL || cl > end)
        die("an answer without Content-Length");
    *blen = strtoul(cl + 17, NULL, 10);
    return c->ilen >= *hlen + *blen ? *hlen + *blen : 0;
}

static void
run(struct phase *p)
{
    long next = 0, inflight = 0;
    struct pollfd pfd[MAXCONN];
    while (next < p->n || inflight > 0) {
        for (int i = 0; i < nconn; i++) {
            struct conn *c = &conns[i];
            if (!c->busy && next < p->n) {
                if (!p->make(p->ctx, next, c->out, sizeof(c->out), &c->olen)) {
                    next++;
                    continue;
                }
                c->item = next++;
                c->opos = 0;
                c->ilen = 0;
                c->busy = 1;
                inflight++;
            }
            pfd[i].fd = c->fd;
            pfd[i].events = c->busy ? (c->opos < c->olen ? POLLOUT : POLLIN) : 0;
        }
        if (inflight == 0)
            continue;
        if (poll(pfd, (nfds_t)nconn, 30000) <= 0)
            die("no answer for 30 s");
        for (int i = 0; i < nconn; i++) {
            struct conn *c = &conns[i];
            if (!c->busy || pfd[i].revents == 0)
                continue;
            if (c->opos < c->olen) {
                ssize_t w = write(c->fd, c->out + c->opos, c->olen - c->opos);
                if (w <= 0)
                    die("write: %s", strerror(errno));
                c->opos += (size_t)w;
                continue;
            }
            ssize_t r = read(c->fd, c->in + c->ilen, INBUF - 1 - c->ilen);
            if (r <= 0)
                die("the broker closed a connection");
            c->ilen += (size_t)r;
            int status;
            size_t hlen, blen, whole = answer_len(c, &status, &hlen, &blen);
            if (whole == 0) {
                if (c->ilen >= INBUF - 1)
                    die("an answer over %d bytes", INBUF);
                continue;
            }
            c->busy = 0;
            inflight--;
            requests++;
            if (strcasestr(c->in, "\r\nconnection: close") != NULL &&
                strcasestr(c->in, "\r\nconnection: close") < c->in + hlen) {
                close(c->fd);
                c->fd = dial();
            }
            p->done(p->ctx, c->item, status, c->in + hlen, blen);
        }
    }
}

/* ---- what is filed ---- */

static const char *const bodies[] = {
    "{\"summary\":\"No internet since this morning\",\"description\":\"All router lights are "
    "red.\",\"service\":\"internet\",\"symptom\":\"no_service\",\"equipment\":\"router\","
    "\"priority\":\"high\"}",
    "{\"summary\":\"Internet is slow in the evenings\",\"description\":\"Speed tests show 2 "
    "Mbit/s.\",\"service\":\"internet\",\"symptom\":\"slow\",\"equipment\":\"router\","
    "\"priority\":\"normal\"}",
    "{\"summary\":\"No dial tone\",\"description\":\"The handset is silent.\",\"service\":"
    "\"phone\",\"symptom\":\"no_dial_tone\",\"equipment\":\"handset\",\"priority\":\"normal\"}",
    "{\"summary\":\"Line drops every hour\",\"description\":\"The connection drops and comes "
    "back.\",\"service\":\"internet\",\"symptom\":\"intermittent\",\"equipment\":\"dsl_modem\","
    "\"priority\":\"low\"}",
    "{\"summary\":\"No picture on the TV\",\"description\":\"The box says no signal.\","
    "\"service\":\"tv\",\"symptom\":\"no_signal\",\"equipment\":\"set_top_box\",\"priority\":"
    "\"normal\"}",
    "{\"summary\":\"Fibre box blinks red\",\"description\":\"The ONT has a red LOS "
    "light.\",\"service\":\"internet\",\"symptom\":\"equipment_fault\",\"equipment\":\"ont\","
    "\"priority\":\"urgent\"}",
    "{\"summary\":\"Phone crackles\",\"description\":\"Noise on every call.\",\"service\":"
    "\"phone\",\"symptom\":\"degraded\",\"equipment\":\"handset\",\"priority\":\"low\"}",
    "{\"summary\":\"TV freezes\",\"description\":\"The picture freezes every few "
    "minutes.\",\"service\":\"tv\",\"symptom\":\"degraded\",\"equipment\":\"set_top_box\","
    "\"priority\":\"high\"}",
};
#define NBODIES (sizeof(bodies) / sizeof(bodies[0]))

static char **customers, **partner_ids, **partner_tokens;
static size_t ncustomers, npartners;
static const char *lead;

static uint32_t
hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

struct file_ctx {
    long base, created;
};

static int
make_post(void *ctx, long i, char *buf, size_t cap, size_t *len)
{
    struct file_ctx *f = ctx;
    long k = f->base + i;
    /* customers and bodies at different strides, so every customer files every kind */
    *len = request(buf, cap, "POST", "/v1/tickets", customers[(size_t)k % ncustomers],
                   bodies[(size_t)(k / (long)ncustomers + k) % NBODIES]);
    return 1;
}

static void
done_post(void *ctx, long i, int status, const char *body, size_t blen)
{
    struct file_ctx *f = ctx;
    (void)i;
    if (status == 201) {
        f->created++;
        return;
    }
    if (refused++ < 5)
        fprintf(stderr, "seam-fill: POST /v1/tickets answered %d: %.*s\n", status, (int)blen, body);
}

/* ---- a partner's new assignments, and what it does with them ---- */

struct work {
    size_t partner;
    char (*ids)[64];
    size_t n, cap;
    const char *action; /* "ack", "resolve", "handback" */
    uint32_t lo, hi;    /* the ids whose hash % 100 is in [lo, hi) */
    long *pick;         /* the indexes of ids this phase acts on */
    long npick;
};

static void
pull(struct work *w, size_t partner)
{
    char cursor[256] = "";
    w->partner = partner;
    w->n = 0;
    for (;;) {
        char path[512], buf[4096];
        snprintf(path, sizeof(path), "/v1/assignments?state=assigned&limit=200%s%s",
                 cursor[0] ? "&cursor=" : "", cursor);
        struct conn *c = &conns[0];
        c->olen = request(buf, sizeof(buf), "GET", path, partner_tokens[partner], NULL);
        /* one blocking exchange on the first connection */
        if (write(c->fd, buf, c->olen) != (ssize_t)c->olen)
            die("write: %s", strerror(errno));
        c->ilen = 0;
        int status;
        size_t hlen, blen;
        while (answer_len(c, &status, &hlen, &blen) == 0) {
            ssize_t r = read(c->fd, c->in + c->ilen, INBUF - 1 - c->ilen);
            if (r <= 0)
                die("the broker closed a connection");
            c->ilen += (size_t)r;
        }
        requests++;
        if (status != 200)
            die("GET %s answered %d", path, status);
        json_t *page = json_loadb(c->in + hlen, blen, 0, NULL), *it;
        size_t i;
        json_array_foreach(json_object_get(page, "items"), i, it)
        {
            const char *id = json_string_value(json_object_get(it, "id"));
            if (id == NULL || strlen(id) >= 64)
                continue;
            if (w->n == w->cap) {
                w->cap = w->cap ? w->cap * 2 : 1024;
                w->ids = realloc(w->ids, w->cap * sizeof(*w->ids));
                if (w->ids == NULL)
                    die("out of memory");
            }
            strcpy(w->ids[w->n++], id);
        }
        const char *next = json_string_value(json_object_get(page, "next_cursor"));
        if (next == NULL || strlen(next) >= sizeof(cursor)) {
            json_decref(page);
            break;
        }
        strcpy(cursor, next);
        json_decref(page);
    }
}

static int
make_action(void *ctx, long i, char *buf, size_t cap, size_t *len)
{
    struct work *w = ctx;
    const char *id = w->ids[w->pick[i]];
    char path[128];
    snprintf(path, sizeof(path), "/v1/assignments/%s/%s", id, w->action);
    const char *body = strcmp(w->action, "handback") == 0  ? "{\"reason\":\"not_our_service\"}"
                       : strcmp(w->action, "resolve") == 0 ? "{\"resolution\":\"fixed\"}"
                                                           : "{\"note\":\"on it\"}";
    *len = request(buf, cap, "POST", path, partner_tokens[w->partner], body);
    return 1;
}

static void
done_action(void *ctx, long i, int status, const char *body, size_t blen)
{
    struct work *w = ctx;
    (void)i;
    if (status == 200 || status == 201)
        return;
    if (status == 409) {
        conflicts++;
        return;
    }
    if (refused++ < 5)
        fprintf(stderr, "seam-fill: %s answered %d: %.*s\n", w->action, status, (int)blen, body);
}

static void
act(struct work *w, const char *action, uint32_t lo, uint32_t hi)
{
    w->action = action;
    w->npick = 0;
    w->pick = realloc(w->pick, (w->n ? w->n : 1) * sizeof(long));
    for (size_t i = 0; i < w->n; i++) {
        uint32_t h = hash(w->ids[i]) % 100;
        if (h >= lo && h < hi)
            w->pick[w->npick++] = (long)i;
    }
    struct phase p = {w->npick, make_action, done_action, w};
    run(&p);
}

static void
advance_clock(long ms)
{
    char body[64], buf[1024];
    snprintf(body, sizeof(body), "{\"advance_ms\":%ld}", ms);
    struct conn *c = &conns[0];
    c->olen = request(buf, sizeof(buf), "POST", "/v1/test/clock", lead, body);
    if (write(c->fd, buf, c->olen) != (ssize_t)c->olen)
        die("write: %s", strerror(errno));
    c->ilen = 0;
    int status;
    size_t hlen, blen;
    while (answer_len(c, &status, &hlen, &blen) == 0) {
        ssize_t r = read(c->fd, c->in + c->ilen, INBUF - 1 - c->ilen);
        if (r <= 0)
            die("the broker closed a connection");
        c->ilen += (size_t)r;
    }
    if (status != 200)
        die("POST /v1/test/clock answered %d (is the broker started with -T?)", status);
}

static char **
lines(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    char line[512];
    char **v = NULL;
    *n = 0;
    if (f == NULL)
        die("cannot read %s", path);
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            continue;
        v = realloc(v, (*n + 1) * sizeof(*v));
        v[(*n)++] = strdup(line);
    }
    fclose(f);
    if (*n == 0)
        die("%s is empty", path);
    return v;
}

int
main(int argc, char **argv)
{
    long tickets = 0, batches = 12, days = 30;
    const char *cfile = NULL, *pfile = NULL;
    int o;
    while ((o = getopt(argc, argv, "p:n:C:P:L:b:d:c:")) != -1) {
        switch (o) {
        case 'p':
            port = atoi(optarg);
            break;
        case 'n':
            tickets = atol(optarg);
            break;
        case 'C':
            cfile = optarg;
            break;
        case 'P':
            pfile = optarg;
            break;
        case 'L':
            lead = optarg;
            break;
        case 'b':
            batches = atol(optarg);
            break;
        case 'd':
            days = atol(optarg);
            break;
        case 'c':
            nconn = atoi(optarg);
            break;
        default:
            goto usage;
        }
    }
    if (port <= 0 || tickets <= 0 || cfile == NULL || pfile == NULL || lead == NULL ||
        batches <= 0 || days < 0 || nconn <= 0 || nconn > MAXCONN)
        goto usage;
    customers = lines(cfile, &ncustomers);
    char **pl = lines(pfile, &npartners);
    partner_ids = calloc(npartners, sizeof(char *));
    partner_tokens = calloc(npartners, sizeof(char *));
    for (size_t i = 0; i < npartners; i++) {
        char *sp = strchr(pl[i], ' ');
        if (sp == NULL)
            die("%s: lines are \"PARTNER-ID TOKEN\"", pfile);
        *sp = '\0';
        partner_ids[i] = pl[i];
        partner_tokens[i] = sp + 1;
    }
    for (int i = 0; i < nconn; i++) {
        conns[i].fd = dial();
        conns[i].in = malloc(INBUF);
        if (conns[i].in == NULL)
            die("out of memory");
    }
    struct file_ctx f = {0, 0};
    struct work w = {0};
    long acks = 0, resolves = 0, handbacks = 0;
    double t0 = now_s(), tfile = 0, tpull = 0, tact = 0, tclock = 0;
    for (long b = 0; b < batches; b++) {
        long n = tickets / batches + (b < tickets % batches ? 1 : 0);
        struct phase p = {n, make_post, done_post, &f};
        double t = now_s();
        run(&p);
        tfile += now_s() - t;
        f.base += n;
        /* Each pull partner: 8% handed back, the rest acknowledged, 55% of all then resolved. */
        for (size_t k = 0; k < npartners; k++) {
            t = now_s();
            pull(&w, k);
            tpull += now_s() - t;
            t = now_s();
            act(&w, "handback", 0, 8);
            handbacks += w.npick;
            act(&w, "ack", 8, 100);
            acks += w.npick;
            act(&w, "resolve", 45, 100);
            resolves += w.npick;
            tact += now_s() - t;
        }
        t = now_s();
        if (days > 0)
            advance_clock(days * 86400000L);
        tclock += now_s() - t;
        double el = now_s() - t0;
        fprintf(stderr,
                "seam-fill: batch %ld/%ld: %ld tickets, %ld acks, %ld resolves, %ld hand-backs, "
                "%.0f s\n",
                b + 1, batches, f.created, acks, resolves, handbacks, el);
    }
    double el = now_s() - t0;
    printf("tickets %ld\nfiling_rate %.0f\nrequests %ld\nseconds %.1f\nrefused %ld\nconflicts "
           "%ld\n",
           f.created, tfile > 0 ? (double)f.created / tfile : 0.0, requests, el, refused,
           conflicts);
    printf("seconds_filing %.1f\nseconds_pulling %.1f\nseconds_acting %.1f\nseconds_clock %.1f\n",
           tfile, tpull, tact, tclock);
    for (int i = 0; i < nconn; i++) {
        close(conns[i].fd);
        free(conns[i].in);
    }
    for (size_t i = 0; i < npartners; i++)
        free(pl[i]);
    for (size_t i = 0; i < ncustomers; i++)
        free(customers[i]);
    free(pl);
    free(customers);
    free(partner_ids);
    free(partner_tokens);
    free(w.ids);
    free(w.pick);
    return refused > 0 ? 1 : 0;
usage:
    fputs("usage: seam-fill -p PORT -n TICKETS -C CUSTOMER-TOKENS -P PARTNER-TOKENS -L LEAD-TOKEN "
          "[-b BATCHES] [-d DAYS-PER-BATCH] [-c CONNECTIONS]\n",
          stderr);
    return 2;
}

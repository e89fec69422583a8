/*
 * seam-partner: the partner-side agent. It long-polls the partner's queue,
 * verifies the broker's signature on the event behind every new assignment
 * (with the broker's public key and the same library seamctl uses),
 * acknowledges it, and runs a command with the assignment's JSON on stdin;
 * the command's exit status decides what happens next:
 *
 *   0   resolve, with the command's output as the resolution
 *   3   hand back: the first word of the output is the reason
 *       (not_our_service, customer_side, belongs_to, duplicate), the second
 *       the partner or ticket it names, the rest a note
 *   4   ask the customer: the output is the question
 *   any other: report progress (the output as an internal note)
 *
 * It keeps a state file (its cursor and the assignments it has handled,
 * each line written and synced before it acts), so it never runs the
 * command twice for one assignment, also across its own restarts; it rides
 * out broker restarts and network errors with backoff. With --key it signs
 * every request (seam-signature), so what the partner said is provably its
 * own.
 *
 *   seam-partner --url URL --token-file F --broker-key PUB --exec CMD
 *                [--key PARTNER_KEY] [--state FILE] [--wait S] [--idle-exit S]
 *   seam-partner keygen DIR
 *   seam-partner sign --key PARTNER_KEY [--user SUBJECT/NAME] METHOD PATH [BODY]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "common.h"
#include "json_fast.h"
#include "seam/evidence.h"
#include "witness.h"

#define OUTPUT_MAX (64 * 1024)

static const char *url, *exec_cmd, *state_path = "seam-partner.state";
static char token[128];
static uint8_t broker_pk[32], partner_sk[64];
static int signing, wait_s = 30, idle_exit_s;
static CURL *curl;
static volatile sig_atomic_t stopping;

/* ---- state: the cursor and what has been handled ---- */

static char cursor[64];
static json_t *handled, *posted; /* sets: {id: true} */
static FILE *state_file;
/* Outcomes recorded but maybe not yet posted (a crash between the two). */
static json_t *pending; /* {id: {"action","body"}} */

static int
was_handled(const char *id)
{
    return json_object_get(handled, id) != NULL;
}

static int
was_posted(const char *id)
{
    return json_object_get(posted, id) != NULL;
}

/*
 * The state file, one line each: "cursor ID", "handled ID" (the command
 * was started), "outcome ID ACTION BODY" (what to tell the broker),
 * "posted ID" (told). Lines are synced before the agent acts on them.
 */
static void
state_load(void)
{
    char line[OUTPUT_MAX + 256];
    FILE *f = fopen(state_path, "r");
    pending = json_object();
    handled = json_object();
    posted = json_object();
    while (f && fgets(line, sizeof(line), f)) {
        char kind[16], id[64], action[32];
        int used = 0;
        size_t n = strlen(line);
        if (n == 0 || line[n - 1] != '\n')
            continue; /* a torn last line after a crash */
        line[n - 1] = '\0';
        if (sscanf(line, "%15s %63s %n", kind, id, &used) != 2)
            continue;
        if (strcmp(kind, "cursor") == 0)
            snprintf(cursor, sizeof(cursor), "%s", id);
        else if (strcmp(kind, "handled") == 0)
            json_object_set_new(handled, id, json_true());
        else if (strcmp(kind, "outcome") == 0 &&
                 sscanf(line + used, "%31s %n", action, &used) >= 1) {
            int u2 = 0;
            sscanf(line, "%*s %*s %*s %n", &u2);
            json_object_set_new(pending, id,
                                json_pack("{s:s, s:s}", "action", action, "body", line + u2));
        } else if (strcmp(kind, "posted") == 0) {
            json_object_del(pending, id);
            json_object_set_new(posted, id, json_true());
        }
    }
    if (f)
        fclose(f);
    state_file = fopen(state_path, "a");
    if (state_file == NULL) {
        fprintf(stderr, "seam-partner: cannot write %s: %s\n", state_path, strerror(errno));
        exit(1);
    }
}

/* Appends one line and makes it durable before the agent acts on it. */
static void
state_write(const char *kind, const char *id, const char *rest)
{
    fprintf(state_file, "%s %s%s%s\n", kind, id, rest ? " " : "", rest ? rest : "");
    if (fflush(state_file) != 0 || fsync(fileno(state_file)) != 0) {
        fprintf(stderr, "seam-partner: cannot sync %s: %s\n", state_path, strerror(errno));
        exit(1);
    }
    if (strcmp(kind, "handled") == 0)
        json_object_set_new(handled, id, json_true());
    else if (strcmp(kind, "posted") == 0)
        json_object_set_new(posted, id, json_true());
    else if (strcmp(kind, "cursor") == 0)
        snprintf(cursor, sizeof(cursor), "%s", id);
}

/* ---- HTTP ---- */

struct buf {
    char *data;
    size_t len;
};

static size_t
collect(char *p, size_t size, size_t n, void *ctx)
{
    struct buf *b = ctx;
    size_t len = size * n;
    if (b->len + len > 16 * 1024 * 1024)
        return 0;
    b->data = xrealloc(b->data, b->len + len + 1);
    memcpy(b->data + b->len, p, len);
    b->len += len;
    b->data[b->len] = '\0';
    return len;
}

/*
 * One request; the answer's status (-1: no answer) and body (*out,
 * malloc'd, may be NULL). Signs it when the agent has a key.
 */
static long
call(const char *method, const char *path, const char *body, long timeout_s, char **out)
{
    struct buf b = {0};
    struct curl_slist *h = NULL;
    char *full = xasprintf("%s%s", url, path), *auth = xasprintf("Authorization: Bearer %s", token);
    long status = -1;
    h = curl_slist_append(h, auth);
    if (body != NULL)
        h = curl_slist_append(h, "Content-Type: application/json");
    if (signing && strcmp(method, "POST") == 0) {
        /* The path is signed as the broker sees it: without the query. */
        char *p = xstrdup(path), *q = strchr(p, '?');
        if (q)
            *q = '\0';
        long long ts = (long long)time(NULL);
        char *msg = seam_partner_message(method, p, ts, body, body ? strlen(body) : 0);
        uint8_t sig[64];
        seam_sign_ctx(SEAM_PARTNER_CONTEXT, msg, strlen(msg), partner_sk, sig);
        char *sig64 = seam_b64_encode(sig, sizeof(sig));
        char *hdr = xasprintf("seam-signature: t=%lld,s=%s", ts, sig64);
        h = curl_slist_append(h, hdr);
        free(hdr);
        free(sig64);
        free(msg);
        free(p);
    }
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, full);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "");
    }
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    free(full);
    free(auth);
    if (out)
        *out = b.data;
    else
        free(b.data);
    return status;
}

/* A POST that must take effect: retried through broker restarts. 409 counts as done. */
static long
post_until_answered(const char *path, const char *body)
{
    long status;
    unsigned delay_ms = 100;
    char *resp = NULL;
    while (!stopping) {
        free(resp);
        resp = NULL;
        status = call("POST", path, body, 30, &resp);
        if (status >= 200 && status < 500 && status != 429) {
            if (status >= 400 && status != 409)
                fprintf(stderr, "seam-partner: POST %s: %ld %s\n", path, status, resp ? resp : "");
            free(resp);
            return status;
        }
        usleep(delay_ms * 1000);
        delay_ms = delay_ms < 5000 ? delay_ms * 2 : 5000;
    }
    free(resp);
    return -1;
}

/* ---- handling one assignment ---- */

/* The broker's signature over the event that made the assignment. */
static int
verify_assignment(const json_t *a)
{
    json_t *ev = json_object_get(a, "event");
    const char *bytes = json_string_value(json_object_get(ev, "bytes"));
    const char *sig64 = json_string_value(json_object_get(ev, "signature"));
    const char *id = json_string_value(json_object_get(a, "id"));
    const char *ticket = json_string_value(json_object_get(a, "ticket"));
    uint8_t sig[64];
    size_t n;
    if (bytes == NULL || sig64 == NULL || id == NULL || ticket == NULL ||
        seam_b64_decode(sig64, sig, sizeof(sig), &n) != 0 || n != 64)
        return 0;
    if (seam_verify_ctx(SEAM_EVENT_CONTEXT, bytes, strlen(bytes), sig, broker_pk) != 0)
        return 0;
    /* The signed event must be this ticket's and name this assignment: in its bytes, or in a
     * disclosure the view gives with it (the routing, signed by its digest in the event). */
    json_t *dis = json_object_get(ev, "disclosures");
    size_t nd = json_array_size(dis);
    const char **texts = calloc(nd ? nd : 1, sizeof(*texts));
    int ok = texts != NULL;
    for (size_t i = 0; ok && i < nd; i++)
        ok = (texts[i] = json_string_value(json_array_get(dis, i))) != NULL;
    json_t *e = ok ? seam_event_open(bytes, texts, nd) : NULL;
    free(texts);
    const char *et = json_string_value(json_object_get(e, "ticket"));
    char *opened = e ? json_dumps(e, JSON_COMPACT) : NULL;
    ok = et != NULL && strcmp(et, ticket) == 0 && opened != NULL && strstr(opened, id) != NULL;
    free(opened);
    json_decref(e);
    return ok;
}

/* Runs the command with the assignment on stdin; its status and output. */
static int
run_command(const char *input, const char *id, char **output)
{
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        setenv("SEAM_ASSIGNMENT_ID", id, 1);
        execl("/bin/sh", "sh", "-c", exec_cmd, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    signal(SIGPIPE, SIG_IGN);
    ssize_t w = write(in[1], input, strlen(input));
    (void)w; /* a command that does not read its input is fine */
    close(in[1]);
    struct buf b = {0};
    char chunk[4096];
    ssize_t r;
    while ((r = read(out[0], chunk, sizeof(chunk))) > 0)
        if (b.len < OUTPUT_MAX)
            collect(chunk, 1, (size_t)r, &b);
    close(out[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    *output = b.data ? b.data : xstrdup("");
    size_t n = strlen(*output);
    while (n > 0 && ((*output)[n - 1] == '\n' || (*output)[n - 1] == ' '))
        (*output)[--n] = '\0';
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Tells the broker a recorded outcome; "posted" once it took it (or had it). */
static void
tell(const char *id, const char *action, const char *body)
{
    char path[128];
    snprintf(path, sizeof(path), "/v1/assignments/%s/%s", id, action);
    long rc = post_until_answered(path, body);
    fprintf(stderr, "seam-partner: %s %s -> %ld\n", id, action, rc);
    if (rc >= 200 && rc < 500)
        state_write("posted", id, NULL);
}

/* After a restart: outcomes not told yet are told; a command cut short is reported, not rerun. */
static void
recover(void)
{
    const char *id;
    json_t *o;
    json_object_foreach(pending, id, o)
    {
        tell(id, json_string_value(json_object_get(o, "action")),
             json_string_value(json_object_get(o, "body")));
    }
    void *tmp;
    json_object_foreach_safe(handled, tmp, id, o)
    {
        if (json_object_get(pending, id) == NULL && !was_posted(id))
            tell(id, "progress",
                 "{\"note\":\"partner agent: interrupted while handling; not run again\"}");
    }
    json_object_clear(pending);
}

static void
handle(const json_t *a)
{
    const char *id = json_string_value(json_object_get(a, "id"));
    const char *state = json_string_value(json_object_get(a, "state"));
    char path[128], *out = NULL;
    if (!verify_assignment(a)) {
        fprintf(stderr, "seam-partner: %s: the broker's signature does not verify; skipped\n", id);
        return;
    }
    if (strcmp(state, "assigned") != 0 && strcmp(state, "acknowledged") != 0 &&
        strcmp(state, "inProgress") != 0)
        return; /* no longer ours to work */
    snprintf(path, sizeof(path), "/v1/assignments/%s/ack", id);
    if (strcmp(state, "assigned") == 0 && post_until_answered(path, "{}") < 0)
        return;
    /* Recorded before the command runs: never twice, whatever happens next. */
    state_write("handled", id, NULL);
    char *input = json_dumps(a, JSON_COMPACT);
    int status = run_command(input, id, &out);
    free(input);
    json_t *body;
    const char *action;
    if (status == 0) {
        action = "resolve";
        body = json_pack("{s:s}", "resolution", out[0] ? out : "resolved by the partner agent");
    } else if (status == 3) {
        char reason[32] = "not_our_service", ref[64] = "";
        int used = 0;
        sscanf(out, "%31s %63s %n", reason, ref, &used);
        action = "handback";
        body = json_pack("{s:s}", "reason", reason);
        if (strcmp(reason, "belongs_to") == 0)
            json_object_set_new(body, "partner", json_string(ref));
        else if (strcmp(reason, "duplicate") == 0)
            json_object_set_new(body, "ticket", json_string(ref));
        if (used > 0 && out[used])
            json_object_set_new(body, "note", json_string(out + used));
    } else if (status == 4) {
        action = "need-info";
        body = json_pack("{s:s}", "question", out[0] ? out : "Please tell us more.");
    } else {
        action = "progress";
        char note[256];
        snprintf(note, sizeof(note), "partner agent: command exited with %d%s%.200s", status,
                 out[0] ? ": " : "", out);
        body = json_pack("{s:s}", "note", note);
    }
    char *text = json_dumps(body, JSON_COMPACT);
    char *rest = xasprintf("%s %s", action, text);
    state_write("outcome", id, rest); /* told after a crash, if not before */
    free(rest);
    tell(id, action, text);
    free(text);
    json_decref(body);
    free(out);
}

/* ---- subcommands ---- */

static int
keygen(const char *dir)
{
    uint8_t pk[32], sk[64];
    crypto_sign_keypair(pk, sk);
    char *skp = xasprintf("%s/partner.key", dir), *pkp = xasprintf("%s/partner.pub", dir);
    char *s64 = seam_b64_encode(sk, 64), *p64 = seam_b64_encode(pk, 32);
    int fd = open(skp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        fprintf(stderr, "seam-partner: cannot create %s: %s\n", skp, strerror(errno));
        return 1;
    }
    fprintf(f, "%s\n", s64);
    fclose(f);
    f = fopen(pkp, "w");
    if (f == NULL)
        return 1;
    fprintf(f, "%s\n", p64);
    fclose(f);
    printf("%s\n", p64); /* goes into the partner's "signing_key" in the federation */
    sodium_memzero(sk, sizeof(sk));
    sodium_memzero(s64, strlen(s64));
    free(s64);
    free(p64);
    free(skp);
    free(pkp);
    return 0;
}

static int
load_secret(const char *path)
{
    char *text = NULL;
    size_t n;
    if (read_file(path, 256, &text, &n) != SEAM_OK)
        return -1;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    int rc = seam_b64_decode(text, partner_sk, sizeof(partner_sk), &n) == 0 && n == 64 ? 0 : -1;
    sodium_memzero(text, strlen(text));
    free(text);
    return rc;
}

/* user: a staff user signing with its personal key (named after the signature), or NULL. */
static int
sign_cmd(const char *keyfile, const char *user, const char *method, const char *path,
         const char *body)
{
    if (load_secret(keyfile) != 0) {
        fprintf(stderr, "seam-partner: cannot read the key %s\n", keyfile);
        return 1;
    }
    long long ts = (long long)time(NULL);
    char *msg = seam_partner_message(method, path, ts, body, body ? strlen(body) : 0);
    uint8_t sig[64];
    seam_sign_ctx(SEAM_PARTNER_CONTEXT, msg, strlen(msg), partner_sk, sig);
    char *sig64 = seam_b64_encode(sig, sizeof(sig));
    printf("t=%lld,s=%s%s%s\n", ts, sig64, user ? ",u=" : "", user ? user : "");
    free(sig64);
    free(msg);
    return 0;
}

static void
on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static const char usage[] =
    "usage: seam-partner --url URL --token-file FILE --broker-key PUBKEY --exec COMMAND\n"
    "                    [--key PARTNER_KEY] [--state FILE] [--wait SECONDS] [--idle-exit S]\n"
    "       seam-partner keygen DIR\n"
    "       seam-partner witness --listen ADDR:PORT --key WITNESS_KEY --name NAME\n"
    "                            --log-key BROKER_PUB --origin ORIGIN --state FILE\n"
    "       seam-partner sign --key PARTNER_KEY [--user SUBJECT/NAME] METHOD PATH [BODY]\n"
    "       seam-partner --help | --version\n"
    "COMMAND gets each assignment as JSON on stdin ($SEAM_ASSIGNMENT_ID names it); its exit\n"
    "status: 0 resolve (output: the resolution), 3 hand back (output: REASON [REF] [NOTE]),\n"
    "4 ask the customer (output: the question), other: progress note.\n"
    "--idle-exit S stops after S seconds without new assignments (for scripts and tests).\n";

int
main(int argc, char **argv)
{
    const char *token_file = NULL, *broker_key = NULL, *key = NULL;
    if (sodium_init() < 0)
        return 1;
    if (argc >= 3 && strcmp(argv[1], "keygen") == 0)
        return keygen(argv[2]);
    if (argc >= 2 && strcmp(argv[1], "witness") == 0)
        return witness_main(argc - 2, argv + 2);
    if (argc >= 8 && strcmp(argv[1], "sign") == 0 && strcmp(argv[2], "--key") == 0 &&
        strcmp(argv[4], "--user") == 0)
        return sign_cmd(argv[3], argv[5], argv[6], argv[7], argc > 8 ? argv[8] : NULL);
    if (argc >= 6 && strcmp(argv[1], "sign") == 0 && strcmp(argv[2], "--key") == 0)
        return sign_cmd(argv[3], NULL, argv[4], argv[5], argc > 6 ? argv[6] : NULL);
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("seam-partner %s\n", SEAM_VERSION);
            return 0;
        }
        if (v == NULL) {
            fputs(usage, stderr);
            return 2;
        }
        if (strcmp(argv[i], "--url") == 0)
            url = v;
        else if (strcmp(argv[i], "--token-file") == 0)
            token_file = v;
        else if (strcmp(argv[i], "--broker-key") == 0)
            broker_key = v;
        else if (strcmp(argv[i], "--key") == 0)
            key = v;
        else if (strcmp(argv[i], "--exec") == 0)
            exec_cmd = v;
        else if (strcmp(argv[i], "--state") == 0)
            state_path = v;
        else if (strcmp(argv[i], "--wait") == 0)
            wait_s = atoi(v);
        else if (strcmp(argv[i], "--idle-exit") == 0)
            idle_exit_s = atoi(v);
        else {
            fputs(usage, stderr);
            return 2;
        }
        i++;
    }
    if (url == NULL || token_file == NULL || broker_key == NULL || exec_cmd == NULL || wait_s < 0 ||
        wait_s > 60) {
        fputs(usage, stderr);
        return 2;
    }
    char *t = NULL;
    size_t n;
    if (read_file(token_file, sizeof(token) - 1, &t, &n) != SEAM_OK) {
        fprintf(stderr, "seam-partner: cannot read the token file %s\n", token_file);
        return 1;
    }
    while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == '\r'))
        t[--n] = '\0';
    snprintf(token, sizeof(token), "%s", t);
    sodium_memzero(t, n);
    free(t);
    if (seam_pubkey_parse(broker_key, broker_pk) != 0) {
        fprintf(stderr, "seam-partner: cannot read the broker's key %s\n", broker_key);
        return 1;
    }
    if (key != NULL) {
        if (load_secret(key) != 0) {
            fprintf(stderr, "seam-partner: cannot read the partner key %s\n", key);
            return 1;
        }
        signing = 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl = curl_easy_init();
    state_load();
    recover();

    unsigned delay_ms = 100;
    time_t idle_since = time(NULL);
    /* Never silent: what it works, where it keeps its state, and when it stops. */
    if (idle_exit_s > 0)
        fprintf(stderr,
                "seam-partner: working the queue at %s (state in %s); stops after %d s without "
                "a new assignment\n",
                url, state_path, idle_exit_s);
    else
        fprintf(stderr, "seam-partner: working the queue at %s (state in %s); Ctrl-C stops it\n",
                url, state_path);
    while (!stopping) {
        char path[160], *resp = NULL;
        /* A long poll never outlasts the idle limit: --idle-exit 5 stops after 5 s, not 30. */
        int w = wait_s;
        if (idle_exit_s > 0) {
            long left = (long)idle_exit_s - (long)(time(NULL) - idle_since);
            w = left < 1 ? 1 : left < w ? (int)left : w;
        }
        snprintf(path, sizeof(path), "/v1/assignments?limit=50&wait=%d%s%s", w,
                 cursor[0] ? "&cursor=" : "", cursor);
        long status = call("GET", path, NULL, w + 15, &resp);
        /* The broker's answer holds what tickets hold: as deep as a stored record. */
        json_t *page =
            status == 200 ? json_loads_depth(resp ? resp : "", 0, JSON_DEPTH_STORED, NULL) : NULL;
        free(resp);
        if (page == NULL) {
            /* The broker is restarting or unreachable: back off and try again. */
            usleep(delay_ms * 1000);
            delay_ms = delay_ms < 5000 ? delay_ms * 2 : 5000;
            if (status == 401) {
                fprintf(stderr, "seam-partner: the token was refused\n");
                return 1;
            }
            continue;
        }
        delay_ms = 100;
        json_t *items = json_object_get(page, "items"), *a;
        size_t i;
        json_array_foreach(items, i, a)
        {
            const char *id = json_string_value(json_object_get(a, "id"));
            if (id != NULL && !was_handled(id))
                handle(a);
            if (stopping)
                break; /* a claim left half way (its ack not sent): the next run starts at it */
            if (id != NULL)
                state_write("cursor", id, NULL);
        }
        if (json_array_size(items) > 0)
            idle_since = time(NULL);
        json_decref(page);
        if (idle_exit_s > 0 && time(NULL) - idle_since >= idle_exit_s) {
            fprintf(stderr, "seam-partner: no new assignment for %d s; stopping\n", idle_exit_s);
            break;
        }
    }
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    if (state_file)
        fclose(state_file);
    json_decref(handled);
    json_decref(posted);
    json_decref(pending);
    return 0;
}

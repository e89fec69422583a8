/*
 * test_ebond.c: the store's side of eBonding (ebond.h) on a real LMDB store
 * in a temporary directory: a hub listener's capability is unique to its
 * partner and listener, only its hash is stored, a wrong one is 401 and
 * another partner's 403, a new one replaces the one before; a claim's link
 * to the partner's TroubleTicket; a token file read as the calls read it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "ebond.h"
#include "store.h"
#include "tap.h"

static const char conf[] =
    "{\"federation\":\"test\",\"listen\":\"127.0.0.1:1\",\"data_dir\":\"/nonexistent\","
    "\"lead\":{\"id\":\"hq\",\"name\":\"HQ\",\"calendar\":\"all\",\"sla_policy\":\"std\"},"
    "\"services\":[\"tv\"],\"symptoms\":[\"no_signal\"],\"equipment\":[\"box\"],"
    "\"regions\":[\"north\"],"
    "\"calendars\":{\"all\":{\"timezone\":\"UTC\",\"hours\":\"24x7\"}},"
    "\"sla_policies\":{\"std\":{\"calendar\":\"all\",\"targets\":{"
    "\"low\":{\"ack_minutes\":60,\"resolve_minutes\":600},"
    "\"normal\":{\"ack_minutes\":60,\"resolve_minutes\":600},"
    "\"high\":{\"ack_minutes\":60,\"resolve_minutes\":600},"
    "\"urgent\":{\"ack_minutes\":60,\"resolve_minutes\":600}}}},"
    "\"partners\":["
    "{\"id\":\"sky\",\"name\":\"Sky\",\"services\":[\"tv\"],"
    "\"delivery\":{\"mode\":\"tmf621\",\"url\":\"http://127.0.0.1:1/tmf\","
    "\"token_file\":\"/nonexistent/sky.token\",\"callback_url\":\"https://seam.example/\"},"
    "\"sla_policy\":\"std\"},"
    "{\"id\":\"vue\",\"name\":\"Vue\",\"services\":[\"tv\"],"
    "\"delivery\":{\"mode\":\"tmf621\",\"url\":\"http://127.0.0.1:2/tmf\","
    "\"token_file\":\"/nonexistent/vue.token\",\"callback_url\":\"https://seam.example\"},"
    "\"sla_policy\":\"std\"}],"
    "\"bundles\":[{\"id\":\"b\",\"name\":\"B\",\"services\":{\"tv\":\"sky\"}}],"
    "\"rules\":[{\"id\":\"default\",\"match\":{},\"owners\":\"lead\"}]}";

static struct config *cfg;
static struct store *st;

struct listener_job {
    const char *partner;
    char cap[EBOND_CAP_LEN + 1];
    char *callback;
};

static enum seam_err
listener_fn(struct store_txn *t, void *arg)
{
    struct listener_job *l = arg;
    return ebond_listener_new(t, config_partner_find(cfg, l->partner), l->cap, &l->callback);
}

/* What ebond_capability_check says of cap on partner's callback. */
static int
verdict(const char *partner, const char *cap)
{
    struct store_txn *t;
    if (store_read_begin(st, &t) != SEAM_OK)
        return -1;
    int v = ebond_capability_check(t, cfg, partner, cap);
    store_read_end(t);
    return v;
}

/* The stored listener record of partner, as text (static), or "". */
static const char *
record(const char *partner)
{
    static char text[1024];
    struct store_txn *t;
    text[0] = '\0';
    if (store_read_begin(st, &t) != SEAM_OK)
        return text;
    json_t *rec = ebond_listener_get(t, partner);
    store_read_end(t);
    char *s = rec ? json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    snprintf(text, sizeof(text), "%s", s ? s : "");
    free(s);
    json_decref(rec);
    return text;
}

struct link_job {
    const char *aid, *remote;
};

static enum seam_err
link_fn(struct store_txn *t, void *arg)
{
    struct link_job *l = arg;
    return ebond_link_put(t, l->aid, l->remote);
}

int
main(void)
{
    char *errors = NULL, remote[EBOND_REMOTE_MAX];
    ok(config_load_buffer("test.json", conf, strlen(conf), &cfg, &errors) == SEAM_OK,
       "the federation loads%s%s", errors ? ": " : "", errors ? errors : "");
    free(errors);
    char *dir = tap_tmpdir();
    ok(dir && store_open(dir, 1 << 20, 16 << 20, 1, &st) == SEAM_OK, "a store in a temp dir");
    if (cfg == NULL || st == NULL) {
        free(dir);
        return done_testing();
    }

    struct listener_job sky = {"sky", "", NULL}, vue = {"vue", "", NULL};
    ok(store_write(st, listener_fn, &sky, NULL, NULL) == SEAM_OK &&
           store_write(st, listener_fn, &vue, NULL, NULL) == SEAM_OK,
       "a listener for each partner");
    ok(sky.callback &&
           strncmp(sky.callback, "https://seam.example/v1/ebond/sky/events/L", 42) == 0 &&
           strlen(sky.cap) == EBOND_CAP_LEN && strstr(sky.callback, sky.cap) != NULL,
       "the callback carries the capability (%s)", sky.callback ? sky.callback : "-");
    ok(strcmp(sky.cap, vue.cap) != 0, "each partner's capability is its own");
    ok(strstr(record("sky"), sky.cap + 18) == NULL && strstr(record("sky"), "\"hash\"") != NULL,
       "the store keeps the hash, not the secret (%s)", record("sky"));
    ok(verdict("sky", sky.cap) == 0 && verdict("vue", vue.cap) == 0, "each capability is taken");
    ok(verdict("sky", vue.cap) == 403 && verdict("vue", sky.cap) == 403,
       "another partner's is 403");
    char wrong[EBOND_CAP_LEN + 1];
    memcpy(wrong, sky.cap, sizeof(wrong));
    wrong[EBOND_CAP_LEN - 1] = wrong[EBOND_CAP_LEN - 1] == '0' ? '1' : '0';
    ok(verdict("sky", wrong) == 401, "one digit changed is 401");
    ok(verdict("sky", NULL) == 401 && verdict("sky", "") == 401 && verdict("sky", "L1.2") == 401,
       "no capability, an empty one or a short one is 401");
    ok(verdict("nobody", sky.cap) == 403, "sky's on a partner that is none is 403");

    char before[EBOND_CAP_LEN + 1];
    memcpy(before, sky.cap, sizeof(before));
    free(sky.callback);
    sky.callback = NULL;
    ok(store_write(st, listener_fn, &sky, NULL, NULL) == SEAM_OK, "a new listener for sky");
    ok(verdict("sky", before) == 401 && verdict("sky", sky.cap) == 0,
       "replaces the one before: its capability is 401 now");

    struct link_job l = {"A00000000000000000001", "TT-1"};
    struct store_txn *t;
    ok(store_read_begin(st, &t) == SEAM_OK &&
           ebond_link_get(t, l.aid, remote, sizeof(remote)) == SEAM_ENOTFOUND,
       "a claim is linked to no TroubleTicket at first");
    store_read_end(t);
    ok(store_write(st, link_fn, &l, NULL, NULL) == SEAM_OK, "linked");
    ok(store_read_begin(st, &t) == SEAM_OK &&
           ebond_link_get(t, l.aid, remote, sizeof(remote)) == SEAM_OK &&
           strcmp(remote, "TT-1") == 0,
       "to its TroubleTicket");
    store_read_end(t);
    l.remote = "";
    ok(store_write(st, link_fn, &l, NULL, NULL) == SEAM_EINVAL, "an empty id is refused");

    char path[4096];
    snprintf(path, sizeof(path), "%s/token", dir);
    FILE *fp = fopen(path, "w");
    fputs("s3cret\n", fp);
    fclose(fp);
    char *tok = ebond_token_read(path);
    ok(tok && strcmp(tok, "s3cret") == 0, "a token file's line, its end trimmed");
    free(tok);
    fp = fopen(path, "w");
    fputs("one\ntwo\n", fp);
    fclose(fp);
    ok(ebond_token_read(path) == NULL, "two lines are no token");
    ok(ebond_token_read("/nonexistent/token") == NULL, "nor is a file that is not there");

    free(sky.callback);
    free(vue.callback);
    store_close(st);
    config_free(cfg);
    tap_rmtree(dir);
    free(dir);
    return done_testing();
}

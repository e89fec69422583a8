/*
 * test_faults_outbox.c: the check a message passes before it is sent
 * (outbox_check_message) on a store that fails its Nth LMDB call (built
 * with -DSEAM_FAULTS, in the faults build only). A read that fails is no
 * verdict: for every N the check answers SEAM_OK or the store's error,
 * never SEAM_ECORRUPT, which the sender would make a dead letter of. The
 * same message checks clean once the fault is spent. A push message, an
 * e-mail and a TMF621 hub's event carrying a name set by a signed change
 * (the longest walk the check makes: every event of the ticket).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "config.h"
#include "evlog.h"
#include "outbox.h"
#include "sla.h"
#include "store.h"
#include "../unit/tap.h"
#include "ticket.h"
#include "verify_outbox.h"

static struct store *st;
static struct config *cfg;
static struct ticket_ctx ctx;
static struct ticket filed;

static enum seam_err
add_customer(struct store_txn *t, void *arg)
{
    (void)arg;
    return customer_add(t, cfg, "c1", "Ada", "triple-play", "north", NULL);
}

static struct principal cust = {.role = ROLE_CUSTOMER, .subject = "c1"};

static enum seam_err
create_fn(struct store_txn *t, void *arg)
{
    ticket_free(&filed);
    return ticket_create(t, &ctx, &cust, arg, &filed);
}

/* The ticket renamed by a TMF621 change: later messages carry the new name. */
static enum seam_err
rename_fn(struct store_txn *t, void *arg)
{
    struct ticket out = {0};
    struct ticket_refusal why = {0};
    struct ticket_action_req a = {.kind = TA_TMF_UPDATE, .target = filed.id, .tmf = arg};
    enum seam_err rc = ticket_act(t, &ctx, &cust, &a, &out, &why);
    if (rc != SEAM_OK)
        printf("# rename: %s (%s)\n", seam_strerror(rc), why.message ? why.message : "-");
    ticket_free(&out);
    return rc;
}

/* A TMF621 hub's event carrying the ticket under its new name: the check walks the signed
 * events for the change that set it. */
static enum seam_err
hub_fn(struct store_txn *t, void *arg)
{
    (void)arg;
    json_t *body = json_pack("{s:s, s:{s:{s:s, s:s, s:s}}}", "eventType",
                             "TroubleTicketAttributeValueChangeEvent", "event", "troubleTicket",
                             "id", filed.id, "name", "Renamed by the CRM", "description", "");
    return outbox_enqueue_to(t, "hub:h1", "http://127.0.0.1:1/listener", filed.id, "",
                             "TroubleTicketAttributeValueChangeEvent", body);
}

/* A mail of the ticket's thread to the customer, as mail_out.c writes its headers. */
static enum seam_err
mail_fn(struct store_txn *t, void *arg)
{
    (void)arg;
    char mid[96], *text;
    snprintf(mid, sizeof(mid), "<%s.1@seam.test>", filed.id);
    text = xasprintf("Message-ID: %s\r\nTo: ada@example.test\r\nSubject: x\r\n\r\nbody\r\n", mid);
    return outbox_enqueue_mail(t, "mail:customer:c1", "smtp://127.0.0.1:1", "desk@seam.test",
                               "ada@example.test", filed.id, "", "ticket.acknowledged", mid, text);
}

struct collected {
    json_t *messages;
};

static int
collect(void *arg, struct store_val k, struct store_val v)
{
    (void)k;
    json_t *m = json_loadb(v.data, v.len, 0, NULL);
    if (m != NULL)
        json_array_append_new(arg, m);
    return 0;
}

/* Checks m with the fault armed at n; 1 if a fault fired during the check. */
static enum seam_err
check_at(long n, const uint8_t pk[32], const json_t *m, int *fired, char *why, size_t whylen)
{
    struct store_txn *t;
    enum seam_err rc = store_read_begin(st, &t);
    if (rc != SEAM_OK)
        return rc;
    unsigned long before = store_fault_count();
    store_fault_arm(n);
    rc = outbox_check_message(t, pk, m, why, whylen);
    store_fault_arm(0);
    *fired = store_fault_count() != before;
    store_read_end(t);
    return rc;
}

int
main(void)
{
    char *errors = NULL, *dir = tap_tmpdir();
    struct keys keys;
    if (sodium_init() < 0 || dir == NULL)
        return 1;
    crypto_sign_keypair(keys.pk, keys.sk);
    struct evlog lg = {&keys, "seam.test/faults"};
    ok(config_load("conf/seam.json", &cfg, &errors) == SEAM_OK, "the example federation loads");
    free(errors);
    ok(store_open(dir, 1 << 20, (size_t)1 << 30, 1, &st) == SEAM_OK, "a store in a temp dir");
    struct sla *sla = cfg ? sla_new(cfg) : NULL;
    if (cfg == NULL || st == NULL || sla == NULL)
        return done_testing();
    ctx = (struct ticket_ctx){cfg, &lg, sla};
    ok(store_write(st, add_customer, NULL, NULL, NULL) == SEAM_OK, "a customer");
    struct ticket_input in = {.summary = xstrdup("No picture"), .description = xstrdup("")};
    in.facts[FACT_SERVICE] = xstrdup("tv");
    in.facts[FACT_SYMPTOM] = xstrdup("no_signal");
    ok(store_write(st, create_fn, &in, evlog_hook, (void *)ctx.lg) == SEAM_OK,
       "a TV complaint, pushed to its partner");
    ticket_input_free(&in);
    json_t *name = json_pack("{s:s}", "name", "Renamed by the CRM");
    ok(store_write(st, rename_fn, name, evlog_hook, (void *)ctx.lg) == SEAM_OK,
       "renamed through a signed TMF621 change");
    json_decref(name);
    ok(store_write(st, mail_fn, NULL, NULL, NULL) == SEAM_OK, "a mail to its customer");
    ok(store_write(st, hub_fn, NULL, NULL, NULL) == SEAM_OK,
       "a TMF621 hub's event with the new name");

    json_t *messages = json_array();
    struct store_txn *t;
    ok(store_read_begin(st, &t) == SEAM_OK && outbox_scan(t, collect, messages) == SEAM_OK,
       "the outbox is read");
    store_read_end(t);
    size_t i;
    json_t *m;
    int channels = 0;
    json_array_foreach(messages, i, m)
    {
        const char *channel = outbox_channel(m);
        char why[160] = "";
        int fired, verdicts = 0, errors_seen = 0, last = 0;
        channels |= strcmp(channel, "mail") == 0      ? 1
                    : strcmp(channel, "webhook") == 0 ? 2
                    : strcmp(channel, "tmf") == 0     ? 4
                                                      : 0;
        enum seam_err rc = check_at(0, keys.pk, m, &fired, why, sizeof(why));
        ok(rc == SEAM_OK, "%s message: checks clean%s%s", channel, why[0] ? ": " : "", why);
        for (long n = 1; n <= 64; n++) {
            why[0] = '\0';
            rc = check_at(n, keys.pk, m, &fired, why, sizeof(why));
            if (rc == SEAM_ECORRUPT) {
                verdicts++;
                printf("# fault at %ld: a verdict (%s)\n", n, why);
            } else if (rc != SEAM_OK) {
                errors_seen++;
                if (strstr(why, "could not be read") == NULL)
                    printf("# fault at %ld: %s without saying so (%s)\n", n, seam_strerror(rc),
                           why);
                else
                    last = (int)n;
            }
            if (!fired)
                break;
        }
        ok(verdicts == 0, "%s message: a failed read is never a verdict (%d were)", channel,
           verdicts);
        ok(errors_seen > 0 && last == errors_seen,
           "%s message: ... each of the %d faults met is answered as the store's error, named",
           channel, errors_seen);
        rc = check_at(0, keys.pk, m, &fired, why, sizeof(why));
        ok(rc == SEAM_OK, "%s message: ... and it checks clean once the fault is spent", channel);
        /* A real difference is still a verdict, fault or none. */
        json_t *bad = json_deep_copy(m);
        json_object_set_new(bad, "ticket", json_string("T0000000000000000000000000"));
        rc = check_at(0, keys.pk, bad, &fired, why, sizeof(why));
        ok(rc == SEAM_ECORRUPT, "%s message: a message naming another ticket is refused (%s)",
           channel, why);
        json_decref(bad);
    }
    ok(channels == 7, "a push message, a mail and a hub's event were checked");
    json_decref(messages);
    ticket_free(&filed);
    sla_free(sla);
    store_close(st);
    config_free(cfg);
    tap_rmtree(dir);
    free(dir);
    return done_testing();
}

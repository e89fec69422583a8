/*
 * verify_outbox.c: the push outbox against the signed events (see
 * verify_outbox.h). A partner's message carries the claim's view in "data"
 * (ticket, id of the claim, summary, description); a TMF621 hub's carries
 * the ticket in "event.troubleTicket" (id, name, description). Both are
 * compared with the ticket's signed creation event, the same source the
 * records are checked against (verify_records.c); a TMF621 ticket's name and
 * description, which a PATCH may change, with what its signed events last
 * set. A mail message (channel "mail") is tied to its ticket and its
 * recipient: the ticket's signed creation event verifies, its Message-ID is
 * one of the ticket's thread and stands in the text's header, and the text
 * is addressed to the recipient it is sent to; its wording (a template and
 * the ticket's public timeline entry) is not derived again. It reads; it
 * changes nothing and sends nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "outbox.h"
#include "progress.h"
#include "seam/evidence.h"
#include "verify_outbox.h"

/* Whether member k of o is the string s (NULL: absent or null). */
static int
same_str(const json_t *o, const char *k, const char *s)
{
    json_t *v = json_object_get(o, k);
    if (s == NULL)
        return v == NULL || json_is_null(v);
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* Event seq of ticket (its signed bytes) with every stored disclosure put back into its data
 * (a change's members are signed by digest since events of format 2); NULL if it cannot be,
 * *err the store's error if it could not be read. */
static json_t *
opened(struct store_txn *t, const char *ticket, uint32_t seq, const char *bytes, enum seam_err *err)
{
    char *text = NULL;
    size_t len, n;
    json_t *dis = NULL, *ev = NULL;
    if ((*err = evlog_event_disclosures(t, ticket, seq, NULL, &text, &len, &n)) == SEAM_OK &&
        (dis = json_loadb(text, len, 0, NULL)) != NULL) {
        const char **texts = xcalloc(n ? n : 1, sizeof(*texts));
        for (size_t i = 0; i < n; i++)
            texts[i] = json_string_value(json_array_get(dis, i));
        ev = seam_event_open(bytes, texts, n);
        free(texts);
    }
    json_decref(dis);
    free(text);
    return ev;
}

/*
 * Whether a signed event of the ticket after its creation set member key of a TMF621 change
 * (data.changes.KEY: "name", "description") to value: 1 if one did, 0 if none, -1 if an event's
 * signature does not verify, -2 if the store could not be read (*err: its error).
 */
static int
signed_change(struct store_txn *t, const uint8_t pk[32], const char *ticket, const char *key,
              const json_t *value, enum seam_err *err)
{
    char *bytes = NULL;
    size_t len;
    uint8_t sig[SEAM_SIG_LEN];
    int found = 0;
    enum seam_err rc = SEAM_OK;
    if (!json_is_string(value))
        return 0;
    for (uint32_t seq = 1;
         !found && (rc = evlog_event(t, ticket, seq, &bytes, &len, sig, NULL)) == SEAM_OK; seq++) {
        if (seam_verify_ctx(SEAM_EVENT_CONTEXT, bytes, len, sig, pk) != 0) {
            free(bytes);
            return -1;
        }
        json_t *ev = opened(t, ticket, seq, bytes, &rc);
        if (ev == NULL && rc != SEAM_OK) {
            free(bytes);
            break;
        }
        const json_t *ch = json_object_get(json_object_get(ev, "data"), "changes");
        found = json_equal(json_object_get(ch, key), (json_t *)value);
        json_decref(ev);
        free(bytes);
        bytes = NULL;
    }
    if (!found && rc != SEAM_OK && rc != SEAM_ENOTFOUND) {
        *err = rc;
        return -2;
    }
    return found;
}

/* The ticket's signed creation event, verified; on failure why says so. SEAM_ECORRUPT when it is
 * missing or does not verify; the store's own error when it could not be read (not a verdict). */
static enum seam_err
creation_event(struct store_txn *t, const uint8_t pk[32], const char *ticket, char **bytes,
               size_t *len, char *why, size_t whylen)
{
    uint8_t sig[SEAM_SIG_LEN];
    enum seam_err rc = evlog_event(t, ticket, 0, bytes, len, sig, NULL);
    if (rc != SEAM_OK && rc != SEAM_ENOTFOUND) {
        snprintf(why, whylen, "its ticket's events could not be read: %s", seam_strerror(rc));
        return rc;
    }
    if (rc != SEAM_OK) {
        snprintf(why, whylen, "its ticket has no signed creation event");
        return SEAM_ECORRUPT;
    }
    if (seam_verify_ctx(SEAM_EVENT_CONTEXT, *bytes, *len, sig, pk) != 0) {
        snprintf(why, whylen, "its ticket's creation event does not verify");
        free(*bytes);
        *bytes = NULL;
        return SEAM_ECORRUPT;
    }
    return SEAM_OK;
}

/* Whether the header (before the first empty line) of the mail text has a line NAME: VALUE,
 * VALUE the whole rest of the line or, for To, holding <value> or value alone. */
static int
mail_header_has(const char *text, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    for (const char *line = text; *line != '\0' && *line != '\r' && *line != '\n';) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > 0 && line[len - 1] == '\r')
            len--;
        if (len > nl + 1 && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            size_t rest = len - nl - 1;
            while (rest > 0 && *v == ' ')
                v++, rest--;
            if (rest == vl && memcmp(v, value, vl) == 0)
                return 1;
            for (size_t i = 0; i + vl + 2 <= rest; i++) /* "Name <value>" */
                if (v[i] == '<' && memcmp(v + i + 1, value, vl) == 0 && v[i + 1 + vl] == '>')
                    return 1;
        }
        if (end == NULL)
            break;
        line = end + 1;
    }
    return 0;
}

/* A mail message: its ticket's creation event verifies, and the text is the thread's and the
 * recipient's (see the top). */
static enum seam_err
check_mail(struct store_txn *t, const uint8_t pk[32], const json_t *m, const char *ticket,
           const char *text, char *why, size_t whylen)
{
    const char *mid = json_string_value(json_object_get(m, "message_id"));
    const char *rcpt = json_string_value(json_object_get(m, "rcpt"));
    char *bytes = NULL;
    size_t len, tl = strlen(ticket);
    if (mid == NULL || rcpt == NULL) {
        snprintf(why, whylen, "a mail without its Message-ID or recipient");
        return SEAM_ECORRUPT;
    }
    if (strncmp(mid, "<", 1) != 0 || strncmp(mid + 1, ticket, tl) != 0 ||
        (mid[1 + tl] != '@' && mid[1 + tl] != '.')) {
        snprintf(why, whylen, "its Message-ID is not of its ticket's thread");
        return SEAM_ECORRUPT;
    }
    if (!mail_header_has(text, "Message-ID", mid) || !mail_header_has(text, "To", rcpt)) {
        snprintf(why, whylen, "its text is not the mail its envelope names (Message-ID, To)");
        return SEAM_ECORRUPT;
    }
    enum seam_err rc = creation_event(t, pk, ticket, &bytes, &len, why, whylen);
    free(bytes);
    return rc;
}

enum seam_err
outbox_check_message(struct store_txn *t, const uint8_t pk[32], const json_t *m, char *why,
                     size_t whylen)
{
    const char *ticket = json_string_value(json_object_get(m, "ticket"));
    const char *asg = json_string_value(json_object_get(m, "assignment"));
    const char *text = json_string_value(json_object_get(m, "body"));
    json_t *body = NULL, *ev = NULL;
    char *bytes = NULL;
    size_t len;
    enum seam_err rc = SEAM_ECORRUPT;
    if (ticket == NULL || text == NULL) {
        snprintf(why, whylen, "names no ticket or holds no body");
        goto out;
    }
    if (strcmp(outbox_channel(m), "mail") == 0)
        return check_mail(t, pk, m, ticket, text, why, whylen);
    body = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_array(body) && strcmp(outbox_channel(m), "ebond") == 0 && asg != NULL &&
        asg[0] != '\0') {
        rc = SEAM_OK; /* a note for a tmf621 partner's TroubleTicket: a JSON Patch (ebond.h) */
        goto out;
    }
    if (!json_is_object(body)) {
        snprintf(why, whylen, "its body is not a JSON object");
        goto out;
    }
    /* The ticket as the body gives it, and the names of its summary. */
    const json_t *view = json_object_get(body, "data");
    const char *summary_key = "summary", *id_key = "ticket";
    int tmf = 0; /* the view is a TroubleTicket, whose name and description PATCHes may change */
    if (strcmp(outbox_channel(m), "ebond") == 0) {
        /* A tmf621 partner's: a creation carries the claim's TroubleTicket (externalId: the
         * claim); a PATCH or a note carries no ticket, only its claim's id in the message. */
        if (json_object_get(body, "externalId") == NULL) {
            rc = asg != NULL && asg[0] != '\0' ? SEAM_OK : SEAM_ECORRUPT;
            if (rc != SEAM_OK)
                snprintf(why, whylen, "a change for a partner's system names no claim");
            goto out;
        }
        view = body;
        summary_key = "name";
        tmf = 1;
        if (!same_str(view, "externalId", asg)) {
            snprintf(why, whylen, "its body names another claim than the message");
            goto out;
        }
        id_key = NULL;
    } else if (view == NULL) {
        view = json_object_get(json_object_get(body, "event"), "troubleTicket");
        summary_key = "name";
        id_key = "id";
        tmf = 1;
    }
    if (!json_is_object(view)) {
        snprintf(why, whylen, "its body holds no ticket");
        goto out;
    }
    if (id_key != NULL && !same_str(view, id_key, ticket)) {
        snprintf(why, whylen, "its body names another ticket than the message");
        goto out;
    }
    if (view == json_object_get(body, "data") && asg != NULL && asg[0] != '\0' &&
        !same_str(view, "id", asg)) {
        snprintf(why, whylen, "its body names another claim than the message");
        goto out;
    }
    if ((rc = creation_event(t, pk, ticket, &bytes, &len, why, whylen)) != SEAM_OK)
        goto out;
    rc = SEAM_ECORRUPT;
    ev = json_loadb(bytes, len, 0, NULL);
    const json_t *data = json_object_get(ev, "data");
    const char *summary = json_string_value(json_object_get(data, "summary"));
    const char *description = json_string_value(json_object_get(data, "description"));
    const char *bad = !same_str(view, summary_key, summary)         ? "summary"
                      : !same_str(view, "description", description) ? "description"
                                                                    : NULL;
    /* A TMF621 ticket's name and description may have changed since, by signed events: each
     * message carries the value of its time, which one of them set. */
    if (bad != NULL && tmf) {
        enum seam_err err = SEAM_OK;
        int name = same_str(view, "name", summary)
                       ? 1
                       : signed_change(t, pk, ticket, "name", json_object_get(view, "name"), &err);
        int desc = name == -2 || same_str(view, "description", description)
                       ? 1
                       : signed_change(t, pk, ticket, "description",
                                       json_object_get(view, "description"), &err);
        if (name == -2 || desc == -2) {
            snprintf(why, whylen, "its ticket's events could not be read: %s", seam_strerror(err));
            rc = err;
            goto out;
        }
        bad = name != 1 ? "summary" : desc != 1 ? "description" : NULL;
    }
    if (bad != NULL) {
        snprintf(why, whylen, "its ticket's %s differs from the signed events (message edited)",
                 bad);
        goto out;
    }
    rc = SEAM_OK;
out:
    free(bytes);
    json_decref(ev);
    json_decref(body);
    return rc;
}

struct verify_ctx {
    struct store_txn *t;
    const uint8_t *pk;
    evlog_report_fn report;
    void *ctx;
    uint64_t problems;
};

static int
verify_one(void *arg, struct store_val k, struct store_val v)
{
    struct verify_ctx *vc = arg;
    char why[160], msg[320];
    if (k.len != 8)
        return 0;
    unsigned long long seq = be64_get(k.data);
    json_t *m = json_loadb(v.data, v.len, 0, NULL);
    const char *id = json_string_value(json_object_get(m, "id"));
    if (m == NULL)
        snprintf(why, sizeof(why), "is not JSON");
    if (m == NULL || outbox_check_message(vc->t, vc->pk, m, why, sizeof(why)) != SEAM_OK) {
        const char *state = json_string_value(json_object_get(m, "state"));
        snprintf(msg, sizeof(msg), "outbox message %llu (%s, %s): %s", seq, id ? id : "no id",
                 state ? state : "no state", why);
        vc->problems++;
        vc->report(vc->ctx, msg);
    }
    json_decref(m);
    return 0;
}

uint64_t
outbox_verify(struct store_txn *t, const uint8_t pk[32], evlog_report_fn report, void *ctx)
{
    struct verify_ctx vc = {t, pk, report, ctx, 0};
    progress_phase("outbox messages", outbox_count(t));
    if (outbox_scan(t, verify_one, &vc) != SEAM_OK) {
        report(ctx, "outbox: scan failed");
        vc.problems++;
    }
    return vc.problems;
}

/*
 * mail_out.c: notifications by e-mail. In the transaction of a ticket's
 * change it decides who is told (the customer on the changes of its one
 * face: acknowledged, a question from the owner, resolved, reopened, closed;
 * a partner on a new assignment or an SLA warning, where its configuration
 * asks for it), writes each message whole from the templates of the
 * recipient's language, and queues it in the outbox (channel "mail"), so
 * that a committed change is never lost for its reader. It sends nothing:
 * forward.c does, over SMTP.
 *
 * Threading: every mail of a ticket refers to the ticket's root id
 * <TICKET@domain> (the acknowledgement carries it as its Message-ID); each
 * other mail's Message-ID is <TICKET.EVENTS.WHO@domain>, unique per event
 * and recipient and the same on every try. mail_in.c finds the ticket of a
 * reply from these ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "evlog.h"
#include "json_fast.h"
#include "mail_out.h"
#include "outbox.h"
#include "users.h"

enum mail_kind {
    MK_ACK,
    MK_QUESTION,
    MK_RESOLVED,
    MK_REOPENED,
    MK_CLOSED,
    MK_ASSIGNMENT,
    MK_SLA_WARNING,
    MK_COUNT
};

static const char *const kind_names[MK_COUNT] = {
    "mail.acknowledged", "mail.question",   "mail.resolved",   "mail.reopened",
    "mail.closed",       "mail.assignment", "mail.sla_warning"};

/*
 * The templates, by language and kind: a subject and a body, where {id},
 * {summary}, {name}, {entry}, {link} and {assignment} stand for the
 * ticket's id and summary, the customer's name, the change's public
 * timeline entry, the portal's link, the assignment's id.
 */
struct mail_template {
    const char *subject, *body;
};

#define FOOT_EN                                                                                    \
    "\n\nFollow your complaint: {link}\n"                                                          \
    "Reply to this message to add information.\n"                                                  \
    "-- \n"                                                                                        \
    "To stop these messages, reply with the subject \"unsubscribe\", or turn them off in the "     \
    "portal.\n"
#define FOOT_NB                                                                                    \
    "\n\nFølg saken din: {link}\n"                                                                \
    "Svar på denne e-posten for å legge til opplysninger.\n"                                     \
    "-- \n"                                                                                        \
    "For å slutte å få disse e-postene, svar med emnet \"unsubscribe\" eller slå dem av i "    \
    "portalen.\n"

#define T(s, b, foot)                                                                              \
    {                                                                                              \
        s, b foot                                                                                  \
    }
static const struct mail_template templates_en[MK_COUNT] = {
    T("[{id}] We have received your complaint: {summary}",
      "Hello {name},\n\nWe have received your complaint \"{summary}\" and it has an owner who "
      "will work on it.\n\n{entry}",
      FOOT_EN),
    T("[{id}] A question about your complaint: {summary}",
      "Hello {name},\n\nTo go on with your complaint we need an answer from you:\n\n{entry}\n\n"
      "Reply to this message to answer.",
      FOOT_EN),
    T("[{id}] Your complaint is resolved: {summary}",
      "Hello {name},\n\nYour complaint \"{summary}\" is resolved:\n\n{entry}\n\n"
      "If it is not, reopen it in the portal.",
      FOOT_EN),
    T("[{id}] Your complaint is open again: {summary}",
      "Hello {name},\n\nYour complaint \"{summary}\" is open again and has an owner.\n\n{entry}",
      FOOT_EN),
    T("[{id}] Your complaint is closed: {summary}",
      "Hello {name},\n\nYour complaint \"{summary}\" is closed. Thank you.\n\n{entry}", FOOT_EN),
    {"[{id}] New assignment {assignment}: {summary}",
     "A new claim is assigned to you.\n\nAssignment: {assignment}\nTicket: {id}\nSummary: "
     "{summary}\n\nWork it here: {link}\n"},
    {"[{id}] SLA warning on assignment {assignment}: {summary}",
     "A due time of this claim comes soon.\n\n{entry}\n\nAssignment: {assignment}\nTicket: "
     "{id}\nSummary: {summary}\n\nWork it here: {link}\n"},
};

static const struct mail_template templates_nb[MK_COUNT] = {
    T("[{id}] Vi har mottatt klagen din: {summary}",
      "Hei {name},\n\nVi har mottatt klagen din «{summary}», og den har en ansvarlig som "
      "arbeider med den.\n\n{entry}",
      FOOT_NB),
    T("[{id}] Et spørsmål om klagen din: {summary}",
      "Hei {name},\n\nFor å komme videre med klagen din trenger vi et svar fra deg:\n\n{entry}"
      "\n\nSvar på denne e-posten for å svare.",
      FOOT_NB),
    T("[{id}] Klagen din er løst: {summary}",
      "Hei {name},\n\nKlagen din «{summary}» er løst:\n\n{entry}\n\n"
      "Hvis den ikke er det, kan du åpne den igjen i portalen.",
      FOOT_NB),
    T("[{id}] Klagen din er åpnet igjen: {summary}",
      "Hei {name},\n\nKlagen din «{summary}» er åpnet igjen og har en ansvarlig.\n\n{entry}",
      FOOT_NB),
    T("[{id}] Klagen din er avsluttet: {summary}",
      "Hei {name},\n\nKlagen din «{summary}» er avsluttet. Takk.\n\n{entry}", FOOT_NB),
    {"[{id}] Nytt oppdrag {assignment}: {summary}",
     "Et nytt oppdrag er tildelt dere.\n\nOppdrag: {assignment}\nSak: {id}\nSammendrag: "
     "{summary}\n\nArbeid med det her: {link}\n"},
    {"[{id}] SLA-varsel for oppdrag {assignment}: {summary}",
     "En frist for dette oppdraget nærmer seg.\n\n{entry}\n\nOppdrag: {assignment}\nSak: "
     "{id}\nSammendrag: {summary}\n\nArbeid med det her: {link}\n"},
};
#undef T

static const struct mail_template *
template_for(const char *lang, enum mail_kind k)
{
    return strcmp(lang, "nb") == 0 ? &templates_nb[k] : &templates_en[k];
}

struct vars {
    const char *id, *summary, *name, *entry, *link, *assignment;
};

/* The template's text with its {names} replaced. Free it. */
static char *
fill(const char *tpl, const struct vars *v)
{
    struct json_text out = {0};
    static const struct {
        const char *name;
        size_t off;
    } names[] = {{"{id}", offsetof(struct vars, id)},
                 {"{summary}", offsetof(struct vars, summary)},
                 {"{name}", offsetof(struct vars, name)},
                 {"{entry}", offsetof(struct vars, entry)},
                 {"{link}", offsetof(struct vars, link)},
                 {"{assignment}", offsetof(struct vars, assignment)}};
    const char *p = tpl;
    while (*p) {
        size_t i, n = sizeof(names) / sizeof(names[0]);
        for (i = 0; i < n; i++)
            if (strncmp(p, names[i].name, strlen(names[i].name)) == 0)
                break;
        if (i == n) {
            json_text_add(&out, p, 1);
            p++;
            continue;
        }
        const char *val = *(const char *const *)((const char *)v + names[i].off);
        if (val != NULL)
            json_text_add(&out, val, strlen(val));
        p += strlen(names[i].name);
    }
    json_text_add(&out, "", 0);
    if (out.data == NULL)
        return xstrdup("");
    /* An empty {entry} leaves no run of blank lines behind. */
    char *w = out.data;
    for (char *r = out.data; *r; r++)
        if (!(r[0] == '\n' && w - out.data >= 2 && w[-1] == '\n' && w[-2] == '\n'))
            *w++ = *r;
    *w = '\0';
    return out.data;
}

/* ---- writing a message ---- */

const char *
mail_domain(const struct config *cfg)
{
    const char *at = cfg->mail.from ? strrchr(cfg->mail.from, '@') : NULL;
    return at ? at + 1 : "localhost";
}

static int
plain_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x7f || (unsigned char)*s < 0x20)
            return 0;
    return 1;
}

char *
mail_encode_subject(const char *subject)
{
    struct json_text out = {0};
    size_t len = strlen(subject);
    /* Plain ASCII that fits a line as it is stays as it is (RFC 5322 2.1.1). */
    if (plain_ascii(subject) && len <= 66 && strstr(subject, "=?") == NULL)
        return xstrdup(subject);
    size_t i = 0;
    while (i < len) {
        /* 45 bytes give 60 base64 characters: with "=?UTF-8?B?" and "?=", 72. Never split
         * a UTF-8 sequence: back up over continuation bytes. */
        size_t n = len - i < 45 ? len - i : 45;
        while (n > 1 && i + n < len && ((unsigned char)subject[i + n] & 0xC0) == 0x80)
            n--;
        char b64[sodium_base64_ENCODED_LEN(45, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)subject + i, n,
                          sodium_base64_VARIANT_ORIGINAL);
        if (i > 0)
            json_text_lit(&out, "\r\n ");
        json_text_lit(&out, "=?UTF-8?B?");
        json_text_add(&out, b64, strlen(b64));
        json_text_lit(&out, "?=");
        i += n;
    }
    json_text_add(&out, "", 0);
    return out.data ? out.data : xstrdup("");
}

/* The body in quoted-printable (RFC 2045 6.7), lines of at most 76 characters, CRLF. */
static void
add_qp(struct json_text *out, const char *body)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;
    for (const unsigned char *p = (const unsigned char *)body; *p; p++) {
        if (*p == '\r')
            continue;
        if (*p == '\n') {
            json_text_lit(out, "\r\n");
            col = 0;
            continue;
        }
        char enc[3];
        size_t n;
        int trailing_space = (*p == ' ' || *p == '\t') && (p[1] == '\n' || p[1] == '\r' || !p[1]);
        if ((*p >= 33 && *p <= 126 && *p != '=') ||
            ((*p == ' ' || *p == '\t') && !trailing_space)) {
            enc[0] = (char)*p;
            n = 1;
        } else {
            enc[0] = '=';
            enc[1] = hex[*p >> 4];
            enc[2] = hex[*p & 15];
            n = 3;
        }
        /* A leading "." would need stuffing; SMTP clients do it, but a "=2E" is safe anywhere. */
        if (col == 0 && *p == '.') {
            enc[0] = '=';
            enc[1] = '2';
            enc[2] = 'E';
            n = 3;
        }
        if (col + n > 75) {
            json_text_lit(out, "=\r\n");
            col = 0;
        }
        json_text_add(out, enc, n);
        col += n;
    }
    json_text_lit(out, "\r\n");
}

static void
add_header(struct json_text *out, const char *name, const char *value)
{
    if (value == NULL)
        return;
    json_text_add(out, name, strlen(name));
    json_text_lit(out, ": ");
    /* Values come from one_line or mail_encode_subject (its own folding): no other breaks. */
    json_text_add(out, value, strlen(value));
    json_text_lit(out, "\r\n");
}

/* A value with every CR and LF replaced by a space (header injection). Free it. */
static char *
one_line(const char *s)
{
    char *c = xstrdup(s ? s : ""), *w = c;
    for (const char *p = c; *p; p++) {
        if (*p == '\r' && p[1] == '\n')
            continue; /* CRLF: one space, the LF's */
        *w++ = (*p == '\r' || *p == '\n' || *p == '\t') ? ' ' : *p;
    }
    *w = '\0';
    return c;
}

char *
mail_compose(const struct mail_head *h, const char *body)
{
    struct json_text out = {0};
    char date[64];
    time_t secs = (time_t)(h->date_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    snprintf(date, sizeof(date), "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
             tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    char *subject_line = one_line(h->subject);
    char *subject = mail_encode_subject(subject_line);
    free(subject_line);
    add_header(&out, "Date", date);
    add_header(&out, "From", h->from);
    add_header(&out, "To", h->to);
    add_header(&out, "Subject", subject);
    add_header(&out, "Message-ID", h->message_id);
    add_header(&out, "In-Reply-To", h->in_reply_to);
    add_header(&out, "References", h->references);
    if (h->list_unsubscribe != NULL) {
        add_header(&out, "List-Unsubscribe", h->list_unsubscribe);
        add_header(&out, "Auto-Submitted", "auto-generated");
    } else {
        add_header(&out, "Auto-Submitted", "auto-generated");
    }
    add_header(&out, "MIME-Version", "1.0");
    add_header(&out, "Content-Type", "text/plain; charset=utf-8");
    add_header(&out, "Content-Transfer-Encoding", "quoted-printable");
    json_text_lit(&out, "\r\n");
    add_qp(&out, body);
    free(subject);
    return out.data;
}

/* ---- who is told of a change ---- */

/* The last timeline entry's text when the customer may see it ("" if none). */
static const char *
public_entry(const struct ticket *tk)
{
    if (tk->ntimeline == 0)
        return "";
    const struct timeline_entry *e = &tk->timeline[tk->ntimeline - 1];
    if (e->visibility != VIS_PUBLIC || e->text == NULL)
        return "";
    return e->text;
}

/* The entry of the latest SLA warning, for a partner's own eyes (its own claim). */
static const char *
last_entry(const struct ticket *tk)
{
    if (tk->ntimeline == 0 || tk->timeline[tk->ntimeline - 1].text == NULL)
        return "";
    return tk->timeline[tk->ntimeline - 1].text;
}

static enum seam_err
queue(struct store_txn *t, const struct config *cfg, const char *owner, const char *to,
      const struct ticket *tk, const char *assignment, enum mail_kind k, const char *who_tag,
      const char *lang, const struct vars *v, int customer)
{
    const struct mail_template *tpl = template_for(lang, k);
    const char *dom = mail_domain(cfg);
    char *subject = fill(tpl->subject, v);
    char *body = fill(tpl->body, v);
    char *root = xasprintf("<%s@%s>", tk->id, dom);
    char *mid =
        k == MK_ACK ? xstrdup(root) : xasprintf("<%s.%u.%s@%s>", tk->id, tk->events, who_tag, dom);
    char *unsub = customer ? xasprintf("<mailto:%s?subject=unsubscribe>, <%s/settings>",
                                       cfg->mail.support_address, cfg->mail.portal_url)
                           : NULL;
    struct mail_head h = {.from = cfg->mail.from,
                          .to = to,
                          .subject = subject,
                          .message_id = mid,
                          .in_reply_to = k == MK_ACK ? NULL : root,
                          .references = k == MK_ACK ? NULL : root,
                          .list_unsubscribe = unsub,
                          .date_ms = now_ms()};
    char *text = mail_compose(&h, body);
    enum seam_err rc = outbox_enqueue_mail(t, owner, cfg->mail.smtp_url, cfg->mail.from, to, tk->id,
                                           assignment ? assignment : "", kind_names[k], mid, text);
    free(subject);
    free(body);
    free(root);
    free(mid);
    free(unsub);
    return rc;
}

static int
customer_kind(const struct ticket *tk, int status_before, enum event_type event)
{
    if (status_before < 0)
        return MK_ACK;
    if (event == EV_TICKET_REOPENED)
        return MK_REOPENED;
    if ((int)tk->status == status_before)
        return -1;
    switch (tk->status) {
    case TS_PENDING:
        return MK_QUESTION;
    case TS_RESOLVED:
        return MK_RESOLVED;
    case TS_CLOSED:
        return MK_CLOSED;
    default:
        return -1;
    }
}

static enum seam_err
tell_customer(struct store_txn *t, const struct config *cfg, const struct ticket *tk,
              int status_before, enum event_type event)
{
    json_t *rec = NULL;
    int k = customer_kind(tk, status_before, event);
    if (k < 0 || tk->customer == NULL)
        return SEAM_OK;
    enum seam_err rc = customer_load(t, tk->customer, &rec);
    if (rc == SEAM_ENOTFOUND)
        return SEAM_OK;
    if (rc != SEAM_OK)
        return rc;
    const char *email = json_string_value(json_object_get(rec, "email"));
    json_t *on = json_object_get(rec, "notifications");
    if (email == NULL || json_is_false(on)) {
        json_decref(rec);
        return SEAM_OK;
    }
    char *link = xasprintf("%s/tickets/%s", cfg->mail.portal_url, tk->id);
    char *owner = xasprintf("mail:customer:%s", tk->customer);
    struct vars v = {tk->id,           tk->summary, json_string_value(json_object_get(rec, "name")),
                     public_entry(tk), link,        NULL};
    rc = queue(t, cfg, owner, email, tk, NULL, (enum mail_kind)k, "c", customer_mail_language(rec),
               &v, 1);
    free(link);
    free(owner);
    json_decref(rec);
    return rc;
}

/* The partner's agents and supervisors who have an address of their own and are not disabled:
 * [[name, address], ...]. */
static void
agent_address(void *ctx, const json_t *u)
{
    const char *email = json_string_value(json_object_get(u, "email"));
    const char *role = json_string_value(json_object_get(u, "role"));
    const char *name = json_string_value(json_object_get(u, "name"));
    if (email != NULL && name != NULL && role != NULL && strcmp(role, "partner") == 0 &&
        json_object_get(u, "disabled_at") == NULL)
        json_array_append_new(ctx, json_pack("[s, s]", name, email));
}

static enum seam_err
tell_one(struct store_txn *t, const struct config *cfg, const struct ticket *tk,
         const struct assignment *a, enum mail_kind k, const char *to, const char *tag)
{
    const struct config_partner *p = config_partner_find(cfg, a->partner);
    char *link = xasprintf("%s/partner/assignments/%s", cfg->mail.portal_url, a->id);
    char *owner = xasprintf("mail:partner:%s", p->id);
    struct vars v = {tk->id, tk->summary, p->name, last_entry(tk), link, a->id};
    enum seam_err rc =
        queue(t, cfg, owner, to, tk, a->id, k, tag, p->language ? p->language : "en", &v, 0);
    free(link);
    free(owner);
    return rc;
}

/*
 * A notice of a partner's claim, where the partner's configuration asks for
 * this kind ($.partners[].mail.notify): to its desk's address, if it has one,
 * and to each of its agents and supervisors with an address of their own
 * (seamctl user email, PUT /v1/users/{subject}/{name}/email), a mail each.
 */
static enum seam_err
tell_partner(struct store_txn *t, const struct config *cfg, const struct ticket *tk,
             const struct assignment *a, enum mail_kind k)
{
    const struct config_partner *p = config_partner_find(cfg, a->partner);
    unsigned on = k == MK_ASSIGNMENT ? CONFIG_MAIL_ON_ASSIGNMENT : CONFIG_MAIL_ON_SLA_WARNING;
    if (p == NULL || !(p->mail_on & on))
        return SEAM_OK;
    enum seam_err rc = SEAM_OK;
    if (p->mail_address != NULL &&
        (rc = tell_one(t, cfg, tk, a, k, p->mail_address, a->id)) != SEAM_OK)
        return rc;
    json_t *agents = json_array();
    rc = users_each(t, p->id, agent_address, agents);
    size_t i;
    json_t *ag;
    json_array_foreach(agents, i, ag)
    {
        if (rc != SEAM_OK)
            break;
        char *tag = xasprintf("%s.%s", a->id, json_string_value(json_array_get(ag, 0)));
        rc = tell_one(t, cfg, tk, a, k, json_string_value(json_array_get(ag, 1)), tag);
        free(tag);
    }
    json_decref(agents);
    return rc;
}

static const struct config *mail_cfg; /* set once by main, before any thread */

void
mail_out_init(const struct config *cfg)
{
    mail_cfg = cfg;
}

/* The claim an SLA warning event names (its data's "assignment"); NULL if it cannot be read. */
static const struct assignment *
warned_assignment(struct store_txn *t, const struct ticket *tk)
{
    char *bytes = NULL;
    size_t len;
    const struct assignment *a = NULL;
    if (tk->events == 0 ||
        evlog_event(t, tk->id, tk->events - 1, &bytes, &len, NULL, NULL) != SEAM_OK)
        return NULL;
    json_t *ev = json_loadb(bytes, len, 0, NULL);
    free(bytes);
    const char *id = json_string_value(json_object_get(json_object_get(ev, "data"), "assignment"));
    if (id != NULL)
        a = ticket_find_assignment(tk, id);
    json_decref(ev);
    return a;
}

enum seam_err
mail_notify(struct store_txn *t, const struct ticket *tk, int status_before, enum event_type event)
{
    const struct config *cfg = mail_cfg;
    enum seam_err rc;
    if (cfg == NULL || !cfg->mail.on)
        return SEAM_OK;
    if ((rc = tell_customer(t, cfg, tk, status_before, event)) != SEAM_OK)
        return rc;
    /* The claims the last event made: a filing's, a reroute's, a forced owner's. */
    for (size_t i = 0; tk->events > 0 && i < tk->nassignments; i++)
        if (tk->assignments[i].event_seq == (int64_t)tk->events - 1 &&
            (rc = tell_partner(t, cfg, tk, &tk->assignments[i], MK_ASSIGNMENT)) != SEAM_OK)
            return rc;
    if (event == EV_SLA_WARNING) {
        const struct assignment *a = warned_assignment(t, tk);
        if (a != NULL && (rc = tell_partner(t, cfg, tk, a, MK_SLA_WARNING)) != SEAM_OK)
            return rc;
    }
    return SEAM_OK;
}

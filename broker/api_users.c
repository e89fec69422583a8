/*
 * api_users.c: sign-in and sessions, invitation and reset links, and the
 * users the lead's managers and partners' supervisors keep (users.h).
 *
 * Password hashing (Argon2id, about a tenth of a second of one core) runs
 * on the HTTP thread that took the request, at most
 * sessions.hash_concurrency at once across the broker: a sign-in that finds
 * every slot taken is answered 503 at once, so a flood of sign-ins holds at
 * most that many of the HTTP threads and the others serve everything else.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api.h"
#include "log.h"
#include "users.h"

/* ---- the hashing slots ---- */

static sem_t hash_slots;
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;
static unsigned hash_slots_n = 1;
static char dummy_hash[128]; /* compared against when there is no user: equal time */

static void
hash_init(void)
{
    sem_init(&hash_slots, 0, hash_slots_n);
    char pw[32];
    randombytes_buf(pw, sizeof(pw));
    if (users_password_hash(pw, sizeof(pw), dummy_hash) != 0)
        fatalx("users: cannot hash (out of memory)");
}

/* Takes a slot: 0, or -1 after replying 503. */
static int
hash_slot_or_reply(struct req *r)
{
    hash_slots_n = r->cfg->signin_hash_concurrency;
    pthread_once(&hash_once, hash_init);
    if (sem_trywait(&hash_slots) != 0) {
        log_info("req=%s sign-in refused: every password hashing slot is busy", r->id);
        http_error(r, E_UNAVAILABLE, "too many sign-ins at once; retry in a second", NULL);
        return -1;
    }
    return 0;
}

static void
hash_slot_release(void)
{
    sem_post(&hash_slots);
}

/* ---- the jobs ---- */

enum uop {
    OP_SIGNIN,
    OP_SIGNOUT,
    OP_SIGNOUT_ALL,
    OP_PASSWORD,
    OP_CREATE,
    OP_DISABLE,
    OP_RESET,
    OP_KEY_SET,
    OP_KEY_REVOKE,
    OP_EMAIL_SET,
    OP_EMAIL_DELETE
};

struct ujob {
    struct store_job job;
    struct req *r;
    enum uop op;
    char id[USER_ID_MAX + 1];
    char kind[16];
    char hash[128];
    char *link; /* OP_PASSWORD: the link used; OP_CREATE, OP_RESET: the new one */
    int totp_new;
    char totp[40];
    int64_t epoch, step, ttl_ms;
    char sid[44], csrf[65];
    uint8_t key[32];
    uint8_t pk[32];  /* OP_KEY_SET: the user's new signing key */
    char email[256]; /* OP_CREATE (optional), OP_EMAIL_SET: the user's mail address */
    json_t *user;    /* OP_CREATE, OP_DISABLE, OP_KEY_*, OP_EMAIL_*: the record after */
};

static void
ujob_free(void *p)
{
    struct ujob *j = p;
    if (j == NULL)
        return;
    if (j->link != NULL) {
        sodium_memzero(j->link, strlen(j->link));
        free(j->link);
    }
    json_decref(j->user);
    sodium_memzero(j, sizeof(*j));
    free(j);
}

/* A JSON string of text, which is freed. */
static json_t *
json_string_take(char *text)
{
    json_t *j = json_string(text);
    free(text);
    return j;
}

/* The principal a user acts as: "partner:fibernet/alice" (a JSON string). */
static json_t *
acting(const char *role, const char *id)
{
    return json_string_take(xasprintf("%s:%s", role, id));
}

/* A user record as answered: never its password hash or TOTP secret. */
static json_t *
user_view(const json_t *u)
{
    json_t *v = json_object();
    static const char *const keys[] = {"id",          "role",        "subject",
                                       "name",        "kind",        "created_at",
                                       "disabled_at", "signing_key", "signing_key_added_at",
                                       "email"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *x = json_object_get(u, keys[i]);
        if (x != NULL)
            json_object_set(v, keys[i], x);
    }
    const char *state = json_object_get(u, "disabled_at") ? "disabled"
                        : json_object_get(u, "password")  ? "active"
                                                          : "invited";
    json_object_set_new(v, "state", json_string(state));
    json_object_set_new(v, "totp", json_boolean(json_object_get(u, "totp") != NULL));
    const char *role = json_string_value(json_object_get(u, "role"));
    const char *id = json_string_value(json_object_get(u, "id"));
    if (role && id)
        json_object_set_new(v, "principal", acting(role, id));
    return v;
}

static enum seam_err
ujob_apply(struct store_txn *t, struct store_job *job)
{
    struct ujob *j = (struct ujob *)job;
    const struct config *cfg = j->r->cfg;
    enum seam_err rc;
    /* apply may run again (store.h): start afresh */
    json_decref(j->user);
    j->user = NULL;
    switch (j->op) {
    case OP_SIGNIN:
        return users_session_new(t, j->id, j->epoch, j->step, j->sid, j->csrf);
    case OP_SIGNOUT:
        rc = users_session_end(t, j->key);
        return rc == SEAM_ENOTFOUND ? SEAM_OK : rc;
    case OP_SIGNOUT_ALL:
        return users_end_sessions(t, j->id);
    case OP_PASSWORD:
        return users_link_use(t, j->link, j->hash, j->totp_new, j->totp);
    case OP_CREATE:
        if (j->link != NULL) {
            free(j->link);
            j->link = NULL;
        }
        if (users_kind_role(j->kind) == ROLE_CUSTOMER) {
            char subject[64], name[USER_NAME_MAX + 1];
            json_t *c = NULL;
            if (users_id_split(j->id, subject, name) != 0)
                return SEAM_EINVAL;
            rc = customer_load(t, subject, &c);
            json_decref(c);
            if (rc != SEAM_OK)
                return rc == SEAM_ENOTFOUND ? SEAM_EINVAL : rc;
        }
        if ((rc = users_add(t, j->id, j->kind)) != SEAM_OK)
            return rc;
        if (j->email[0] != '\0' && (rc = users_email_set(t, j->id, j->email)) != SEAM_OK)
            return rc;
        if ((rc = users_link_new(t, j->id, "invite", j->ttl_ms, &j->link)) != SEAM_OK)
            return rc;
        return users_load(t, j->id, &j->user);
    case OP_DISABLE:
        if ((rc = users_disable(t, j->id)) != SEAM_OK)
            return rc;
        return users_load(t, j->id, &j->user);
    case OP_RESET:
        if (j->link != NULL) {
            free(j->link);
            j->link = NULL;
        }
        (void)cfg;
        return users_link_new(t, j->id, "reset", j->ttl_ms, &j->link);
    case OP_KEY_SET:
    case OP_KEY_REVOKE:
        rc = j->op == OP_KEY_SET ? users_key_set(t, j->id, j->pk) : users_key_revoke(t, j->id);
        if (rc != SEAM_OK)
            return rc;
        return users_load(t, j->id, &j->user);
    case OP_EMAIL_SET:
    case OP_EMAIL_DELETE:
        if ((rc = users_email_set(t, j->id, j->op == OP_EMAIL_SET ? j->email : NULL)) != SEAM_OK)
            return rc;
        return users_load(t, j->id, &j->user);
    }
    return SEAM_EINVAL;
}

static void
cookie_set(struct req *r, const char *sid, unsigned max_age)
{
    char *c = xasprintf("%s=%s; Path=/; Max-Age=%u; HttpOnly; SameSite=Strict%s", SESSION_COOKIE,
                        sid, max_age, r->cfg->cookie_secure || r->srv->tls ? "; Secure" : "");
    http_header(r, "Set-Cookie", c);
    sodium_memzero(c, strlen(c));
    free(c);
}

static void
ujob_done(struct store_job *job)
{
    struct ujob *j = (struct ujob *)job;
    struct req *r = j->r;
    const struct config *cfg = r->cfg;
    char at[32];
    enum seam_err rc = job->rc;
    if (rc == SEAM_OK) {
        switch (j->op) {
        case OP_SIGNIN: {
            int64_t now = now_ms();
            cookie_set(r, j->sid, cfg->session_absolute_s);
            format_time_ms(now + (int64_t)cfg->session_absolute_s * 1000, at);
            char idle[32];
            format_time_ms(now + (int64_t)cfg->session_idle_s * 1000, idle);
            log_info("req=%s signed in user=%s", r->id, j->id);
            http_reply(r, 201,
                       json_pack("{s:s, s:s, s:s, s:s, s:s}", "user", j->id, "kind", j->kind,
                                 "csrf_token", j->csrf, "expires_at", at, "idle_expires_at", idle));
            break;
        }
        case OP_SIGNOUT:
        case OP_SIGNOUT_ALL:
            cookie_set(r, "", 0);
            http_reply_empty(r, 204);
            break;
        case OP_PASSWORD: {
            json_t *b = json_pack("{s:s}", "user", j->id);
            if (j->totp[0] != '\0') {
                json_object_set_new(b, "totp_secret", json_string(j->totp));
                json_object_set_new(
                    b, "otpauth_uri",
                    json_string_take(
                        xasprintf("otpauth://totp/seam:%s?secret=%s&issuer=seam", j->id, j->totp)));
            }
            log_info("req=%s password set user=%s", r->id, j->id);
            http_reply(r, 200, b);
            break;
        }
        case OP_CREATE:
        case OP_RESET: {
            json_t *b = j->op == OP_CREATE ? json_pack("{s:o}", "user", user_view(j->user))
                                           : json_pack("{s:s}", "user", j->id);
            format_time_ms(now_ms() + j->ttl_ms, at);
            json_object_set_new(b, "link", json_string(j->link));
            json_object_set_new(b, "link_expires_at", json_string(at));
            log_info("req=%s %s link made user=%s", r->id, j->op == OP_CREATE ? "invite" : "reset",
                     j->id);
            http_reply(r, j->op == OP_CREATE ? 201 : 200, b);
            break;
        }
        case OP_DISABLE:
            log_info("req=%s user disabled user=%s", r->id, j->id);
            http_reply(r, 200, user_view(j->user));
            break;
        case OP_KEY_SET:
        case OP_KEY_REVOKE:
        case OP_EMAIL_SET:
        case OP_EMAIL_DELETE: {
            static const char *const what[] = {[OP_KEY_SET] = "signing key set",
                                               [OP_KEY_REVOKE] = "signing key revoked",
                                               [OP_EMAIL_SET] = "mail address set",
                                               [OP_EMAIL_DELETE] = "mail address removed"};
            log_info("req=%s %s user=%s by=%s", r->id, what[j->op], j->id,
                     r->who.user[0] ? r->who.user : r->who.subject);
            http_reply(r, 200, user_view(j->user));
            break;
        }
        }
    } else if (j->op == OP_SIGNIN && (rc == SEAM_ENOTFOUND || rc == SEAM_ECONFLICT)) {
        http_error(r, E_SIGNIN_FAILED,
                   rc == SEAM_ECONFLICT ? "this code was used already; wait for the next" : NULL,
                   rc == SEAM_ECONFLICT ? "totp" : NULL);
    } else if (j->op == OP_PASSWORD && rc == SEAM_ENOTFOUND) {
        http_error(r, E_LINK_INVALID, NULL, "link");
    } else if (j->op == OP_CREATE && rc == SEAM_EEXIST) {
        http_error(r, E_EXISTS, NULL, "id");
    } else if (j->op == OP_CREATE && rc == SEAM_EINVAL) {
        http_error(r, E_INVALID_FIELD, "no such customer for a customer's user", "id");
    } else if ((j->op == OP_DISABLE || j->op == OP_RESET) && rc == SEAM_ENOTFOUND) {
        http_error(r, E_NOT_FOUND, "no such user", NULL);
    } else if (j->op == OP_RESET && rc == SEAM_ECONFLICT) {
        http_error(r, E_CONFLICT, "the user is disabled", NULL);
    } else if (j->op == OP_KEY_SET && rc == SEAM_ENOTFOUND) {
        http_error(r, E_NOT_FOUND, "no such user", NULL);
    } else if (j->op == OP_KEY_SET && rc == SEAM_ECONFLICT) {
        http_error(r, E_CONFLICT, "the user is disabled, or not staff (only staff hold keys)",
                   NULL);
    } else if (j->op == OP_KEY_SET && rc == SEAM_EEXIST) {
        http_error(r, E_CONFLICT, "this key was revoked; a revoked key is never taken again",
                   "public_key");
    } else if ((j->op == OP_EMAIL_SET || j->op == OP_EMAIL_DELETE) && rc == SEAM_ENOTFOUND) {
        http_error(r, E_NOT_FOUND, "no such user", NULL);
    } else if (j->op == OP_KEY_REVOKE && rc == SEAM_ENOTFOUND) {
        http_error(r, E_NOT_FOUND, "no such user, or it holds no signing key", NULL);
    } else {
        http_error_from(r, rc, "users");
    }
    http_resume(r);
}

static struct ujob *
ujob_new(struct req *r, enum uop op)
{
    struct ujob *j = xcalloc(1, sizeof(*j));
    j->job.apply = ujob_apply;
    j->job.done = ujob_done;
    j->r = r;
    j->op = op;
    return j;
}

/* ---- sign-in ---- */

/* The request's body and its parsed password are wiped before they are freed. */
static void
password_wipe(struct req *r, json_t *body)
{
    json_t *pw = json_object_get(body, "password");
    if (json_is_string(pw))
        sodium_memzero((char *)(uintptr_t)json_string_value(pw), json_string_length(pw));
    if (r->body != NULL)
        sodium_memzero(r->body, r->body_len);
}

void
api_sessions_create(struct req *r)
{
    static const struct body_field fields[] = {{"user", JSON_STRING, 1, 1, USER_ID_MAX},
                                               {"password", JSON_STRING, 1, 1, PASSWORD_MAX},
                                               {"totp", JSON_STRING, 0, 0, 16},
                                               {NULL, 0, 0, 0, 0}};
    const struct config *cfg = r->cfg;
    char addr[64], akey[128], ikey[80];
    json_t *body = http_body_json_or_reply(r), *user = NULL;
    struct store_txn *t;
    if (body == NULL || http_fields_or_reply(r, body, fields) != 0)
        goto out;
    if (http_origin_ok(r, 0) != 0) {
        http_error(r, E_CSRF, "a sign-in from another site", "Origin");
        goto out;
    }
    const char *id = json_string_value(json_object_get(body, "user"));
    const char *pw = json_string_value(json_object_get(body, "password"));
    const char *code = json_string_value(json_object_get(body, "totp"));
    size_t pwlen = json_string_length(json_object_get(body, "password"));
    (void)http_client_address(r, addr, sizeof(addr));
    snprintf(akey, sizeof(akey), "user:%s", id);
    snprintf(ikey, sizeof(ikey), "addr:%s", addr);
    int64_t now = now_ms(), wa = users_limit_check(akey, now), wi = users_limit_check(ikey, now);
    int64_t wait = wa > wi ? wa : wi;
    if (wait > 0) {
        char secs[24];
        snprintf(secs, sizeof(secs), "%lld", (long long)((wait + 999) / 1000));
        log_info("req=%s sign-in refused: locked user=%s addr=%s retry_s=%s", r->id, id, addr,
                 secs);
        http_header(r, "Retry-After", secs);
        http_error(r, E_SIGNIN_LOCKED, NULL, NULL);
        goto out;
    }
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc == SEAM_OK) {
        rc = users_load(t, id, &user);
        store_read_end(t);
    }
    if (rc != SEAM_OK && rc != SEAM_ENOTFOUND) {
        http_error_from(r, rc, "sign-in read");
        goto out;
    }
    const char *hash = json_string_value(json_object_get(user, "password"));
    const char *kind = json_string_value(json_object_get(user, "kind"));
    if (hash_slot_or_reply(r) != 0)
        goto out;
    /* The same work whether or not the user exists, has a password or is disabled. */
    int good = users_password_verify(hash ? hash : dummy_hash, pw, pwlen) == 0 && hash != NULL &&
               kind != NULL && json_object_get(user, "disabled_at") == NULL;
    hash_slot_release();
    const char *why = good ? NULL : "password";
    int64_t step = 0;
    const char *secret = json_string_value(json_object_get(user, "totp"));
    int need_totp = good && (secret != NULL || (cfg->totp_staff && users_kind_staff(kind)));
    if (need_totp && secret == NULL) {
        log_info("req=%s sign-in refused: user=%s must enrol TOTP (a reset link)", r->id, id);
        http_error(r, E_SIGNIN_FAILED,
                   "this account must use a TOTP code: enrol it through a password reset link",
                   "totp");
        goto out;
    }
    if (need_totp && code == NULL) {
        http_error(r, E_SIGNIN_FAILED, "this account needs its TOTP code", "totp");
        goto out;
    }
    if (need_totp && !totp_check(secret, code, now / 1000, &step)) {
        good = 0;
        why = "totp";
    }
    if (!good) {
        users_limit_fail(akey, cfg->signin_max_failures, (int64_t)cfg->signin_lockout_s * 1000,
                         now);
        users_limit_fail(ikey, cfg->signin_max_failures_per_address,
                         (int64_t)cfg->signin_lockout_s * 1000, now);
        log_info("req=%s sign-in failed user=%s addr=%s reason=%s", r->id, id, addr, why);
        http_error(r, E_SIGNIN_FAILED, NULL, strcmp(why, "totp") == 0 ? "totp" : NULL);
        goto out;
    }
    users_limit_clear(akey);
    struct ujob *j = ujob_new(r, OP_SIGNIN);
    snprintf(j->id, sizeof(j->id), "%s", id);
    snprintf(j->kind, sizeof(j->kind), "%s", kind);
    j->epoch = json_integer_value(json_object_get(user, "epoch"));
    j->step = step;
    http_submit(r, &j->job, j, ujob_free);
out:
    password_wipe(r, body);
    json_decref(user);
    json_decref(body);
}

void
api_sessions_current(struct req *r)
{
    if (r->who.user[0] == '\0') {
        http_error(r, E_NOT_FOUND, "this credential is no user's", NULL);
        return;
    }
    json_t *b = json_pack("{s:s, s:s, s:s, s:s, s:b}", "user", r->who.user, "kind", r->who.kind,
                          "role", auth_role_name(r->who.role), "subject", r->who.subject, "session",
                          r->who.session);
    json_object_set_new(b, "principal", acting(auth_role_name(r->who.role), r->who.user));
    http_reply(r, 200, b);
}

void
api_sessions_end(struct req *r)
{
    const char *sid = http_cookie_value(r, SESSION_COOKIE);
    if (!r->who.session || sid == NULL) {
        http_error(r, E_NOT_FOUND, "no session: this is a bearer token", NULL);
        return;
    }
    struct ujob *j = ujob_new(r, OP_SIGNOUT);
    crypto_generichash(j->key, 32, (const uint8_t *)sid, strlen(sid), NULL, 0);
    http_submit(r, &j->job, j, ujob_free);
}

void
api_sessions_end_all(struct req *r)
{
    if (r->who.user[0] == '\0') {
        http_error(r, E_NOT_FOUND, "this credential is no user's", NULL);
        return;
    }
    struct ujob *j = ujob_new(r, OP_SIGNOUT_ALL);
    snprintf(j->id, sizeof(j->id), "%s", r->who.user);
    http_submit(r, &j->job, j, ujob_free);
}

/* ---- invitation and reset links ---- */

void
api_password_set(struct req *r)
{
    static const struct body_field fields[] = {{"link", JSON_STRING, 1, 1, 64},
                                               {"password", JSON_STRING, 1, 1, PASSWORD_MAX},
                                               {NULL, 0, 0, 0, 0}};
    json_t *body = http_body_json_or_reply(r), *user = NULL;
    struct store_txn *t;
    char id[USER_ID_MAX + 1];
    if (body == NULL || http_fields_or_reply(r, body, fields) != 0)
        goto out;
    if (http_origin_ok(r, 0) != 0) {
        http_error(r, E_CSRF, "a password set from another site", "Origin");
        goto out;
    }
    const char *link = json_string_value(json_object_get(body, "link"));
    const char *pw = json_string_value(json_object_get(body, "password"));
    size_t pwlen = json_string_length(json_object_get(body, "password"));
    if (pwlen < PASSWORD_MIN) {
        http_error(r, E_INVALID_FIELD, "a password has at least 10 characters", "password");
        goto out;
    }
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc == SEAM_OK) {
        rc = users_link_peek(t, link, id);
        if (rc == SEAM_OK)
            rc = users_load(t, id, &user);
        store_read_end(t);
    }
    if (rc == SEAM_ENOTFOUND) {
        char addr[64];
        (void)http_client_address(r, addr, sizeof(addr));
        log_info("req=%s link refused: unknown, used or expired addr=%s", r->id, addr);
        http_error(r, E_LINK_INVALID, NULL, "link");
        goto out;
    }
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "link read");
        goto out;
    }
    if (hash_slot_or_reply(r) != 0)
        goto out;
    struct ujob *j = ujob_new(r, OP_PASSWORD);
    int hrc = users_password_hash(pw, pwlen, j->hash);
    hash_slot_release();
    if (hrc != 0) {
        ujob_free(j);
        http_error(r, E_UNAVAILABLE, NULL, NULL);
        goto out;
    }
    snprintf(j->id, sizeof(j->id), "%s", id);
    j->link = xstrdup(link);
    j->totp_new =
        r->cfg->totp_staff && users_kind_staff(json_string_value(json_object_get(user, "kind")));
    http_submit(r, &j->job, j, ujob_free);
out:
    password_wipe(r, body);
    json_decref(user);
    json_decref(body);
}

/* ---- the users a manager or a supervisor keeps ---- */

/*
 * Whether the caller keeps the users of subject (and may give them kind,
 * when not NULL): the lead's own token or a manager, any user; a partner's
 * supervisor, its own company's agents and supervisors.
 */
static int
keeps(const struct req *r, const char *subject, const char *kind)
{
    const struct principal *w = &r->who;
    if (w->role == ROLE_LEAD)
        return w->user[0] == '\0' || strcmp(w->kind, "manager") == 0;
    if (w->role == ROLE_PARTNER && strcmp(w->kind, "supervisor") == 0)
        return (subject == NULL || strcmp(subject, w->subject) == 0) &&
               (kind == NULL || users_kind_role(kind) == ROLE_PARTNER);
    return 0;
}

struct list_ctx {
    json_t *items;
    int staff_only; /* a supervisor's list: its company's agents and supervisors only */
};

static void
list_one(void *ctx, const json_t *u)
{
    struct list_ctx *l = ctx;
    /* Users are keyed by SUBJECT/NAME, and a customer's id may be a partner's: a customer's
     * users under that subject are not the partner's to see. */
    if (l->staff_only &&
        users_kind_role(json_string_value(json_object_get(u, "kind"))) != ROLE_PARTNER)
        return;
    json_array_append_new(l->items, user_view(u));
}

void
api_users_list(struct req *r)
{
    const char *subject = http_query(r, "subject");
    struct store_txn *t;
    if (!keeps(r, NULL, NULL)) {
        http_error(r, E_NOT_FOUND, "no such resource for this principal", NULL);
        return;
    }
    if (r->who.role == ROLE_PARTNER) {
        if (subject != NULL && strcmp(subject, r->who.subject) != 0) {
            http_error(r, E_NOT_FOUND, "no such resource for this principal", NULL);
            return;
        }
        subject = r->who.subject;
    }
    if (subject != NULL && (subject[0] == '\0' || strlen(subject) > 63)) {
        http_error(r, E_BAD_PARAMETER, "a subject is 1-63 bytes", "subject");
        return;
    }
    struct list_ctx l = {json_array(), r->who.role == ROLE_PARTNER};
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc == SEAM_OK) {
        rc = users_each(t, subject, list_one, &l);
        store_read_end(t);
    }
    if (rc != SEAM_OK) {
        json_decref(l.items);
        http_error_from(r, rc, "users list");
        return;
    }
    http_reply(r, 200, json_pack("{s:o, s:n}", "items", l.items, "next_cursor"));
}

void
api_users_create(struct req *r)
{
    static const struct body_field fields[] = {{"id", JSON_STRING, 1, 3, USER_ID_MAX},
                                               {"kind", JSON_STRING, 1, 1, 15},
                                               {"email", JSON_STRING, 0, 3, 254},
                                               {NULL, 0, 0, 0, 0}};
    const struct config *cfg = r->cfg;
    char subject[64], name[USER_NAME_MAX + 1];
    json_t *body = http_body_json_or_reply(r);
    if (body == NULL || http_fields_or_reply(r, body, fields) != 0)
        goto out;
    const char *id = json_string_value(json_object_get(body, "id"));
    const char *kind = json_string_value(json_object_get(body, "kind"));
    const char *email = json_string_value(json_object_get(body, "email"));
    enum role role = users_kind_role(kind);
    if (email != NULL && !mail_address_valid(email)) {
        http_error(r, E_INVALID_FIELD, "a mail address: local@domain", "email");
        goto out;
    }
    if (role == 0) {
        http_error(r, E_INVALID_FIELD,
                   "not a kind of user (customer, agent, supervisor, desk, manager, auditor)",
                   "kind");
        goto out;
    }
    if (users_id_split(id, subject, name) != 0) {
        http_error(r, E_INVALID_FIELD,
                   "a user id is SUBJECT/NAME: the principal's id, then 1-32 of a-z 0-9 . - _",
                   "id");
        goto out;
    }
    if (!keeps(r, subject, kind)) {
        http_error(r, E_NOT_FOUND, "no such principal for this caller", "id");
        goto out;
    }
    if ((role == ROLE_PARTNER && config_partner_find(cfg, subject) == NULL) ||
        (role == ROLE_LEAD && strcmp(subject, cfg->lead.id) != 0)) {
        http_error(r, E_INVALID_FIELD,
                   role == ROLE_PARTNER ? "no such partner" : "the lead's users are the lead's",
                   "id");
        goto out;
    }
    struct ujob *j = ujob_new(r, OP_CREATE);
    snprintf(j->id, sizeof(j->id), "%s", id);
    snprintf(j->kind, sizeof(j->kind), "%s", kind);
    snprintf(j->email, sizeof(j->email), "%s", email ? email : "");
    j->ttl_ms = (int64_t)cfg->invite_s * 1000;
    http_submit(r, &j->job, j, ujob_free);
out:
    json_decref(body);
}

/* The user of the path's SUBJECT/NAME if the caller keeps it: 0, or -1 after replying 404. */
static int
path_user_or_reply(struct req *r, char *id)
{
    char subject[64], name[USER_NAME_MAX + 1];
    snprintf(id, USER_ID_MAX + 1, "%s/%s", http_param(r, 0), http_param(r, 1));
    if (users_id_split(id, subject, name) != 0 || !keeps(r, subject, NULL)) {
        http_error(r, E_NOT_FOUND, "no such user", NULL);
        return -1;
    }
    return 0;
}

static void
user_change(struct req *r, enum uop op)
{
    static const struct body_field none[] = {{NULL, 0, 0, 0, 0}};
    char id[USER_ID_MAX + 1];
    json_t *body = http_body_json_optional_or_reply(r);
    int bad = body == NULL || http_fields_or_reply(r, body, none) != 0;
    json_decref(body);
    if (bad || path_user_or_reply(r, id) != 0)
        return;
    if (r->who.role == ROLE_PARTNER) { /* a supervisor keeps agents and supervisors only */
        struct store_txn *t;
        json_t *u = NULL;
        enum seam_err rc = store_read_begin(r->srv->store, &t);
        if (rc == SEAM_OK) {
            rc = users_load(t, id, &u);
            store_read_end(t);
        }
        int mine = rc == SEAM_OK &&
                   users_kind_role(json_string_value(json_object_get(u, "kind"))) == ROLE_PARTNER;
        json_decref(u);
        if (!mine) {
            http_error(r, E_NOT_FOUND, "no such user", NULL);
            return;
        }
    }
    struct ujob *j = ujob_new(r, op);
    snprintf(j->id, sizeof(j->id), "%s", id);
    j->ttl_ms = (int64_t)r->cfg->reset_s * 1000;
    http_submit(r, &j->job, j, ujob_free);
}

void
api_users_disable(struct req *r)
{
    user_change(r, OP_DISABLE);
}

void
api_users_reset(struct req *r)
{
    user_change(r, OP_RESET);
}

/* ---- personal signing keys ---- */

/*
 * PUT and DELETE /v1/users/{subject}/{name}/key: the user itself, or whoever
 * keeps it (a supervisor its company's, the lead's manager anyone), sets or
 * revokes its Ed25519 public key; the user then signs its actions with it
 * (api_actions.c).
 */
static void
user_edit(struct req *r, enum uop op)
{
    static const struct body_field set[] = {{"public_key", JSON_STRING, 1, 44, 44},
                                            {NULL, 0, 0, 0, 0}};
    static const struct body_field mail[] = {{"email", JSON_STRING, 1, 3, 254}, {NULL, 0, 0, 0, 0}};
    static const struct body_field none[] = {{NULL, 0, 0, 0, 0}};
    const struct body_field *fields = op == OP_KEY_SET ? set : op == OP_EMAIL_SET ? mail : none;
    int with_body = op == OP_KEY_SET || op == OP_EMAIL_SET;
    char id[USER_ID_MAX + 1], subject[64], name[USER_NAME_MAX + 1];
    uint8_t pk[32];
    json_t *body = with_body ? http_body_json_or_reply(r) : http_body_json_optional_or_reply(r);
    if (body == NULL || http_fields_or_reply(r, body, fields) != 0)
        goto out;
    const char *email = json_string_value(json_object_get(body, "email"));
    if (op == OP_EMAIL_SET && !mail_address_valid(email)) {
        http_error(r, E_INVALID_FIELD, "a mail address: local@domain", "email");
        goto out;
    }
    if (op == OP_KEY_SET &&
        users_key_parse(json_string_value(json_object_get(body, "public_key")), pk) != 0) {
        http_error(r, E_INVALID_FIELD, "an Ed25519 public key: 44 characters of base64",
                   "public_key");
        goto out;
    }
    snprintf(id, sizeof(id), "%s/%s", http_param(r, 0), http_param(r, 1));
    int self = r->who.user[0] != '\0' && strcmp(r->who.user, id) == 0;
    if (!self) {
        if (users_id_split(id, subject, name) != 0 || !keeps(r, subject, NULL)) {
            http_error(r, E_NOT_FOUND, "no such user", NULL);
            goto out;
        }
        if (r->who.role == ROLE_PARTNER) { /* a supervisor keeps its company's staff only */
            struct store_txn *t;
            json_t *u = NULL;
            enum seam_err rc = store_read_begin(r->srv->store, &t);
            if (rc == SEAM_OK) {
                rc = users_load(t, id, &u);
                store_read_end(t);
            }
            int mine =
                rc == SEAM_OK &&
                users_kind_role(json_string_value(json_object_get(u, "kind"))) == ROLE_PARTNER;
            json_decref(u);
            if (!mine) {
                http_error(r, E_NOT_FOUND, "no such user", NULL);
                goto out;
            }
        }
    }
    struct ujob *j = ujob_new(r, op);
    snprintf(j->id, sizeof(j->id), "%s", id);
    memcpy(j->pk, pk, op == OP_KEY_SET ? sizeof(pk) : 0);
    snprintf(j->email, sizeof(j->email), "%s", op == OP_EMAIL_SET ? email : "");
    http_submit(r, &j->job, j, ujob_free);
out:
    json_decref(body);
}

void
api_users_key_set(struct req *r)
{
    user_edit(r, OP_KEY_SET);
}

void
api_users_key_revoke(struct req *r)
{
    user_edit(r, OP_KEY_REVOKE);
}

void
api_users_email_set(struct req *r)
{
    user_edit(r, OP_EMAIL_SET);
}

void
api_users_email_delete(struct req *r)
{
    user_edit(r, OP_EMAIL_DELETE);
}

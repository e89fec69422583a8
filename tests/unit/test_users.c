/*
 * test_users.c: TOTP against RFC 6238's test vectors (SHA-1, SHA-256,
 * SHA-512) and base32 against RFC 4648's; user ids; the sign-in limiter's
 * lock and backoff; Argon2id hashes; and users, links and sessions against
 * a real store in a temporary directory: a link works once and not after it
 * expires, a session holds its principal and user, and ends when the user
 * is disabled, signs out everywhere, or stays idle too long.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "store.h"
#include "tap.h"
#include "users.h"

static void
test_totp(void)
{
    static const struct {
        long long t;
        const char *sha1, *sha256, *sha512;
    } v[] = {
        {59, "94287082", "46119246", "90693936"},
        {1111111109, "07081804", "68084774", "25091201"},
        {1111111111, "14050471", "67062674", "99943326"},
        {1234567890, "89005924", "91819424", "93441116"},
        {2000000000, "69279037", "90698825", "38618901"},
        {20000000000LL, "65353130", "77737706", "47863826"},
    };
    const char *k1 = "12345678901234567890";
    const char *k256 = "12345678901234567890123456789012";
    const char *k512 = "1234567890123456789012345678901234567890123456789012345678901234";
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char got[3][16];
        uint64_t step = (uint64_t)(v[i].t / 30);
        snprintf(got[0], 16, "%08u", totp_code((const uint8_t *)k1, 20, step, "sha1", 8));
        snprintf(got[1], 16, "%08u", totp_code((const uint8_t *)k256, 32, step, "sha256", 8));
        snprintf(got[2], 16, "%08u", totp_code((const uint8_t *)k512, 64, step, "sha512", 8));
        ok(strcmp(got[0], v[i].sha1) == 0, "RFC 6238 SHA-1 at %lld: %s", v[i].t, got[0]);
        ok(strcmp(got[1], v[i].sha256) == 0, "RFC 6238 SHA-256 at %lld: %s", v[i].t, got[1]);
        ok(strcmp(got[2], v[i].sha512) == 0, "RFC 6238 SHA-512 at %lld: %s", v[i].t, got[2]);
    }
    /* totp_check: 6 digits, the step either side, nothing further */
    char secret[64], code[8];
    int64_t step = 0;
    base32_encode((const uint8_t *)k1, 20, secret);
    ok(strcmp(secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") == 0, "the RFC key in base32");
    snprintf(code, sizeof(code), "%06u", totp_code((const uint8_t *)k1, 20, 1000, "sha1", 6));
    ok(totp_check(secret, code, 1000 * 30 + 5, &step) && step == 1000, "the step's code passes");
    ok(totp_check(secret, code, 1001 * 30 + 5, &step) && step == 1000,
       "the previous step's code passes (clock drift)");
    ok(!totp_check(secret, code, 1002 * 30 + 5, &step), "two steps on it fails");
    code[5] = code[5] == '0' ? '1' : '0';
    ok(!totp_check(secret, code, 1000 * 30 + 5, &step), "a wrong code fails");
    ok(!totp_check(secret, "12345", 30000, &step) && !totp_check(secret, "12345a", 30000, &step) &&
           !totp_check(secret, NULL, 30000, &step),
       "a short, non-digit or missing code fails");
    ok(!totp_check("not base32!", "123456", 30000, &step), "a secret that is not base32 fails");
}

static void
test_base32(void)
{
    static const char *const v[][2] = {{"f", "MY"},           {"fo", "MZXQ"},
                                       {"foo", "MZXW6"},      {"foob", "MZXW6YQ"},
                                       {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"}};
    for (size_t i = 0; i < 6; i++) {
        char out[32];
        uint8_t back[32];
        size_t n = 0;
        base32_encode((const uint8_t *)v[i][0], strlen(v[i][0]), out);
        ok(strcmp(out, v[i][1]) == 0, "base32(%s) = %s", v[i][0], out);
        ok(base32_decode(out, back, sizeof(back), &n) == 0 && n == strlen(v[i][0]) &&
               memcmp(back, v[i][0], n) == 0,
           "and back");
    }
    uint8_t small[2];
    size_t n;
    ok(base32_decode("MZXW6YTBOI", small, sizeof(small), &n) != 0,
       "decoding never writes past its buffer");
    ok(base32_decode("mzxw6", small, sizeof(small), &n) != 0 || n <= 2, "lower case is taken");
}

static void
test_ids(void)
{
    char s[64], n[USER_NAME_MAX + 1];
    ok(users_id_split("fibernet/alice", s, n) == 0 && strcmp(s, "fibernet") == 0 &&
           strcmp(n, "alice") == 0,
       "fibernet/alice splits");
    ok(users_id_split("fibernet", s, n) != 0, "no slash: no user");
    ok(users_id_split("/alice", s, n) != 0 && users_id_split("fibernet/", s, n) != 0,
       "an empty part: no user");
    ok(users_id_split("fibernet/Alice", s, n) != 0, "a name is lower case");
    ok(users_id_split("fiber net/alice", s, n) != 0 && users_id_split("a/b/c", s, n) != 0,
       "a space or a second slash: no user");
    ok(users_id_split("f/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", s, n) != 0, "a name of 33: no user");
    ok(users_kind_role("agent") == ROLE_PARTNER && users_kind_role("manager") == ROLE_LEAD &&
           users_kind_role("customer") == ROLE_CUSTOMER &&
           users_kind_role("auditor") == ROLE_AUDITOR && users_kind_role("root") == 0,
       "kinds and their roles");
    ok(users_kind_staff("desk") && !users_kind_staff("customer") && !users_kind_staff("x"),
       "staff: every kind but customer");
}

static void
test_limiter(void)
{
    int64_t t0 = 1000000;
    ok(users_limit_check("user:u1", t0) == 0, "a fresh key is not locked");
    users_limit_fail("user:u1", 3, 1000, t0);
    users_limit_fail("user:u1", 3, 1000, t0);
    ok(users_limit_check("user:u1", t0) == 0, "two failures of three: not locked");
    users_limit_fail("user:u1", 3, 1000, t0);
    ok(users_limit_check("user:u1", t0) == 1000, "the third locks for the base (1 s)");
    ok(users_limit_check("user:u2", t0) == 0, "another key is not locked");
    users_limit_fail("user:u1", 3, 1000, t0 + 1000);
    ok(users_limit_check("user:u1", t0 + 1000) == 2000, "one more doubles the lock");
    for (int i = 0; i < 40; i++)
        users_limit_fail("user:u1", 3, 1000, t0 + 1000);
    ok(users_limit_check("user:u1", t0 + 1000) == 3600 * 1000, "at most an hour");
    users_limit_clear("user:u1");
    ok(users_limit_check("user:u1", t0 + 1000) == 0, "a success clears it");
}

/*
 * Two keys of one slot (BLAKE2b-64 of each, mod 4096: "user:victim/v" and
 * "user:attacker/a1275" meet at 2825): the attacker's own successful sign-in
 * must not wipe the count of the victim's failed guesses between guesses.
 */
static void
test_limiter_shared(void)
{
    int64_t t0 = now_ms();
    for (int i = 0; i < 3; i++)
        users_limit_fail("user:victim/v", 3, 60000, t0);
    ok(users_limit_check("user:victim/v", t0) > 0, "three failures lock the victim's account");
    users_limit_clear("user:attacker/a1275");
    ok(users_limit_check("user:victim/v", t0) > 0,
       "a success of another account of the same slot leaves the victim's lock");
    ok(users_limit_check("user:attacker/a1275", t0) > 0,
       "... which locks that account too (sooner)");
}

static void
test_password(void)
{
    char h[128];
    ok(users_password_hash("correct horse", 13, h) == 0 && strncmp(h, "$argon2id$", 10) == 0,
       "the hash is Argon2id's string");
    ok(strstr(h, "m=19456,t=2,p=1") != NULL, "with the parameters written down (%s)", h);
    ok(users_password_verify(h, "correct horse", 13) == 0, "the password verifies");
    ok(users_password_verify(h, "correct hors", 12) != 0, "another does not");
}

/* ---- against a store ---- */

static int
has_bytes(const void *hay, size_t len, const char *needle, size_t n)
{
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp((const char *)hay + i, needle, n) == 0)
            return 1;
    return 0;
}

struct op {
    const char *id, *kind, *link, *hash;
    int64_t ttl, epoch, step;
    char *out;
    char sid[44], csrf[65], totp[40];
    uint8_t key[32];
    int what;
};

enum { ADD, LINK, USE, SESSION, DISABLE, END_ALL, SIGNOUT, KEY_SET, KEY_REVOKE };

static enum seam_err
op_fn(struct store_txn *t, void *arg)
{
    struct op *o = arg;
    switch (o->what) {
    case ADD:
        return users_add(t, o->id, o->kind);
    case LINK:
        free(o->out);
        o->out = NULL;
        return users_link_new(t, o->id, "invite", o->ttl, &o->out);
    case USE:
        return users_link_use(t, o->link, o->hash, 1, o->totp);
    case SESSION:
        return users_session_new(t, o->id, o->epoch, o->step, o->sid, o->csrf);
    case DISABLE:
        return users_disable(t, o->id);
    case END_ALL:
        return users_end_sessions(t, o->id);
    case SIGNOUT:
        return users_session_end(t, o->key);
    case KEY_SET:
        return users_key_set(t, o->id, o->key);
    case KEY_REVOKE:
        return users_key_revoke(t, o->id);
    }
    return SEAM_EINVAL;
}

static enum seam_err
run(struct store *s, struct op *o, int what)
{
    o->what = what;
    return store_write(s, op_fn, o, NULL, NULL);
}

static enum seam_err
check_sid(struct store *s, const char *sid, int64_t idle_ms, struct principal *p,
          struct session_info *info)
{
    struct store_txn *t;
    if (store_read_begin(s, &t) != SEAM_OK)
        return SEAM_EIO;
    enum seam_err rc = users_session_check(t, sid, idle_ms, 3600000, p, info);
    store_read_end(t);
    return rc;
}

static int64_t
epoch_of(struct store *s, const char *id)
{
    struct store_txn *t;
    json_t *u = NULL;
    int64_t e = -1;
    if (store_read_begin(s, &t) != SEAM_OK)
        return -1;
    if (users_load(t, id, &u) == SEAM_OK)
        e = json_integer_value(json_object_get(u, "epoch"));
    store_read_end(t);
    json_decref(u);
    return e;
}

static void
test_store(void)
{
    char *dir = tap_tmpdir();
    struct store *s = NULL;
    struct op o = {.id = "fibernet/alice", .kind = "agent", .ttl = 60000};
    struct principal p;
    struct session_info info;
    char h[128];
    ok(dir && store_open(dir, 1 << 20, 1 << 24, 1, &s) == SEAM_OK, "a store opens");
    if (s == NULL)
        return;
    ok(run(s, &o, ADD) == SEAM_OK, "a user is added");
    ok(run(s, &o, ADD) == SEAM_EEXIST, "not twice");
    o.kind = "root";
    o.id = "fibernet/bob";
    ok(run(s, &o, ADD) == SEAM_EINVAL, "not of an unknown kind");
    o.kind = "agent";
    o.id = "fibernet/alice";
    ok(run(s, &o, LINK) == SEAM_OK && o.out && strncmp(o.out, LINK_PREFIX, 6) == 0,
       "an invitation link is made");
    char *link = o.out;
    o.out = NULL;
    ok(users_password_hash("a long password", 15, h) == 0, "a password is hashed");
    o.link = link;
    o.hash = h;
    ok(run(s, &o, USE) == SEAM_OK && strlen(o.totp) == 32, "the link sets it, with a TOTP secret");
    ok(run(s, &o, USE) == SEAM_ENOTFOUND, "the link works once");
    free(link);
    o.ttl = -1;
    ok(run(s, &o, LINK) == SEAM_OK, "a link already expired is made");
    o.link = o.out;
    ok(run(s, &o, USE) == SEAM_ENOTFOUND, "and refused");
    ok(run(s, &o, USE) == SEAM_ENOTFOUND && o.totp[0] == '\0', "a refused link changes nothing");

    o.epoch = epoch_of(s, o.id);
    o.step = 5;
    ok(run(s, &o, SESSION) == SEAM_OK && strlen(o.sid) == 43 && strlen(o.csrf) == 64,
       "a session is made");
    ok(run(s, &o, SESSION) == SEAM_ECONFLICT, "a TOTP step is never taken twice");
    o.step = 0;
    ok(check_sid(s, o.sid, 60000, &p, &info) == SEAM_OK && p.role == ROLE_PARTNER &&
           strcmp(p.subject, "fibernet") == 0 && strcmp(p.user, "fibernet/alice") == 0 &&
           strcmp(p.kind, "agent") == 0 && p.session && strcmp(info.csrf, o.csrf) == 0,
       "the session is the partner's, acting as the user");
    char bad[44];
    memcpy(bad, o.sid, 44);
    bad[0] = bad[0] == 'A' ? 'B' : 'A';
    ok(check_sid(s, bad, 60000, &p, &info) == SEAM_ENOTFOUND, "another id is no session");
    ok(check_sid(s, "short", 60000, &p, &info) == SEAM_ENOTFOUND, "a malformed id is none");
    ok(check_sid(s, o.sid, -1, &p, &info) == SEAM_ENOTFOUND, "an idle session has ended");
    /* the store holds no session id, only its hash */
    struct store_txn *t;
    struct store_val v;
    uint8_t key[32];
    crypto_generichash(key, 32, (const uint8_t *)o.sid, 43, NULL, 0);
    ok(store_read_begin(s, &t) == SEAM_OK && store_get(t, DB_SESSIONS, key, 32, &v) == SEAM_OK &&
           !has_bytes(v.data, v.len, o.sid, 43),
       "the session is kept under its hash, without its id");
    store_read_end(t);

    char sid1[44];
    memcpy(sid1, o.sid, 44);
    ok(run(s, &o, SESSION) == SEAM_OK, "a second session");
    ok(run(s, &o, END_ALL) == SEAM_OK, "sign-out everywhere");
    ok(check_sid(s, sid1, 60000, &p, &info) == SEAM_ENOTFOUND &&
           check_sid(s, o.sid, 60000, &p, &info) == SEAM_ENOTFOUND,
       "ends both");
    ok(run(s, &o, SESSION) == SEAM_ENOTFOUND,
       "a sign-in checked before it cannot use the old epoch");
    o.epoch = epoch_of(s, o.id);
    ok(run(s, &o, SESSION) == SEAM_OK, "a new sign-in works");
    memcpy(o.key, key, 32);
    crypto_generichash(o.key, 32, (const uint8_t *)o.sid, 43, NULL, 0);
    ok(run(s, &o, SIGNOUT) == SEAM_OK && check_sid(s, o.sid, 60000, &p, &info) == SEAM_ENOTFOUND,
       "sign-out ends the session");
    o.epoch = epoch_of(s, o.id);
    ok(run(s, &o, SESSION) == SEAM_OK, "and another");
    ok(run(s, &o, DISABLE) == SEAM_OK, "the user is disabled");
    ok(check_sid(s, o.sid, 60000, &p, &info) == SEAM_ENOTFOUND, "its session ends");
    struct principal tp = {.role = ROLE_PARTNER};
    snprintf(tp.subject, sizeof(tp.subject), "fibernet");
    snprintf(tp.user, sizeof(tp.user), "fibernet/alice");
    ok(store_read_begin(s, &t) == SEAM_OK && users_principal_check(t, &tp) == SEAM_ENOTFOUND,
       "a token issued to it stops working");
    store_read_end(t);
    o.epoch = epoch_of(s, o.id);
    ok(run(s, &o, SESSION) == SEAM_ENOTFOUND, "it cannot sign in");
    o.ttl = 60000;
    ok(run(s, &o, LINK) == SEAM_ECONFLICT, "nor get a link");
    free(o.out);
    store_close(s);
    free(dir);
}

/* The active key of a user, as the broker reads it: 0 and pk, or -1. */
static int
key_of(struct store *s, const char *id, uint8_t pk[32])
{
    struct store_txn *t;
    json_t *u = NULL;
    int rc = -1;
    if (store_read_begin(s, &t) != SEAM_OK)
        return -1;
    if (users_load(t, id, &u) == SEAM_OK)
        rc = users_key_get(u, pk);
    store_read_end(t);
    json_decref(u);
    return rc;
}

static void
test_keys(void)
{
    char *dir = tap_tmpdir();
    struct store *s = NULL;
    struct op o = {.id = "nordtel/alice", .kind = "agent"};
    uint8_t pk[32], sk[64], got[32], second[32];
    char b64[64];
    ok(dir && store_open(dir, 1 << 20, 1 << 24, 1, &s) == SEAM_OK, "keys: a store opens");
    if (s == NULL)
        return;
    crypto_sign_keypair(pk, sk);
    crypto_sign_keypair(second, sk);
    sodium_bin2base64(b64, sizeof(b64), pk, 32, sodium_base64_VARIANT_ORIGINAL);
    ok(users_key_parse(b64, got) == 0 && memcmp(got, pk, 32) == 0, "a key's base64 is read");
    ok(users_key_parse("AAAA", got) != 0, "a short text is no key");
    ok(users_key_parse("/etc/passwd/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", got) != 0,
       "a path of 44 characters is no key (the broker reads no file for a client)");
    memcpy(o.key, pk, 32);
    ok(run(s, &o, KEY_SET) == SEAM_ENOTFOUND, "no key for a user that does not exist");
    ok(run(s, &o, ADD) == SEAM_OK, "an agent is added");
    ok(key_of(s, o.id, got) != 0, "a new user holds no key");
    ok(run(s, &o, KEY_REVOKE) == SEAM_ENOTFOUND, "revoking no key: not found");
    ok(run(s, &o, KEY_SET) == SEAM_OK && key_of(s, o.id, got) == 0 && memcmp(got, pk, 32) == 0,
       "the agent's key is set and read back");
    ok(run(s, &o, KEY_SET) == SEAM_OK, "setting the same key again changes nothing");
    memcpy(o.key, second, 32);
    ok(run(s, &o, KEY_SET) == SEAM_OK && key_of(s, o.id, got) == 0 && memcmp(got, second, 32) == 0,
       "a new key replaces it");
    memcpy(o.key, pk, 32);
    ok(run(s, &o, KEY_SET) == SEAM_EEXIST, "the key replaced was revoked: never taken again");
    ok(run(s, &o, KEY_REVOKE) == SEAM_OK && key_of(s, o.id, got) != 0, "revoked: no active key");
    memcpy(o.key, second, 32);
    ok(run(s, &o, KEY_SET) == SEAM_EEXIST, "nor is the one revoked now");
    struct op c = {.id = "c1/ann", .kind = "customer"};
    crypto_sign_keypair(c.key, sk);
    ok(run(s, &c, ADD) == SEAM_OK && run(s, &c, KEY_SET) == SEAM_ECONFLICT,
       "a customer's user holds no key");
    struct op b = {.id = "nordtel/bob", .kind = "agent"};
    crypto_sign_keypair(b.key, sk);
    ok(run(s, &b, ADD) == SEAM_OK && run(s, &b, KEY_SET) == SEAM_OK &&
           run(s, &b, DISABLE) == SEAM_OK,
       "bob holds a key, then is disabled");
    ok(key_of(s, b.id, got) != 0, "a disabled user's key is not active");
    ok(run(s, &b, KEY_SET) == SEAM_ECONFLICT, "a disabled user gets no new key");
    sodium_memzero(sk, sizeof(sk));
    store_close(s);
    tap_rmtree(dir);
    free(dir);
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_totp();
    test_base32();
    test_ids();
    test_limiter();
    test_limiter_shared();
    test_password();
    test_store();
    test_keys();
    return done_testing();
}

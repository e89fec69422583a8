/*
 * test_config_mail.c: $.mail and $.partners[].mail. The example federation
 * with mail loads with every member read (and its defaults); each kind of
 * mistake is refused naming its JSON path; without $.mail, mail is off.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "config.h"
#include "tap.h"

static json_t *base;
static char pwfile[64];

static json_t *
mail_obj(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "smtp_url", "smtp://127.0.0.1:2525", "from",
                     "support@northwind.example", "portal_url", "https://portal.example",
                     "imap_url", "imap://127.0.0.1:1143/INBOX", "imap_user", "seam",
                     "imap_password_file", pwfile);
}

/* Loads base changed by edit (which may be NULL); *errors: the problems, or NULL. */
static struct config *
load(void (*edit)(json_t *root), char **errors)
{
    json_t *root = json_deep_copy(base);
    struct config *cf = NULL;
    if (edit)
        edit(root);
    char *text = json_dumps(root, 0);
    *errors = NULL;
    if (config_load_buffer("mail.json", text, strlen(text), &cf, errors) != SEAM_OK)
        cf = NULL;
    free(text);
    json_decref(root);
    return cf;
}

static void
with_mail(json_t *root)
{
    json_object_set_new(root, "mail", mail_obj());
    json_t *p = json_array_get(json_object_get(root, "partners"), 0);
    json_object_set_new(p, "mail",
                        json_pack("{s:s, s:[s,s]}", "address", "desk@partner.example", "notify",
                                  "assignment", "sla_warning"));
}

static void
bad_smtp(json_t *root)
{
    with_mail(root);
    json_object_set_new(json_object_get(root, "mail"), "smtp_url", json_string("http://x"));
}

static void
bad_from(json_t *root)
{
    with_mail(root);
    json_object_set_new(json_object_get(root, "mail"), "from", json_string("no address"));
}

static void
unknown_key(json_t *root)
{
    with_mail(root);
    json_object_set_new(json_object_get(root, "mail"), "smtp_port", json_integer(25));
}

static void
imap_without_user(json_t *root)
{
    with_mail(root);
    json_object_del(json_object_get(root, "mail"), "imap_user");
}

static void
bad_poll(json_t *root)
{
    with_mail(root);
    json_object_set_new(json_object_get(root, "mail"), "poll_ms", json_integer(1));
}

static void
bad_notify(json_t *root)
{
    with_mail(root);
    json_t *p = json_array_get(json_object_get(root, "partners"), 0);
    json_array_append_new(json_object_get(json_object_get(p, "mail"), "notify"),
                          json_string("everything"));
}

static void
missing_password_file(json_t *root)
{
    with_mail(root);
    json_object_set_new(json_object_get(root, "mail"), "imap_password_file",
                        json_string("/nonexistent/seam.pass"));
}

static void
with_smtp_auth(json_t *root)
{
    with_mail(root);
    json_t *m = json_object_get(root, "mail");
    json_object_set_new(m, "smtp_user", json_string("relay"));
    json_object_set_new(m, "smtp_password_file", json_string(pwfile));
    json_object_set_new(m, "smtp_tls", json_string("starttls"));
    json_object_set_new(json_array_get(json_object_get(root, "partners"), 0), "language",
                        json_string("nb"));
}

static void
smtp_user_alone(json_t *root)
{
    with_smtp_auth(root);
    json_object_del(json_object_get(root, "mail"), "smtp_password_file");
}

static void
bad_smtp_tls(json_t *root)
{
    with_smtp_auth(root);
    json_object_set_new(json_object_get(root, "mail"), "smtp_tls", json_string("always"));
}

static void
bad_partner_language(json_t *root)
{
    with_mail(root);
    json_object_set_new(json_array_get(json_object_get(root, "partners"), 1), "language",
                        json_string("de"));
}

static void
refused(void (*edit)(json_t *), const char *path, const char *what)
{
    char *errors = NULL;
    struct config *cf = load(edit, &errors);
    ok(cf == NULL && errors != NULL && strstr(errors, path) != NULL, "%s: refused at %s", what,
       path);
    if (cf == NULL && errors != NULL && strstr(errors, path) == NULL)
        printf("# %s\n", errors);
    config_free(cf);
    free(errors);
}

int
main(void)
{
    json_error_t je;
    char *errors = NULL;
    if (sodium_init() < 0)
        return 1;
    base = json_load_file("conf/seam.json", 0, &je);
    if (base == NULL)
        return 1;
    snprintf(pwfile, sizeof(pwfile), "/tmp/seam-mail-pw.%d", (int)getpid());
    FILE *f = fopen(pwfile, "w");
    fputs("secret\n", f);
    fclose(f);

    struct config *cf = load(NULL, &errors);
    ok(cf != NULL && !cf->mail.on, "without $.mail, mail is off");
    config_free(cf);
    free(errors);

    cf = load(with_mail, &errors);
    ok(cf != NULL, "the example federation with mail loads");
    if (cf != NULL) {
        ok(cf->mail.on && strcmp(cf->mail.smtp_url, "smtp://127.0.0.1:2525") == 0,
           "smtp_url is read");
        ok(strcmp(cf->mail.support_address, "support@northwind.example") == 0,
           "support_address defaults to from");
        ok(strcmp(cf->mail.imap_password, "secret") == 0, "the password is the file's first line");
        ok(cf->mail.poll_ms == 30000 && cf->mail.max_message_bytes == 1048576,
           "poll_ms and max_message_bytes default");
        ok(strcmp(cf->partners[0].mail_address, "desk@partner.example") == 0 &&
               cf->partners[0].mail_on == (CONFIG_MAIL_ON_ASSIGNMENT | CONFIG_MAIL_ON_SLA_WARNING),
           "a partner's desk address and notifications");
        ok(cf->partners[1].mail_address == NULL && cf->partners[1].mail_on == 0,
           "a partner without mail gets none");
    }
    config_free(cf);
    free(errors);

    cf = load(with_smtp_auth, &errors);
    ok(cf != NULL, "the federation with SMTP AUTH loads");
    if (cf != NULL) {
        ok(strcmp(cf->mail.smtp_user, "relay") == 0 &&
               strcmp(cf->mail.smtp_password, "secret") == 0,
           "smtp_user, and the password from its file's first line");
        ok(cf->mail.smtp_tls_required == 1, "smtp_tls starttls requires TLS");
        ok(strcmp(cf->partners[0].language, "nb") == 0 &&
               strcmp(cf->partners[1].language, "en") == 0,
           "a partner's language, en by default");
    }
    config_free(cf);
    free(errors);
    cf = load(with_mail, &errors);
    ok(cf != NULL && cf->mail.smtp_user == NULL && cf->mail.smtp_password == NULL &&
           cf->mail.smtp_tls_required == 0,
       "without smtp_user: no AUTH, STARTTLS when offered");
    config_free(cf);
    free(errors);
    refused(smtp_user_alone, "$.mail", "smtp_user without smtp_password_file");
    refused(bad_smtp_tls, "$.mail.smtp_tls", "an unknown smtp_tls");
    refused(bad_partner_language, "$.partners[1].language",
            "a partner's language without templates");
    refused(bad_smtp, "$.mail.smtp_url", "an http URL for SMTP");
    refused(bad_from, "$.mail.from", "a from that is no address");
    refused(unknown_key, "$.mail.smtp_port", "an unknown key");
    refused(imap_without_user, "$.mail", "imap_url without imap_user");
    refused(bad_poll, "$.mail", "poll_ms below its bound");
    refused(bad_notify, "$.partners[0].mail.notify", "an unknown notification");
    refused(missing_password_file, "$.mail.imap_password_file", "a password file not there");
    unlink(pwfile);
    json_decref(base);
    return done_testing();
}

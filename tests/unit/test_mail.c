/*
 * test_mail.c: e-mail's own text handling: the messages mail_out.c writes
 * (RFC 2047 subjects, quoted-printable bodies, CRLF, no header injection)
 * and what mail_in.c reads (MIME, encodings, charsets, quoted history,
 * threading ids), hostile input included.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mail_in.h"
#include "mail_out.h"
#include "tap.h"

/* Every line of text ends in CRLF and is at most max characters long. */
static int
lines_ok(const char *text, size_t max)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        if (nl == NULL || nl == p || nl[-1] != '\r' || (size_t)(nl - p - 1) > max)
            return 0;
        p = nl + 1;
    }
    return 1;
}

static int
has_line(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(text, prefix, n) == 0)
        return 1;
    for (const char *p = strchr(text, '\n'); p; p = strchr(p + 1, '\n'))
        if (strncmp(p + 1, prefix, n) == 0)
            return 1;
    return 0;
}

static void
test_subjects(void)
{
    char *s = mail_encode_subject("[T1] We have received your complaint");
    ok(strcmp(s, "[T1] We have received your complaint") == 0, "short plain ASCII stays as it is");
    free(s);
    const char *nb = "[T1] Et spørsmål om klagen din: Ingen TV på stua";
    s = mail_encode_subject(nb);
    ok(strncmp(s, "=?UTF-8?B?", 10) == 0, "a subject with ø is an encoded word");
    char *back = mail_decode_words(s);
    ok(strcmp(back, nb) == 0, "and decodes back to the same text");
    free(back);
    free(s);
    /* 120 two-byte characters: several words, none over 75, no sequence split. */
    char longer[400] = "";
    for (int i = 0; i < 120; i++)
        strcat(longer, "\xc3\xb8");
    s = mail_encode_subject(longer);
    int words_ok = 1;
    for (const char *w = s; (w = strstr(w, "=?UTF-8?B?")) != NULL; w++) {
        const char *e = strstr(w, "?=");
        words_ok &= e != NULL && e + 2 - w <= 75;
    }
    ok(words_ok, "each encoded word is at most 75 characters");
    back = mail_decode_words(s);
    ok(strcmp(back, longer) == 0, "a long subject decodes whole (no UTF-8 sequence split)");
    free(back);
    free(s);
}

static void
test_compose(void)
{
    struct mail_head h = {.from = "support@northwind.example",
                          .to = "c1@example.net",
                          .subject = "Hi\r\nBcc: victim@example.org",
                          .message_id = "<T1.3.c@northwind.example>",
                          .in_reply_to = "<T1@northwind.example>",
                          .references = "<T1@northwind.example>",
                          .list_unsubscribe =
                              "<mailto:support@northwind.example?subject=unsubscribe>",
                          .date_ms = 1764565200000LL};
    char body[2000] = "Hello,\n\n";
    for (int i = 0; i < 30; i++)
        strcat(body, "blåbær ");
    strcat(body, "\n.a line that starts with a dot\ntrailing space \n");
    char *m = mail_compose(&h, body);
    ok(lines_ok(m, 998), "every line ends in CRLF");
    ok(!has_line(m, "Bcc:"), "a line break in the subject injects no header");
    ok(has_line(m, "Date: Mon, 01 Dec 2025 05:00:00 +0000"), "Date in RFC 5322 form");
    ok(has_line(m, "Message-ID: <T1.3.c@northwind.example>"), "Message-ID");
    ok(has_line(m, "In-Reply-To: <T1@northwind.example>") &&
           has_line(m, "References: <T1@northwind.example>"),
       "threading headers");
    ok(has_line(m, "List-Unsubscribe: <mailto:"), "List-Unsubscribe");
    ok(has_line(m, "Content-Type: text/plain; charset=utf-8") &&
           has_line(m, "Content-Transfer-Encoding: quoted-printable") &&
           has_line(m, "MIME-Version: 1.0"),
       "text/plain; charset=utf-8 in quoted-printable");
    const char *b = strstr(m, "\r\n\r\n") + 4;
    ok(lines_ok(b, 76), "body lines are at most 76 characters");
    ok(strstr(b, "bl=C3=A5b=C3=A6r") != NULL, "8-bit text is encoded");
    ok(!has_line(b, "."), "no body line starts with a dot");
    ok(strstr(b, "space=20\r\n") != NULL, "a trailing space is encoded");
    /* What it wrote, mail_parse reads back. */
    struct mail_parsed p;
    mail_parse(m, strlen(m), &p);
    ok(p.problem == NULL && strstr(p.text, "blåbær blåbær") != NULL,
       "the parser reads the composed body back");
    ok(strcmp(p.subject, "Hi Bcc: victim@example.org") == 0, "and the subject, on one line");
    mail_parsed_free(&p);
    free(m);
}

static void
parse(const char *raw, struct mail_parsed *p)
{
    mail_parse(raw, strlen(raw), p);
}

static void
test_parse(void)
{
    struct mail_parsed p;
    parse("From: =?UTF-8?Q?K=C3=A5re?= <Kare@Example.net>\r\n"
          "To: \"Support, Northwind\" <support@northwind.example>, other@x.example\r\n"
          "Cc: c3@example.net\r\n"
          "Subject: =?ISO-8859-1?Q?Sv=3A_TV_p=E5?=\r\n =?UTF-8?B?IHN0dWE=?=\r\n"
          "Message-ID: <abc@example.net>\r\n"
          "In-Reply-To: <T01a22fffde43fadcb1d4.7.c@northwind.example>\r\n"
          "MIME-Version: 1.0\r\n"
          "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
          "preamble\r\n--outer\r\n"
          "Content-Type: multipart/alternative; boundary=inner\r\n\r\n"
          "--inner\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n"
          "--inner\r\nContent-Type: text/plain; charset=utf-8\r\n"
          "Content-Transfer-Encoding: base64\r\n\r\n"
          "SGVpLCBkZXQgZXIgZnJlbWRlbGVzIG3DuHJrdC4KCk9uIE1vbiwgc3VwcG9ydCB3cm90ZToKPiBnYW1tZWw=\r\n"
          "--inner--\r\n--outer\r\nContent-Type: application/pdf\r\n"
          "Content-Disposition: attachment\r\n\r\nJVBERi0=\r\n--outer--\r\n",
          &p);
    ok(p.problem == NULL, "a nested multipart parses");
    ok(strcmp(p.from, "Kare@Example.net") == 0, "the sender's address, not its name");
    ok(p.nto == 3 && strcmp(p.to[0], "support@northwind.example") == 0 &&
           strcmp(p.to[2], "c3@example.net") == 0,
       "To and Cc, a quoted comma in a name kept whole");
    ok(strcmp(p.subject, "Sv: TV på stua") == 0,
       "encoded words of two charsets, the space between them dropped");
    ok(strcmp(p.text, "Hei, det er fremdeles mørkt.") == 0,
       "the text/plain part, base64, quoted history cut");
    ok(strcmp(p.message_id, "<abc@example.net>") == 0, "Message-ID");
    char tid[64];
    ok(mail_ticket_ref(p.refs, "northwind.example", tid, sizeof(tid)) == 0 &&
           strcmp(tid, "T01a22fffde43fadcb1d4") == 0,
       "the ticket a reply refers to");
    ok(mail_ticket_ref(p.refs, "evil.example", tid, sizeof(tid)) != 0,
       "only from ids of our own domain");
    ok(mail_ticket_ref("<Tnot-a-ticket@northwind.example> <../x@northwind.example>",
                       "northwind.example", tid, sizeof(tid)) != 0,
       "never from an id that is not a ticket's shape");
    mail_parsed_free(&p);

    parse("From: a@b.example\r\nSubject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
          "Content-Transfer-Encoding: quoted-printable\r\n\r\nbl=E5=\r\nb=E6r\r\n",
          &p);
    ok(strcmp(p.text, "blåbær") == 0, "quoted-printable soft breaks, ISO-8859-1 to UTF-8");
    ok(strncmp(p.message_id, "<sha256.", 8) == 0, "no Message-ID: one from the bytes");
    mail_parsed_free(&p);

    parse("From: a@b.example\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n",
          &p);
    ok(p.problem != NULL && strstr(p.problem, "boundary"), "a multipart without a boundary");
    mail_parsed_free(&p);

    parse("From: a@b.example\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\nhi\r\n", &p);
    ok(p.problem != NULL, "a charset the broker does not read");
    mail_parsed_free(&p);

    parse("From: a@b.example, c@d.example\r\n\r\nhi\r\n", &p);
    ok(p.problem != NULL, "two senders: no single address");
    mail_parsed_free(&p);

    parse("From: a@b.example\r\nAuto-Submitted: auto-replied\r\n\r\nI am away\r\n", &p);
    ok(p.automatic, "an automatic reply is marked");
    mail_parsed_free(&p);

    parse("From: a@b.example\r\nContent-Type: text/plain\r\n\r\nab\xff\xfe\x00z\r\n", &p);
    ok(p.problem == NULL && strcmp(p.text, "ab\xef\xbf\xbd\xef\xbf\xbd") == 0,
       "invalid UTF-8 replaced; a NUL ends the text");
    mail_parsed_free(&p);

    /* Nested deeper than allowed: refused, no recursion without end. */
    char deep[8192] = "From: a@b.example\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n";
    for (int i = 1; i < 20; i++) {
        char part[128];
        snprintf(part, sizeof(part), "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n",
                 i - 1, i);
        strcat(deep, part);
    }
    strcat(deep, "--b19\r\nContent-Type: text/plain\r\n\r\ndeep\r\n--b19--\r\n");
    parse(deep, &p);
    ok(p.problem != NULL && strstr(p.problem, "deep"), "multipart nested too deep");
    mail_parsed_free(&p);

    /* Thousands of header fields: bounded. */
    size_t cap = 200000, n = 0;
    char *bomb = malloc(cap);
    n += (size_t)snprintf(bomb, cap, "From: a@b.example\r\n");
    for (int i = 0; i < 5000 && n + 40 < cap; i++)
        n += (size_t)snprintf(bomb + n, cap - n, "X-H%d: v\r\n", i);
    snprintf(bomb + n, cap - n, "\r\nbody\r\n");
    parse(bomb, &p);
    ok(strcmp(p.text, "body") == 0, "a head of 5000 fields is read up to its bound");
    mail_parsed_free(&p);
    free(bomb);

    /* Random bytes: never a crash, always a message id. */
    int fine = 1;
    for (int i = 0; i < 2000; i++) {
        unsigned char junk[512];
        randombytes_buf(junk, sizeof(junk));
        if (i % 2)
            memcpy(junk, "Content-Type: multipart/x; boundary=a\r\n\r\n--a\r\n", 47);
        mail_parse((const char *)junk, sizeof(junk), &p);
        fine &= p.message_id != NULL && p.text != NULL;
        mail_parsed_free(&p);
    }
    ok(fine, "random bytes parse without harm");
}

static void
test_strip(void)
{
    char *s = mail_strip_quoted("Yes.\r\n\r\nOn Mon, 1 Dec 2026, Support wrote:\r\n> question\r\n");
    ok(strcmp(s, "Yes.") == 0, "the attribution and the quote are cut");
    free(s);
    s = mail_strip_quoted("Ja.\nDen 1. des. 2026 skrev Kundeservice:\n> spørsmål\n");
    ok(strcmp(s, "Ja.") == 0, "a Norwegian attribution too");
    free(s);
    s = mail_strip_quoted("Fixed now\n-- \nKåre\n555 1234\n");
    ok(strcmp(s, "Fixed now") == 0, "the signature is cut");
    free(s);
    s = mail_strip_quoted("See below\r\n-----Original Message-----\r\nFrom: support\r\n");
    ok(strcmp(s, "See below") == 0, "an Original Message block is cut");
    free(s);
    s = mail_strip_quoted("\n\n  \n> all quoted\n");
    ok(strcmp(s, "") == 0, "a reply of nothing but quotes is empty");
    free(s);
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_subjects();
    test_compose();
    test_parse();
    test_strip();
    return done_testing();
}

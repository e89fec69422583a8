/*
 * fuzz_mail: messages as the mailbox gives them to mail_in.c. Whatever the
 * bytes, the parser answers: a Message-ID, a sender and a subject on one line,
 * text, addresses and ids that are UTF-8 (Jansson takes them as strings, as
 * the triage queue and the ticket's note will), and a subject that mail_out.c encodes and
 * mail_in.c decodes back to itself.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "mail_in.h"
#include "mail_out.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mail_parsed m;
    mail_parse((const char *)data, size, &m);
    FUZZ_ASSERT(m.message_id != NULL && m.from != NULL && m.subject != NULL && m.text != NULL);
    for (const char *p = m.subject; *p; p++)
        FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
    json_t *s = json_string(m.text);
    FUZZ_ASSERT(s != NULL);
    json_decref(s);
    s = json_pack("{s:s, s:s, s:s, s:s}", "subject", m.subject, "from", m.from, "message_id",
                  m.message_id, "refs", m.refs);
    FUZZ_ASSERT(s != NULL);
    json_decref(s);
    for (size_t i = 0; i < m.nto; i++) {
        s = json_string(m.to[i]);
        FUZZ_ASSERT(s != NULL);
        json_decref(s);
    }
    char *enc = mail_encode_subject(m.subject);
    char *dec = mail_decode_words(enc);
    FUZZ_ASSERT(strcmp(dec, m.subject) == 0);
    free(enc);
    free(dec);
    mail_parsed_free(&m);
    return 0;
}

/*
 * fuzz_attach: what attach.c judges of an upload a client sent: its
 * content's type (attach_sniff), the type it declared (Content-Type) and
 * its file name (?name=). A type found is what the bytes begin with (or
 * text that is valid UTF-8 without a control character but tab and line
 * ends); a name taken is valid UTF-8, 1-128 bytes, with nothing that could
 * break out of a header's quoted string or a path.
 */
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int type = attach_sniff(data, size);
    FUZZ_ASSERT(type >= -1 && type < ATTACH_TYPE_COUNT);
    if (type == ATTACH_PNG)
        FUZZ_ASSERT(size >= 8 && memcmp(data, "\x89PNG", 4) == 0);
    if (type == ATTACH_JPEG)
        FUZZ_ASSERT(size >= 3 && data[0] == 0xff && data[1] == 0xd8);
    if (type == ATTACH_PDF)
        FUZZ_ASSERT(size >= 5 && memcmp(data, "%PDF-", 5) == 0);
    if (type == ATTACH_TEXT) {
        FUZZ_ASSERT(size > 0 && memchr(data, 0, size) == NULL);
        char *s = malloc(size + 1);
        memcpy(s, data, size);
        s[size] = '\0';
        json_t *j = json_string(s); /* Jansson takes only valid UTF-8 */
        FUZZ_ASSERT(j != NULL);
        json_decref(j);
        free(s);
    }
    /* the same bytes as a header's value and a query argument (NUL-terminated, as MHD gives) */
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    int declared = attach_type_declared(s);
    FUZZ_ASSERT(declared >= -1 && declared <= ATTACH_TYPE_COUNT);
    if (attach_filename_valid(s)) {
        size_t n = strlen(s);
        FUZZ_ASSERT(n >= 1 && n <= 128 && strpbrk(s, "/\\\"\r\n") == NULL);
        json_t *j = json_string(s);
        FUZZ_ASSERT(j != NULL);
        json_decref(j);
        for (size_t i = 0; i < n; i++)
            FUZZ_ASSERT((unsigned char)s[i] >= 0x20 && s[i] != 0x7f); /* no control at all */
    }
    if (attach_name_valid(s))
        FUZZ_ASSERT(strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64);
    free(s);
    return 0;
}

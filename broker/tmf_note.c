/*
 * tmf_note.c: the stamp of a TMF621 note (tmf_note.h). Nothing else of TMF.
 */
#include <stdlib.h>

#include "tmf_note.h"

void
tmf_notes_stamp(json_t *notes, const struct principal *who, const char *at)
{
    json_t *n;
    size_t i;
    char *author = xasprintf("%s:%s", auth_role_name(who->role), who->subject);
    json_array_foreach(notes, i, n)
    {
        json_object_set_new(n, "author", json_string(author));
        json_object_set_new(n, "date", json_string(at));
    }
    free(author);
}

void
tmf_note_stamp(json_t *note, const struct principal *who, const char *at)
{
    char *author = xasprintf("%s:%s", auth_role_name(who->role), who->subject);
    json_object_set_new(note, "author", json_string(author));
    json_object_set_new(note, "date", json_string(at));
    free(author);
}

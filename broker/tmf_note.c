/*
 * tmf_note.c: the stamp of a TMF621 note and a severity's priority
 * (tmf_note.h). Nothing else of TMF.
 */
#include <stdlib.h>
#include <strings.h>

#include "config.h"
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

int
tmf_priority_of_severity(const char *sev)
{
    if (sev == NULL)
        return -1;
    if (!strcasecmp(sev, "critical") || !strcasecmp(sev, "urgent"))
        return PRIO_URGENT;
    if (!strcasecmp(sev, "high") || !strcasecmp(sev, "major"))
        return PRIO_HIGH;
    if (!strcasecmp(sev, "medium") || !strcasecmp(sev, "normal"))
        return PRIO_NORMAL;
    if (!strcasecmp(sev, "low") || !strcasecmp(sev, "minor"))
        return PRIO_LOW;
    return -1;
}

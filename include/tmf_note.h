/*
 * tmf_note.h: the author and date seam gives a TMF621 note, and the
 * priority of a TroubleTicket severity. Apart from the rest of the TMF face
 * (tmf.h) because the ticket module stamps the notes of a change before
 * signing its event and re-prioritises a ticket on a severity change, and
 * tmf.h itself needs ticket.h.
 */
#ifndef SEAM_TMF_NOTE_H
#define SEAM_TMF_NOTE_H

#include <jansson.h>

#include "auth.h"

/*
 * Stamps each note of the array (nothing if notes is NULL) with the author
 * seam knows, "<role>:<subject>" of the authenticated principal (the
 * event's actor), and the date of the change: a client's claim of either is
 * never kept.
 */
void tmf_notes_stamp(json_t *notes, const struct principal *who, const char *at);
/* One note, as tmf_notes_stamp does each. */
void tmf_note_stamp(json_t *note, const struct principal *who, const char *at);

/* A TroubleTicket severity's priority (enum priority): Critical/Urgent ->
 * urgent, High/Major -> high, Medium/Normal -> normal, Low/Minor -> low, in
 * any case; -1 for any other value (refused: 400). */
int tmf_priority_of_severity(const char *sev);

#endif

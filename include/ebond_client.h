/*
 * ebond_client.h: the thread that registers seam's hub listener at each
 * tmf621 partner's system, or polls its TroubleTickets (see ebond_client.c).
 */
#ifndef SEAM_EBOND_CLIENT_H
#define SEAM_EBOND_CLIENT_H

#include "server.h"

/* Starts the thread when a partner's delivery is tmf621; curl_global_init must have run. */
void ebond_client_start(struct server *srv);
/* Stops it, before the store's writer stops (it waits for its jobs' commits). */
void ebond_client_stop(void);

#endif

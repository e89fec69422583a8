/*
 * witness_client.h: the broker's side of C2SP tlog-witness. A thread
 * submits the latest signed checkpoint to each configured witness with a
 * consistency proof from the size that witness last cosigned, keeps each
 * valid cosignature, logs and counts every refusal, and stores the latest
 * checkpoint that a quorum cosigned with their cosignatures (the store,
 * evlog.h), which /v1/audit/checkpoint and the evidence exports serve and
 * from which each witness's state starts again after a restart.
 */
#ifndef SEAM_WITNESS_CLIENT_H
#define SEAM_WITNESS_CLIENT_H

#include <jansson.h>

#include "server.h"

/* Starts the thread if the configuration names witnesses; stop with witness_client_stop. */
void witness_client_start(struct server *srv);
void witness_client_stop(void);

/*
 * The latest checkpoint note cosigned by at least the quorum, with those
 * cosignatures appended (malloc'd), or NULL; and, per witness, its state
 * ({"name","cosigned_size","refusals","last_error"}) as a new JSON array.
 */
char *witness_client_cosigned(void);
json_t *witness_client_status(void);

/* Prometheus lines of the witnesses (malloc'd; "" without witnesses). */
char *witness_client_metrics(uint64_t tree_size);

#endif

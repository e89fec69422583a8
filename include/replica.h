/*
 * replica.h: the nodes of one federation over a NATS JetStream stream
 * ($.replication, docs/operations.md "Replication").
 *
 * The stream is the source of truth: each of its messages is one batch of the
 * leader's writer (the write set, store.h), and a node's store is what it has
 * applied of it, with the last sequence applied (store_log_seq). The leader's
 * writer appends each batch with the stream's expected last sequence set to
 * its own (Nats-Expected-Last-Sequence), and commits only once the stream has
 * acknowledged it: a node whose store is behind the stream cannot append.
 * The other nodes (standbys) follow the stream in order and apply each batch;
 * they serve reads and send writes to the leader (http.c: 307, or 503).
 *
 * The stream's first message (seamctl replication init) is an empty batch:
 * every batch a broker appends then names an expected sequence of at least 1,
 * which the server checks (it does not check 0).
 */
#ifndef SEAM_REPLICA_H
#define SEAM_REPLICA_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct config_replication;
struct store;
struct replica;

/* Connects to the stream's servers (which must hold the stream). */
enum seam_err replica_open(const struct config_replication *rc, struct replica **out) SEAM_WUR;
/* Stops following, then closes. NULL is a no-op. */
void replica_close(struct replica *r);
/*
 * Which node leads is the lease's: an entry of the stream's key-value bucket
 * ("<stream>-lease", key "leader": the node's name and address), updated by
 * revision. replica_decide, once the store is at the stream's end: this node
 * leads if the lease names it (it took it over, or held it before a restart no
 * one else used) and it renews it, or if there is none and the configuration
 * names it ($.replication.leader); else it is a standby. SEAM_EUNAVAIL if the
 * lease cannot be read.
 */
enum seam_err replica_decide(struct replica *r) SEAM_WUR;
/* 1 if this node leads (replica_decide's answer, for the process's life). */
int replica_leads(const struct replica *r);
/*
 * The lease's thread: the leader renews it every third of lease_ms (and its
 * appends stop once its last renewal is two thirds of lease_ms old); a
 * standby that sees it unchanged for lease_ms brings its store to the
 * stream's end and takes it. Either change of role calls restart(why), which
 * asks for the process to start again (its role is decided at its start; main
 * does it, unless a stop comes first), and the thread ends.
 */
enum seam_err replica_lease_start(struct replica *r, struct store *s,
                                  void (*restart)(const char *why)) SEAM_WUR;
/* Brings the store to the stream's end: every batch after its sequence, in order. */
enum seam_err replica_catch_up(struct replica *r, struct store *s) SEAM_WUR;
/* The leader's: its writer appends through the stream (store_writer_log). */
void replica_attach(struct replica *r, struct store *s);
/*
 * seamctl's writes (store_write_logged) in a replicated federation: each goes
 * through the stream as a batch of its own, fenced by the sequence the store
 * holds like the leader's, without the lease (a tool writes once, on a store
 * brought to the stream's end first; a leader's batch under way at that
 * moment finds the stream moved and is answered 503).
 */
void replica_attach_tool(struct replica *r, struct store *s);
/* This node's address as clients reach it, which the leader's batches carry (Seam-Url). */
void replica_set_url(struct replica *r, const char *url);
/* A standby's: a thread that applies the stream's batches as they come. */
enum seam_err replica_follow_start(struct replica *r, struct store *s) SEAM_WUR;
/*
 * Called after each batch of the stream this node applies to its store (a
 * standby's, or a catch-up's), with the batch's write set (store.h): so that
 * what waits on a commit (long-polls) hears of the batch. Set before
 * replica_catch_up or replica_follow_start.
 */
typedef void (*replica_applied_fn)(void *ctx, const void *ws, size_t len);
void replica_on_apply(struct replica *r, replica_applied_fn fn, void *ctx);

/* What a node knows, for the headers of its answers and seamctl. Any thread. */
struct replica_state {
    int leads;
    uint64_t applied;     /* the stream's sequence this store holds */
    uint64_t last;        /* the stream's last sequence, as last seen (a standby's) */
    char leader[72];      /* the leader's name */
    char leader_url[256]; /* its address, from the last batch applied ("" if not known) */
};
void replica_state(struct replica *r, struct replica_state *out);

/*
 * seamctl replication init: creates the stream (its replicas, subject and
 * retention from rc) and appends its first, empty batch. An existing stream
 * is left as it is (*created 0). On failure *why says why (free it).
 */
enum seam_err replica_stream_init(const struct config_replication *rc, int *created,
                                  char **why) SEAM_WUR;
/* The lease's holder and its address; SEAM_ENOTFOUND if there is none. */
enum seam_err replica_lease_holder(struct replica *r, char *holder, size_t hcap, char *url,
                                   size_t ucap) SEAM_WUR;
/* The stream's first and last sequences and its messages. */
enum seam_err replica_stream_state(struct replica *r, uint64_t *first, uint64_t *last,
                                   uint64_t *msgs) SEAM_WUR;

#endif

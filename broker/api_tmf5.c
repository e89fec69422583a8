/*
 * api_tmf5.c: the TMF621 v5 face under /tmf-api/troubleTicketManagement/v5,
 * beside v4 and over the same tickets: v4's handlers (api_tmf.c) with v5's
 * shapes (tmf.h, "TMF621 v5") in and out. DELETE of a ticket or a listener is v4's.
 */
#include "api.h"
#include "tmf.h"

void
api_tmf5_list(struct req *r)
{
    api_tmf_list_version(r, 1);
}

void
api_tmf5_create(struct req *r)
{
    api_tmf_create_version(r, 1);
}

void
api_tmf5_get(struct req *r)
{
    api_tmf_get_version(r, 1);
}

void
api_tmf5_patch(struct req *r)
{
    api_tmf_patch_version(r, 1);
}

void
api_tmf5_hub_add(struct req *r)
{
    api_tmf_hub_add_version(r, 1);
}

/* GET /hub/{id} (v5's hubGet): a listener as registered, in v5's shape. */
void
api_tmf5_hub_get(struct req *r)
{
    struct store_txn *t;
    json_t *hub = NULL;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc == SEAM_OK) {
        rc = tmf_hub_get(t, http_param(r, 0), 5, &hub);
        store_read_end(t);
    }
    if (rc == SEAM_ENOTFOUND)
        http_error(r, E_NOT_FOUND, "no such listener", NULL);
    else if (rc != SEAM_OK)
        http_error_from(r, rc, "hub");
    else
        http_reply(r, 200, hub);
}

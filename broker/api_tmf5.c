/*
 * api_tmf5.c: the TMF621 v5 face under /tmf-api/troubleTicketManagement/v5,
 * beside v4 and over the same tickets: v4's handlers (api_tmf.c) with v5's
 * shapes (tmf.h, "TMF621 v5") in and out. DELETE of a ticket or a listener is v4's.
 */
#include "api.h"

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

/*
 * errors.c: the one table of client-visible errors: status, code and a
 * default message. Handlers pick an enum; http_error() renders it.
 */
#include "errors.h"

static const struct {
    int status;
    const char *code;
    const char *message;
} table[E_COUNT] = {
    [E_BAD_JSON] = {400, "bad_json", "the body is not valid JSON"},
    [E_TOO_DEEP] = {400, "too_deep", "the body nests arrays and objects too deep"},
    [E_INVALID_FIELD] = {400, "invalid_field", "a field has a wrong type or value"},
    [E_MISSING_FIELD] = {400, "missing_field", "a required field is missing"},
    [E_UNKNOWN_FIELD] = {400, "unknown_field", "the body has a field this endpoint does not take"},
    [E_BAD_PARAMETER] = {400, "invalid_parameter", "a query parameter is wrong"},
    [E_BAD_FRAMING] = {400, "bad_framing",
                       "the body's length is ambiguous: one Content-Length, or Transfer-Encoding: "
                       "chunked alone"},
    [E_BAD_HEADER] = {400, "bad_header", "the request head is malformed"},
    [E_UNAUTHORIZED] = {401, "unauthorized", "a valid bearer token is required"},
    [E_FORBIDDEN] = {403, "forbidden", "not served to this client"},
    [E_NOT_FOUND] = {404, "not_found", "no such resource"},
    [E_METHOD] = {405, "method_not_allowed", "this method is not allowed here"},
    [E_CONFLICT] = {409, "conflict", "the ticket's state does not allow this"},
    [E_TOO_LARGE] = {413, "body_too_large", "the body exceeds this endpoint's limit"},
    [E_MEDIA_TYPE] = {415, "unsupported_media_type", "the body must be application/json"},
    [E_RATE_LIMITED] = {429, "rate_limited", "too many requests"},
    [E_SIGNED_LIMIT] = {429, "signed_requests_limit",
                        "too many signed requests within the replay window; retry later"},
    [E_INTERNAL] = {500, "internal", "internal error"},
    [E_UNAVAILABLE] = {503, "unavailable", "the broker is busy; retry later"},
    [E_STORAGE_FULL] = {503, "storage_full", "the broker cannot store more now; retry later"},
    [E_TICKET_FULL] = {409, "ticket_full",
                       "the ticket holds as much as it may; file a new complaint"},
    [E_RECORD_TOO_LARGE] = {413, "record_too_large",
                            "the ticket's record would grow past its size limit"},
    [E_SIGNIN_FAILED] = {401, "signin_failed", "unknown user, wrong password or wrong code"},
    [E_CSRF] = {403, "csrf",
                "a request that changes something with a session cookie needs its X-CSRF-Token "
                "header and a matching Origin"},
    [E_SIGNIN_LOCKED] = {429, "signin_locked",
                         "too many failed sign-ins for this account or address; retry later"},
    [E_LINK_INVALID] = {400, "link_invalid", "the link is unknown, used already or expired"},
    [E_EXISTS] = {409, "exists", "a user of this id exists already"},
    [E_UNKNOWN_PARAM] = {400, "unknown_parameter",
                         "the query has a parameter this endpoint does not take"},
    [E_ADDRESS_TAKEN] = {409, "address_taken", "the mail address is another customer's"},
    [E_NOT_LEADER] = {503, "not_leader",
                      "this node does not take writes; send them to the federation's leader"},
};

int
api_error_status(enum api_error e)
{
    return e < E_COUNT ? table[e].status : 500;
}

const char *
api_error_code(enum api_error e)
{
    return e < E_COUNT ? table[e].code : "internal";
}

const char *
api_error_message(enum api_error e)
{
    return e < E_COUNT ? table[e].message : "internal error";
}

/*
 * errors.h: every error a client can see, in one table (broker/errors.c):
 * enum -> HTTP status -> code string, like httpd's server_httperror_byid.
 */
#ifndef SEAM_ERRORS_H
#define SEAM_ERRORS_H

enum api_error {
    E_BAD_JSON,         /* 400 body is not JSON */
    E_TOO_DEEP,         /* 400 the body nests deeper than limits.max_json_depth */
    E_INVALID_FIELD,    /* 400 a field has a wrong type or value */
    E_MISSING_FIELD,    /* 400 a required field is absent */
    E_UNKNOWN_FIELD,    /* 400 a field the endpoint does not take */
    E_BAD_PARAMETER,    /* 400 a query parameter is wrong */
    E_BAD_FRAMING,      /* 400 ambiguous body framing (Content-Length, Transfer-Encoding) */
    E_BAD_HEADER,       /* 400 a malformed request head (Host, names, folding, line ends) */
    E_UNAUTHORIZED,     /* 401 no, malformed, unknown or revoked token */
    E_FORBIDDEN,        /* 403 not served to this client (metrics outside metrics.allow) */
    E_NOT_FOUND,        /* 404 unknown, or not the caller's */
    E_METHOD,           /* 405 */
    E_CONFLICT,         /* 409 the state machine forbids it */
    E_TOO_LARGE,        /* 413 */
    E_MEDIA_TYPE,       /* 415 not application/json */
    E_RATE_LIMITED,     /* 429 */
    E_SIGNED_LIMIT,     /* 429 a partner's signed requests in the replay window at their bound */
    E_INTERNAL,         /* 500: details only in the log */
    E_UNAVAILABLE,      /* 503 writer queue full or shutting down */
    E_STORAGE_FULL,     /* 503 the store cannot take writes now */
    E_TICKET_FULL,      /* 409 the ticket holds as many notes, events or attachments as it may */
    E_RECORD_TOO_LARGE, /* 413 the ticket's record would grow past limits.max_record_bytes */
    E_UNKNOWN_PARAM,    /* 400 a query parameter (a filter) the endpoint does not take */
    E_ADDRESS_TAKEN,    /* 409 the mail address is another customer's */
    E_SIGNIN_FAILED,    /* 401 unknown user, wrong password or TOTP code (never which) */
    E_CSRF,             /* 403 a session's state-changing request without its CSRF token/Origin */
    E_SIGNIN_LOCKED,    /* 429 too many failed sign-ins for the account or the address */
    E_LINK_INVALID,     /* 400 an invitation or reset link unknown, used or expired */
    E_EXISTS,           /* 409 the id is taken already */
    E_NOT_LEADER, /* 503 a standby ($.replication) does not take writes; the leader's unknown */
    E_COUNT
};

int api_error_status(enum api_error e);
const char *api_error_code(enum api_error e);
const char *api_error_message(enum api_error e);

#endif

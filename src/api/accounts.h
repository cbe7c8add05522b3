/* accounts: what the account handlers (auth_sessions.c, auth_users.c, auth_2fa.c,
 * api_tokens.c, org_2fa.c) share with each other and with common.c and members.c —
 * session-cookie authentication with its CSRF check, starting and ending a browser session,
 * the second factor check, the organization 2FA gate and invitation links. */
#ifndef SNAG_API_ACCOUNTS_H
#define SNAG_API_ACCOUNTS_H

#include "api/api.h"

/* The outcome of one way of authenticating a request. */
enum api_auth_outcome { AUTH_OK, AUTH_NONE, AUTH_BAD, AUTH_ANSWERED };

/* Authenticates by the snag_session cookie: AUTH_NONE without one, or when it names no
 * signed-in session (expired, signed out, or still waiting for its second factor). On a
 * write (POST, PUT, PATCH, DELETE) the X-CSRFToken header must carry the session's token:
 * else 403 and AUTH_ANSWERED. On AUTH_OK p holds the user, every scope and the session id. */
enum api_auth_outcome api_auth_session(struct http_request *req, struct app *app,
                                       struct api_principal *p);

/* The session named by the cookie, pending or not (for the second sign-in step and
 * sign-out): sid gets the id (arena), s and u the rows. False when there is none (E_NOTFOUND
 * in *e) or the store failed (*e). */
bool api_session_from_cookie(struct http_request *req, struct app *app, const char **sid,
                             struct store_session *s, struct store_user *u, enum err *e);
/* True when the request carries the CSRF token of session sid; else answers 403. */
bool api_csrf_check(struct http_request *req, struct app *app, const char *sid);

/* Starts a session for user (pending_2fa: only the second step may use it), sets the
 * snag_session and snag_csrf cookies and returns the CSRF token (arena), or NULL after
 * answering with the error. */
const char *api_session_start(struct http_request *req, struct app *app, int64_t user_id,
                              bool pending_2fa);
/* Sets both cookies to expire now. */
void api_session_clear_cookies(struct http_request *req, struct app *app);
/* Answers 200 {"user", "csrfToken", "twoFactorRequired": false} after a full sign-in. */
void api_session_respond(struct http_request *req, int status, const struct store_user *u,
                         const char *csrf);

/* Checks body's "code" (a TOTP code) or "recoveryCode" for the user and consumes it: E_OK,
 * E_AUTH (wrong, malformed, replayed or used up), E_NOTFOUND (2FA not enabled) or a store
 * error. */
enum err api_second_factor(struct app *app, struct arena *a, int64_t user_id, const cJSON *body);

/* 403 (and false) when the org requires two-factor authentication and the caller has not
 * enabled it. */
bool api_org_2fa_gate(struct http_request *req, struct app *app, const struct api_principal *p,
                      int64_t org_id);

/* PUT /api/0/organizations/{org}/'s "require2FA" (organizations.c): the check (400 when not
 * a boolean, 403 unless an owner, 400 when turning it on without 2FA oneself) before
 * anything is written, then the write (when present) and the resulting flag. */
bool api_org_check_2fa(struct http_request *req, struct app *app, const struct api_principal *p,
                       const char *role, const cJSON *body);
bool api_org_apply_2fa(struct http_request *req, struct app *app, const struct api_principal *p,
                       int64_t org_id, const cJSON *body, bool *required);

/* Throttling of failed password or code checks, keyed by client ip and email: true (after
 * answering 429 with Retry-After) when the client must wait. */
bool api_throttled(struct http_request *req, struct app *app, const char *email);
void api_throttle_fail(struct http_request *req, struct app *app, const char *email);
void api_throttle_success(struct http_request *req, struct app *app, const char *email);

/* The pending invitation an invitation link names: id_s its member id as text, token the
 * link's secret, compared with the stored hash in constant time; with email (NULL: any), the
 * invited address must be it, in any letter case. Every miss counts against the throttle
 * under "invite:" + id_s. E_OK with inv filled; E_NOTFOUND for no such pending invitation,
 * a wrong token or address (nothing answered); E_FORBIDDEN after answering 429; other store
 * errors (nothing answered). */
enum err api_invitation_find(struct http_request *req, struct app *app, const char *id_s,
                             const char *token, const char *email,
                             struct store_invitation *inv) WUR;
/* The throttle's "success" for the link (after using it). */
void api_invitation_used(struct http_request *req, struct app *app, const char *id_s);

#endif

/* tokens: API bearer tokens. A token is 64 random hex digits shown once; only its SHA-256
 * is stored, so a database leak does not leak usable tokens. */
#ifndef SNAG_AUTH_TOKENS_H
#define SNAG_AUTH_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

#define TOKEN_LEN 64
#define TOKEN_HASH_LEN 64

/* Scopes a token created from the command line carries (everything). */
#define TOKEN_ALL_SCOPES                                                                           \
    "org:read org:write org:admin member:read member:write member:admin team:read team:write "     \
    "team:admin project:read project:write project:admin project:releases event:read "             \
    "event:write event:admin"

void token_generate(char out[TOKEN_LEN + 1]);
/* Hex SHA-256 of the token text. */
void token_hash(const char *token, size_t len, char out[TOKEN_HASH_LEN + 1]);
/* Whether two hex hashes (token_hash()'s form) are equal, in time that does not depend on
 * where they differ; false when either is NULL or not TOKEN_HASH_LEN long. */
bool token_hash_equal(const char *a, const char *b);
/* Extracts the token from an "Authorization: Bearer …" (or "Token …") header value;
 * returns false if the header is of another kind. */
bool token_from_header(const char *header, const char **tok, size_t *len);

#endif

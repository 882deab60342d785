/*
 * Internals shared by the files of the token module (token.c,
 * token-auth.c, token-hash.c); not installed, not for other modules:
 * they use token.h.
 */
#ifndef SCIM_TOKEN_INT_H
#define SCIM_TOKEN_INT_H

#include <stdint.h>

#include <nettle/sha2.h>

/* SHA-256 of the string s into digest (SHA256_DIGEST_SIZE bytes). */
void		 token_sha256(const char *s, uint8_t *digest);

#endif /* SCIM_TOKEN_INT_H */

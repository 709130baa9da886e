// The node key as a TLS 1.3 identity. Each node presents a self-signed X.509
// certificate of its Ed25519 key; the handshake's CertificateVerify is a signature by
// that key, so a completed mutual handshake proves the peer holds the key its
// certificate names. Who may connect is then decided by the key alone (validator set or
// allowed observers), not by any certificate authority.
#pragma once

#include "crypto/ed25519.h"
#include "crypto/status.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace cairn::crypto {

// Installs a fresh self-signed certificate of `key` and the key itself in `ctx`, limits
// it to TLS 1.3, and requires a certificate from the peer (checked by TlsPeerKey after
// the handshake, not against any CA).
Status UseAsTlsIdentity(const PrivateKey& key, SSL_CTX* ctx);

// The Ed25519 key of the peer's certificate on a connection whose handshake finished.
Result<PublicKey> TlsPeerKey(SSL* ssl);

}  // namespace cairn::crypto

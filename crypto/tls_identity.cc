#include "crypto/tls_identity.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>

namespace cairn::crypto {

namespace {

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

std::string OpenSslError(const char* what) {
  char buffer[256];
  ERR_error_string_n(ERR_get_error(), buffer, sizeof(buffer));
  return std::string(what) + ": " + buffer;
}

// Certificates carry no meaning here beyond the key, so the validity window is wide
// (a node with a wrong clock must still connect) and the name is the key's prefix.
constexpr long kValidFromSeconds = -24L * 3600;
constexpr long kValidForSeconds = 100L * 365 * 24 * 3600;

Result<X509Ptr> SelfSignedCertificate(EVP_PKEY* pkey, const PublicKey& public_key) {
  X509Ptr cert(X509_new());
  if (!cert) return Status::Internal(OpenSslError("X509_new"));
  const std::string common_name = "cairn-node-" + public_key.hex().substr(0, 16);
  X509_NAME* name = X509_get_subject_name(cert.get());
  bool ok = X509_set_version(cert.get(), 2) == 1 && ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), kValidFromSeconds) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValidForSeconds) != nullptr &&
            X509_set_pubkey(cert.get(), pkey) == 1 &&
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) == 1 &&
            X509_set_issuer_name(cert.get(), name) == 1 &&
            X509_sign(cert.get(), pkey, nullptr) > 0;  // Ed25519 signs without a digest
  if (!ok) return Status::Internal(OpenSslError("self-signed certificate"));
  return cert;
}

// Any certificate passes the chain check; the key is what TlsPeerKey and the transport
// judge. (OpenSSL would otherwise refuse every self-signed certificate.)
int AcceptAnyChain(int /*preverified*/, X509_STORE_CTX* /*ctx*/) { return 1; }

}  // namespace

Status UseAsTlsIdentity(const PrivateKey& key, SSL_CTX* ctx) {
  CAIRN_ASSIGN_OR_RETURN(X509Ptr cert, SelfSignedCertificate(key.pkey_, key.public_key()));
  if (SSL_CTX_use_certificate(ctx, cert.get()) != 1) return Status::Internal(OpenSslError("use certificate"));
  if (SSL_CTX_use_PrivateKey(ctx, key.pkey_) != 1) return Status::Internal(OpenSslError("use private key"));
  if (SSL_CTX_check_private_key(ctx) != 1) return Status::Internal(OpenSslError("key and certificate differ"));
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) return Status::Internal(OpenSslError("TLS 1.3 only"));
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, AcceptAnyChain);
  return Status::Ok();
}

Result<PublicKey> TlsPeerKey(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return Status::Unauthenticated("the peer presented no certificate");
  EVP_PKEY* pkey = X509_get0_pubkey(cert);
  if (pkey == nullptr || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) {
    return Status::Unauthenticated("the peer's certificate is not an Ed25519 key");
  }
  unsigned char raw[kPublicKeySize];
  size_t len = sizeof(raw);
  if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != kPublicKeySize) {
    return Status::Unauthenticated("the peer's key cannot be read");
  }
  return PublicKey::FromBytes(ByteView(reinterpret_cast<const char*>(raw), len));
}

}  // namespace cairn::crypto

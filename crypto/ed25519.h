// Ed25519 keys, signatures and key files, through OpenSSL's EVP interface.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "crypto/bytes.h"

typedef struct evp_pkey_st EVP_PKEY;
typedef struct ssl_ctx_st SSL_CTX;

namespace cairn::crypto {

constexpr size_t kPublicKeySize = 32;
constexpr size_t kSignatureSize = 64;
constexpr size_t kSeedSize = 32;

// A 32-byte Ed25519 public key. A plain value: cheap to copy and compare.
class PublicKey {
 public:
  // The all-zero key: nothing verifies under it. Exists so keys can sit in containers.
  PublicKey() = default;
  // Fails unless `bytes` is exactly 32 bytes. (Whether the point is on the curve is
  // only known at verification, which then fails.)
  static Result<PublicKey> FromBytes(ByteView bytes);
  static Result<PublicKey> FromHex(std::string_view hex);

  ByteView bytes() const { return ByteView(reinterpret_cast<const char*>(key_.data()), 32); }
  std::string hex() const { return ToHex(bytes()); }

  // True when `signature` is a valid signature of `message` under this key. Any
  // malformed input (wrong signature length, a key that is not a curve point) is
  // simply false.
  bool Verify(ByteView message, ByteView signature) const;

  friend bool operator==(const PublicKey&, const PublicKey&) = default;
  friend auto operator<=>(const PublicKey&, const PublicKey&) = default;

 private:
  std::array<uint8_t, kPublicKeySize> key_{};
};

// An Ed25519 private key. Move-only; the secret never leaves it except into a key file.
class PrivateKey;
Status UseAsTlsIdentity(const PrivateKey& key, SSL_CTX* ctx);

class PrivateKey {
 public:
  // A fresh key from OpenSSL's CSPRNG.
  static PrivateKey Generate();
  // A key from a 32-byte seed: deterministic, for tests and simulations only.
  static Result<PrivateKey> FromSeed(ByteView seed);
  // Reads a PEM (PKCS#8) Ed25519 key. Refuses a file that group or others can read,
  // because a validator key that leaked is a validator an attacker controls.
  static Result<PrivateKey> ReadFile(const std::string& path);

  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  ~PrivateKey();

  const PublicKey& public_key() const { return public_key_; }
  // The 64-byte signature of `message`.
  Bytes Sign(ByteView message) const;
  // Writes the key as PEM to a new file created with mode 0600. Refuses to overwrite
  // an existing file so that a key is never lost by accident.
  Status WriteFile(const std::string& path) const;

 private:
  // The TLS context holds the key inside OpenSSL (tls_identity.h).
  friend Status UseAsTlsIdentity(const PrivateKey& key, SSL_CTX* ctx);
  explicit PrivateKey(EVP_PKEY* pkey);
  EVP_PKEY* pkey_;
  PublicKey public_key_;
};

}  // namespace cairn::crypto

// Ed25519 keys, signatures and key files.
//
// The signature rule is a consensus rule: every node, the audit and every client must
// accept exactly the same signatures, so it is written down here and nowhere else.
// A signature (R, S) of message M under key A is valid when (RFC 8032 section 5.1.7,
// with the strict checks of libsodium's crypto_sign_verify_detached):
//   - A, R and S are 32 bytes each, A and R canonical encodings of curve points
//     (y < p), S a canonical scalar (S < L);
//   - neither A nor R is a point of small order (one of the eight points of order 1,
//     2, 4 or 8, in any encoding): under such a key anyone can sign anything (with
//     R = the identity and S = 0, for one), which OpenSSL's verify accepts;
//   - [S]B = R + [SHA-512(R || A || M)]A, checked without the cofactor.
// Keys are checked once more where they enter the chain or a config (PublicKey::
// FromBytes refuses a non-canonical or small-order key; ParseNewKey also wants a point
// of the prime-order subgroup), so a key that no signature can be made for, or
// that anyone can sign for, never becomes an account, a validator or a peer.
//
// Verification is libsodium's (the fastest Ed25519 verifier on the machines Cairn runs
// on, and strict); signing, key files (PEM, readable by the openssl tool) and TLS are
// OpenSSL's.
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
  // Fails unless `bytes` is exactly 32 bytes encoding y < p that is not one of the
  // small-order points: the rule verification applies to A, checked by comparing
  // bytes, so it is cheap enough for every transaction. (Whether the point is on the
  // curve is only known at verification, which then fails; ParseNewKey tells.)
  static Result<PublicKey> FromBytes(ByteView bytes);
  static Result<PublicKey> FromHex(std::string_view hex);

  ByteView bytes() const { return ByteView(reinterpret_cast<const char*>(key_.data()), 32); }
  std::string hex() const { return ToHex(bytes()); }

  // True when `signature` is a valid signature of `message` under this key by the rule
  // at the top of this file. Any malformed input (wrong signature length, a key that
  // is not a curve point) is simply false.
  bool Verify(ByteView message, ByteView signature) const;

  friend bool operator==(const PublicKey&, const PublicKey&) = default;
  friend auto operator<=>(const PublicKey&, const PublicKey&) = default;

 private:
  std::array<uint8_t, kPublicKeySize> key_{};
};

// For a key that enters the chain or a config (an account's, a validator's, a peer's):
// FromBytes's checks, and that the bytes decode to a point of the prime-order subgroup,
// as every key made from a secret does. It refuses keys nobody can sign for and
// mixed-order keys (a small-order point added to a real key), whose signatures some
// verifiers accept and others refuse. One scalar multiplication (about as much as a
// verification), so it runs where a key is registered, not for every signature.
Result<PublicKey> ParseNewKey(ByteView bytes);
Result<PublicKey> ParseNewKeyHex(std::string_view hex);

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
  // OpenSSL keeps the key for PEM files and TLS; signatures come from libsodium, which
  // signs 2.5x faster on this machine (16 us against 41 us: a validator signs every vote
  // and proposal on its consensus thread). Ed25519 signing is deterministic, so both
  // give the same bytes (signature_rule_test checks it).
  EVP_PKEY* pkey_;
  PublicKey public_key_;
  std::array<uint8_t, 64> sodium_secret_{};  // libsodium's form: the seed, then the public key
};

}  // namespace cairn::crypto

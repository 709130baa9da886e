#include "crypto/ed25519.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/check.h"
#include "crypto/secret_file.h"

namespace cairn::crypto {

namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};

// libsodium picks its implementations and seeds its generator in sodium_init, which
// must run before any other call; it is idempotent and thread-safe, and this runs it
// once per process.
void InitSodium() {
  static const bool initialised = sodium_init() >= 0;
  CAIRN_CHECK(initialised);
}

using Encoding = std::array<uint8_t, kPublicKeySize>;

// The y-coordinates (little-endian, the sign bit of x cleared) of the eight points of
// small order: the identity (y = 1), the point of order 2 (y = p - 1), the two of order
// 4 (y = 0) and the four of order 8 (two values of y, each with both signs of x).
// Comparing y alone covers every sign of x; non-canonical encodings (y >= p) are
// refused before, so y + p needs no entry. tests/support/forgery.cc derives the eight
// points by adding one of order 8 to itself, and tests/unit/signature_rule_test.cc
// checks that each, in both signs, is refused.
constexpr std::array<Encoding, 5> kSmallOrderY = {{
    {0x00},
    {0x01},
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
     0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
     0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
}};

// y (the low 255 bits) < p = 2^255 - 19. Only the values p .. 2^255 - 1 fail: bytes 1 to
// 30 all 0xff, byte 31 0x7f once the sign bit is cleared, byte 0 at least 0xed.
bool IsCanonicalY(const Encoding& y) {
  if ((y[31] & 0x7f) != 0x7f) return true;
  for (size_t i = 1; i < 31; ++i) {
    if (y[i] != 0xff) return true;
  }
  return y[0] < 0xed;
}

bool IsSmallOrder(Encoding y) {
  y[31] &= 0x7f;
  for (const Encoding& small : kSmallOrderY) {
    if (y == small) return true;
  }
  return false;
}

PublicKey PublicKeyOf(EVP_PKEY* pkey) {
  uint8_t raw[kPublicKeySize];
  size_t len = sizeof(raw);
  CAIRN_CHECK(EVP_PKEY_get_raw_public_key(pkey, raw, &len) == 1 && len == kPublicKeySize);
  return PublicKey::FromBytes(ByteView(reinterpret_cast<char*>(raw), len)).value();
}

}  // namespace

Result<PublicKey> PublicKey::FromBytes(ByteView bytes) {
  if (bytes.size() != kPublicKeySize) {
    return Status::InvalidArgument("public key must be 32 bytes, got " +
                                   std::to_string(bytes.size()));
  }
  PublicKey key;
  std::memcpy(key.key_.data(), bytes.data(), kPublicKeySize);
  if (!IsCanonicalY(key.key_)) {
    return Status::InvalidArgument("public key is not a canonical encoding (y is not below 2^255 - 19)");
  }
  if (IsSmallOrder(key.key_)) {
    return Status::InvalidArgument("public key is a point of small order, for which anyone can forge a signature");
  }
  return key;
}

Result<PublicKey> PublicKey::FromHex(std::string_view hex) {
  auto bytes = cairn::FromHex(hex);
  if (!bytes.ok()) return bytes.status().Annotate("public key");
  return FromBytes(*bytes);
}

bool PublicKey::Verify(ByteView message, ByteView signature) const {
  if (signature.size() != kSignatureSize) return false;
  InitSodium();
  return crypto_sign_verify_detached(reinterpret_cast<const uint8_t*>(signature.data()),
                                     reinterpret_cast<const uint8_t*>(message.data()), message.size(),
                                     key_.data()) == 0;
}

Result<PublicKey> ParseNewKey(ByteView bytes) {
  CAIRN_ASSIGN_OR_RETURN(PublicKey key, PublicKey::FromBytes(bytes));
  InitSodium();
  if (crypto_core_ed25519_is_valid_point(reinterpret_cast<const uint8_t*>(key.bytes().data())) != 1) {
    return Status::InvalidArgument(
        "public key is not a point of the curve's prime-order subgroup, so it is no Ed25519 key made from a secret");
  }
  return key;
}

Result<PublicKey> ParseNewKeyHex(std::string_view hex) {
  auto bytes = cairn::FromHex(hex);
  if (!bytes.ok()) return bytes.status().Annotate("public key");
  return ParseNewKey(*bytes);
}

PrivateKey::PrivateKey(EVP_PKEY* pkey) : pkey_(pkey), public_key_(PublicKeyOf(pkey)) {
  InitSodium();
  uint8_t seed[kSeedSize];
  size_t len = sizeof(seed);
  CAIRN_CHECK(EVP_PKEY_get_raw_private_key(pkey_, seed, &len) == 1 && len == kSeedSize);
  uint8_t public_key[crypto_sign_PUBLICKEYBYTES];
  CAIRN_CHECK(crypto_sign_seed_keypair(public_key, sodium_secret_.data(), seed) == 0);
  sodium_memzero(seed, sizeof(seed));
  CAIRN_CHECK(public_key_.bytes() == ByteView(reinterpret_cast<const char*>(public_key), sizeof(public_key)));
}

PrivateKey::PrivateKey(PrivateKey&& other) noexcept
    : pkey_(other.pkey_), public_key_(other.public_key_), sodium_secret_(other.sodium_secret_) {
  other.pkey_ = nullptr;
  sodium_memzero(other.sodium_secret_.data(), other.sodium_secret_.size());
}

PrivateKey& PrivateKey::operator=(PrivateKey&& other) noexcept {
  if (this != &other) {
    EVP_PKEY_free(pkey_);
    pkey_ = other.pkey_;
    public_key_ = other.public_key_;
    sodium_secret_ = other.sodium_secret_;
    other.pkey_ = nullptr;
    sodium_memzero(other.sodium_secret_.data(), other.sodium_secret_.size());
  }
  return *this;
}

PrivateKey::~PrivateKey() {
  EVP_PKEY_free(pkey_);
  sodium_memzero(sodium_secret_.data(), sodium_secret_.size());
}

PrivateKey PrivateKey::Generate() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  CAIRN_CHECK(pkey != nullptr);
  return PrivateKey(pkey);
}

Result<PrivateKey> PrivateKey::FromSeed(ByteView seed) {
  if (seed.size() != kSeedSize) {
    return Status::InvalidArgument("Ed25519 seed must be 32 bytes, got " +
                                   std::to_string(seed.size()));
  }
  EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const uint8_t*>(seed.data()), seed.size());
  if (pkey == nullptr) return Status::Internal("OpenSSL refused an Ed25519 seed");
  return PrivateKey(pkey);
}

Bytes PrivateKey::Sign(ByteView message) const {
  CAIRN_CHECK(pkey_ != nullptr);
  Bytes signature(kSignatureSize, '\0');
  CAIRN_CHECK(crypto_sign_detached(reinterpret_cast<uint8_t*>(signature.data()), nullptr,
                                   reinterpret_cast<const uint8_t*>(message.data()), message.size(),
                                   sodium_secret_.data()) == 0);
  return signature;
}

Status PrivateKey::WriteFile(const std::string& path) const {
  CAIRN_CHECK(pkey_ != nullptr);
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  CAIRN_CHECK(bio != nullptr);
  if (PEM_write_bio_PrivateKey(bio.get(), pkey_, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Status::Internal("OpenSSL could not encode the key as PEM");
  }
  char* pem = nullptr;
  long pem_len = BIO_get_mem_data(bio.get(), &pem);

  // O_EXCL: never overwrite a key. The mode is given at creation, so the secret is
  // never readable by others, not even for an instant.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::IoError("cannot create key file " + path + ": " + std::strerror(errno));
  }
  Status status;
  if (::fchmod(fd, 0600) != 0 || ::write(fd, pem, pem_len) != pem_len || ::fsync(fd) != 0) {
    status = Status::IoError("cannot write key file " + path + ": " + std::strerror(errno));
  }
  ::close(fd);
  return status;
}

Result<PrivateKey> PrivateKey::ReadFile(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(std::string pem, ReadSecretFile(path, "key file"));
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  CAIRN_CHECK(bio != nullptr);
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (pkey == nullptr) {
    return Status::InvalidArgument("key file " + path + " is not a PEM private key");
  }
  if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(pkey);
    return Status::InvalidArgument("key file " + path + " does not hold an Ed25519 key");
  }
  return PrivateKey(pkey);
}

}  // namespace cairn::crypto

#include "crypto/ed25519.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "crypto/check.h"

namespace cairn::crypto {

namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// Preparing a verification from 32 raw bytes (an EVP_PKEY, then a context initialised
// for it) costs OpenSSL 3 provider look-ups under process-wide locks, which threads
// verifying side by side contend for; a node verifies under the same keys again and
// again (the validators' on every block, active senders' on each transaction). So
// each thread keeps, per recent key, a context initialised once, and verifies with a
// copy of it.
constexpr size_t kMaxCachedKeys = 4096;

struct KeyBytesHash {
  size_t operator()(const std::array<uint8_t, kPublicKeySize>& key) const {
    size_t v;
    std::memcpy(&v, key.data(), sizeof(v));
    return v;
  }
};

using CtxPtr = std::unique_ptr<EVP_MD_CTX, CtxDeleter>;

// A context initialised for verifying under `key`, or null for bytes that are no key.
const EVP_MD_CTX* CachedVerifyContext(const std::array<uint8_t, kPublicKeySize>& key) {
  struct Entry {
    PkeyPtr pkey;
    CtxPtr ctx;
  };
  thread_local std::unordered_map<std::array<uint8_t, kPublicKeySize>, Entry, KeyBytesHash> cache;
  if (auto it = cache.find(key); it != cache.end()) return it->second.ctx.get();
  Entry entry{PkeyPtr(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size())),
              CtxPtr(EVP_MD_CTX_new())};
  if (!entry.pkey || !entry.ctx) return nullptr;
  if (EVP_DigestVerifyInit(entry.ctx.get(), nullptr, nullptr, nullptr, entry.pkey.get()) != 1) return nullptr;
  if (cache.size() >= kMaxCachedKeys) cache.clear();
  return cache.emplace(key, std::move(entry)).first->second.ctx.get();
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
  return key;
}

Result<PublicKey> PublicKey::FromHex(std::string_view hex) {
  auto bytes = cairn::FromHex(hex);
  if (!bytes.ok()) return bytes.status().Annotate("public key");
  return FromBytes(*bytes);
}

bool PublicKey::Verify(ByteView message, ByteView signature) const {
  if (signature.size() != kSignatureSize) return false;
  const EVP_MD_CTX* prepared = CachedVerifyContext(key_);
  if (prepared == nullptr) return false;
  thread_local CtxPtr ctx(EVP_MD_CTX_new());
  CAIRN_CHECK(ctx != nullptr);
  if (EVP_MD_CTX_copy_ex(ctx.get(), prepared) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const uint8_t*>(signature.data()),
                          signature.size(), reinterpret_cast<const uint8_t*>(message.data()),
                          message.size()) == 1;
}

PrivateKey::PrivateKey(EVP_PKEY* pkey) : pkey_(pkey), public_key_(PublicKeyOf(pkey)) {}

PrivateKey::PrivateKey(PrivateKey&& other) noexcept
    : pkey_(other.pkey_), public_key_(other.public_key_) {
  other.pkey_ = nullptr;
}

PrivateKey& PrivateKey::operator=(PrivateKey&& other) noexcept {
  if (this != &other) {
    EVP_PKEY_free(pkey_);
    pkey_ = other.pkey_;
    public_key_ = other.public_key_;
    other.pkey_ = nullptr;
  }
  return *this;
}

PrivateKey::~PrivateKey() { EVP_PKEY_free(pkey_); }

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
  std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  CAIRN_CHECK(ctx != nullptr);
  CAIRN_CHECK(EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_) == 1);
  Bytes signature(kSignatureSize, '\0');
  size_t len = signature.size();
  CAIRN_CHECK(EVP_DigestSign(ctx.get(), reinterpret_cast<uint8_t*>(signature.data()), &len,
                             reinterpret_cast<const uint8_t*>(message.data()),
                             message.size()) == 1);
  CAIRN_CHECK(len == kSignatureSize);
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
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Status::NotFound("cannot read key file " + path + ": " + std::strerror(errno));
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 0777));
    return Status::FailedPrecondition("key file " + path + " is readable by others (mode " +
                                      mode + "); run: chmod 600 " + path);
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  std::string pem = contents.str();
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

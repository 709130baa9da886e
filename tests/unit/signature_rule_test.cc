// The signature rule of crypto/ed25519.h, checked against the RFC's vectors, against
// OpenSSL on valid signatures, and on the edge cases where the two differ. OpenSSL is
// called directly here: the point is to compare Cairn with it.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>
#include <set>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"
#include "crypto/quorum.h"
#include "crypto/verifier.h"
#include "tests/support/forgery.h"
#include "tests/support/seed.h"
#include "tests/support/test_chain.h"

namespace cairn::crypto {
namespace {

Bytes Unhex(std::string_view hex) { return FromHex(hex).value(); }

// OpenSSL 3's Ed25519 verify, as Cairn's first wave called it.
bool OpenSslVerifies(ByteView key, ByteView message, ByteView signature) {
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                               reinterpret_cast<const uint8_t*>(key.data()), key.size());
  if (pkey == nullptr) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const uint8_t*>(signature.data()), signature.size(),
                             reinterpret_cast<const uint8_t*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok;
}

// OpenSSL 3's Ed25519 signature by the key of `seed`, as Cairn's first wave signed.
Bytes OpenSslSigns(ByteView seed, ByteView message) {
  EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                                reinterpret_cast<const uint8_t*>(seed.data()), seed.size());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Bytes signature(64, '\0');
  size_t len = signature.size();
  const bool ok = pkey != nullptr && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
                  EVP_DigestSign(ctx, reinterpret_cast<uint8_t*>(signature.data()), &len,
                                 reinterpret_cast<const uint8_t*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok && len == 64 ? signature : Bytes();
}

// Cairn's verdict: the key must parse, then verify.
bool CairnVerifies(ByteView key, ByteView message, ByteView signature) {
  auto parsed = PublicKey::FromBytes(key);
  return parsed.ok() && parsed->Verify(message, signature);
}

TEST(SignatureRule, EveryEncodingOfTheSmallOrderPointsIsRefused) {
  const std::vector<Bytes> points = test::SmallOrderKeys();
  EXPECT_EQ(std::set<Bytes>(points.begin(), points.end()).size(), 8u);
  for (const Bytes& p : points) {
    auto key = PublicKey::FromBytes(p);
    ASSERT_FALSE(key.ok()) << ToHex(p);
    EXPECT_NE(key.status().message().find("small order"), std::string::npos) << key.status().ToString();
    // The other sign of x (for the two points with x = 0, a non-canonical encoding).
    Bytes other_sign = p;
    other_sign[31] ^= static_cast<char>(0x80);
    EXPECT_FALSE(PublicKey::FromBytes(other_sign).ok()) << ToHex(other_sign);
  }
}

TEST(SignatureRule, NonCanonicalEncodingsAreRefused) {
  for (const Bytes& y : test::NonCanonicalKeys()) {
    auto key = PublicKey::FromBytes(y);
    ASSERT_FALSE(key.ok()) << ToHex(y);
    // y = p and y = p + 1 are the identity and the point of order 4 as well: either
    // reason is a refusal.
    EXPECT_TRUE(key.status().message().find("canonical") != std::string::npos ||
                key.status().message().find("small order") != std::string::npos)
        << key.status().ToString();
  }
  // Just below p: canonical (p - 1 is the point of order 2; p - 3 parses).
  Bytes below(32, '\xff');
  below[31] = '\x7f';
  below[0] = '\xea';
  EXPECT_TRUE(PublicKey::FromBytes(below).ok());
}

TEST(SignatureRule, NewKeysMustBePointsOfThePrimeOrderSubgroup) {
  const PrivateKey key = PrivateKey::Generate();
  EXPECT_TRUE(ParseNewKey(key.public_key().bytes()).ok());
  EXPECT_TRUE(ParseNewKeyHex(key.public_key().hex()).ok());
  // A real key plus a point of order 8: canonical and not of small order, so FromBytes
  // takes it, but no secret makes it.
  const Bytes mixed = test::MixedOrderKey(key.public_key());
  EXPECT_TRUE(PublicKey::FromBytes(mixed).ok());
  EXPECT_FALSE(ParseNewKey(mixed).ok());
  // y = 2 is not the y of any curve point.
  const Bytes off_curve = Bytes(1, '\x02') + Bytes(31, '\0');
  EXPECT_TRUE(PublicKey::FromBytes(off_curve).ok());
  auto refused = ParseNewKey(off_curve);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("prime-order subgroup"), std::string::npos);
  for (const Bytes& p : test::SmallOrderKeys()) EXPECT_FALSE(ParseNewKey(p).ok());
  for (const Bytes& p : test::NonCanonicalKeys()) EXPECT_FALSE(ParseNewKey(p).ok());
  EXPECT_FALSE(ParseNewKeyHex("zz").ok());
}

// RFC 8032, section 7.1, tests 1 to 3: our signing (OpenSSL) makes the RFC's
// signatures and our verification (libsodium) accepts them, and only them.
TEST(SignatureRule, Rfc8032Vectors) {
  struct Vector {
    const char* seed;
    const char* public_key;
    const char* message;
    const char* signature;
  };
  const Vector vectors[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
       "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e"
       "458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
      {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
       "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
       "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290"
       "ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
  };
  for (const Vector& v : vectors) {
    auto key = PrivateKey::FromSeed(Unhex(v.seed));
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(key->public_key().hex(), v.public_key);
    EXPECT_TRUE(ParseNewKeyHex(v.public_key).ok());
    const Bytes message = Unhex(v.message);
    EXPECT_EQ(ToHex(key->Sign(message)), v.signature);
    EXPECT_TRUE(key->public_key().Verify(message, Unhex(v.signature)));
    Bytes tampered = Unhex(v.signature);
    tampered[63] ^= 0x01;
    EXPECT_FALSE(key->public_key().Verify(message, tampered));
    EXPECT_FALSE(key->public_key().Verify(message + "x", Unhex(v.signature)));
  }
}

// On honest signatures the two libraries agree: they make the same signature (Cairn
// signs with libsodium, keys stay OpenSSL's), both accept it, both refuse it with one
// bit of message or signature changed.
TEST(SignatureRule, AgreesWithOpenSslOnRandomSignatures) {
  const uint64_t seed = test::TestSeed("SignatureRule.AgreesWithOpenSslOnRandomSignatures");
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 300; ++i) {
    Bytes key_seed(32, '\0');
    for (char& c : key_seed) c = static_cast<char>(rng());
    const PrivateKey key = PrivateKey::FromSeed(key_seed).value();
    Bytes message(rng() % 200, '\0');
    for (char& c : message) c = static_cast<char>(rng());
    const Bytes signature = key.Sign(message);
    ASSERT_EQ(ToHex(signature), ToHex(OpenSslSigns(key_seed, message))) << "seed " << seed << " i " << i;
    const Bytes public_key(key.public_key().bytes());
    ASSERT_TRUE(OpenSslVerifies(public_key, message, signature)) << "seed " << seed << " i " << i;
    ASSERT_TRUE(CairnVerifies(public_key, message, signature)) << "seed " << seed << " i " << i;
    Bytes bad_signature = signature;
    bad_signature[rng() % 64] ^= static_cast<char>(1 << (rng() % 8));
    Bytes bad_message = message + "x";
    EXPECT_FALSE(OpenSslVerifies(public_key, message, bad_signature));
    EXPECT_FALSE(CairnVerifies(public_key, message, bad_signature));
    EXPECT_FALSE(OpenSslVerifies(public_key, bad_message, signature));
    EXPECT_FALSE(CairnVerifies(public_key, bad_message, signature));
  }
}

// What OpenSSL accepts and the strict rule refuses: each is a signature no key holder
// made, or one that some verifiers accept and others do not.
TEST(SignatureRule, EdgeCasesOpenSslAcceptsAndCairnRefuses) {
  const Bytes forgery = test::ForgedSignature();  // R = identity, S = 0

  // 1. Key = the identity: [0]B = identity + [k]identity for every message.
  EXPECT_TRUE(OpenSslVerifies(test::IdentityKey(), "pay me", forgery));
  EXPECT_FALSE(CairnVerifies(test::IdentityKey(), "pay me", forgery));

  // 2. The identity encoded non-canonically (y = p + 1).
  Bytes identity_plus_p(32, '\xff');
  identity_plus_p[0] = '\xee';
  identity_plus_p[31] = '\x7f';
  EXPECT_TRUE(OpenSslVerifies(identity_plus_p, "pay me", forgery));
  EXPECT_FALSE(CairnVerifies(identity_plus_p, "pay me", forgery));

  // 3. Each other point of small order: the forgery holds for the messages whose
  // challenge k kills the point (k = 0 mod its order), found by trying messages.
  const std::vector<Bytes> small = test::SmallOrderKeys();
  int forged = 0;
  for (size_t i = 1; i < small.size(); ++i) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      const std::string message = "transfer " + std::to_string(attempt);
      if (!OpenSslVerifies(small[i], message, forgery)) continue;
      EXPECT_FALSE(CairnVerifies(small[i], message, forgery));
      ++forged;
      break;
    }
  }
  EXPECT_EQ(forged, 7) << "OpenSSL accepted a forgery under each small-order key";

  // 4. A real key's holder signing with R = the identity (small order), S = k * a.
  const Bytes seed = Unhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
  const Bytes public_key(PrivateKey::FromSeed(seed).value().public_key().bytes());
  const Bytes small_r = test::SmallOrderRSignature(seed, "message");
  EXPECT_TRUE(OpenSslVerifies(public_key, "message", small_r));
  EXPECT_FALSE(CairnVerifies(public_key, "message", small_r));
}

// A certificate is a quorum of signatures under the set's keys: one signer's signature
// with R of small order (its real key, its real statement) leaves no quorum.
TEST(SignatureRule, ACertificateWithAStrictlyInvalidSignatureIsNoQuorum) {
  const std::string statement = "vote for block b at round 7";
  std::vector<PublicKey> keys;
  std::vector<Bytes> signed_bytes;
  for (uint32_t i = 0; i < 4; ++i) {
    const Bytes seed = test::SeedFromLabel("signer-" + std::to_string(i));
    const PrivateKey key = PrivateKey::FromSeed(seed).value();
    keys.push_back(key.public_key());
    signed_bytes.push_back(i == 2 ? test::SmallOrderRSignature(seed, statement) : key.Sign(statement));
  }
  std::vector<SignerSignature> signatures;
  for (uint32_t i = 0; i < 4; ++i) signatures.push_back({i, signed_bytes[i]});
  DirectVerifier verifier;
  const std::vector<SignerSignature> honest = {signatures[0], signatures[1], signatures[3]};
  const std::vector<SignerSignature> with_small_r = {signatures[0], signatures[1], signatures[2]};
  EXPECT_TRUE(VerifyQuorum(statement, honest, keys, verifier).ok());
  EXPECT_TRUE(OpenSslVerifies(keys[2].bytes(), statement, signatures[2].signature));
  EXPECT_FALSE(VerifyQuorum(statement, with_small_r, keys, verifier).ok());
}

// Refused by both: S not reduced (S + L), and R not a point.
TEST(SignatureRule, EdgeCasesBothRefuse) {
  const PrivateKey key = PrivateKey::Generate();
  const Bytes public_key(key.public_key().bytes());
  const Bytes signature = key.Sign("message");
  // S + L, computed with 256-bit addition (S < L < 2^253, so there is no overflow).
  const Bytes order_l = Unhex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  Bytes unreduced = signature;
  unsigned carry = 0;
  for (size_t i = 0; i < 32; ++i) {
    carry += static_cast<uint8_t>(unreduced[32 + i]) + static_cast<uint8_t>(order_l[i]);
    unreduced[32 + i] = static_cast<char>(carry);
    carry >>= 8;
  }
  EXPECT_FALSE(OpenSslVerifies(public_key, "message", unreduced));
  EXPECT_FALSE(CairnVerifies(public_key, "message", unreduced));
  const Bytes r_off_curve = Bytes(1, '\x02') + Bytes(31, '\0') + signature.substr(32);
  EXPECT_FALSE(OpenSslVerifies(public_key, "message", r_off_curve));
  EXPECT_FALSE(CairnVerifies(public_key, "message", r_off_curve));
}

}  // namespace
}  // namespace cairn::crypto

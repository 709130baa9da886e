#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/domain.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/quorum.h"
#include "crypto/sha256.h"
#include "crypto/verifier.h"
#include "tests/unit/temp_dir.h"

namespace cairn::crypto {
namespace {


TEST(Bytes, HexRoundTripAndErrors) {
  EXPECT_EQ(ToHex(Bytes("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(FromHex("00FF10").value(), Bytes("\x00\xff\x10", 3));
  EXPECT_FALSE(FromHex("abc").ok());
  EXPECT_FALSE(FromHex("zz").ok());
  EXPECT_EQ(FromHex("zz").status().code(), StatusCode::kInvalidArgument);
}

TEST(Bytes, BigEndianIntegers) {
  Bytes out;
  AppendU64(&out, 0x0102030405060708ull);
  AppendU32(&out, 0x0a0b0c0d);
  EXPECT_EQ(ToHex(out), "01020304050607080a0b0c0d");
  EXPECT_EQ(ReadU64(out), 0x0102030405060708ull);
  EXPECT_EQ(ReadU32(ByteView(out).substr(8)), 0x0a0b0c0du);
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(ToHex(Sha256Of("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ToHex(Sha256Of("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 incremental;
  EXPECT_EQ(incremental.Update("a").Update("bc").Finish(), Sha256Of("abc"));
  // The hasher resets after Finish.
  EXPECT_EQ(incremental.Update("abc").Finish(), Sha256Of("abc"));
}

TEST(Ed25519, RejectsTamperingAndBadLengths) {
  PrivateKey key = PrivateKey::Generate();
  Bytes sig = key.Sign("message");
  EXPECT_TRUE(key.public_key().Verify("message", sig));
  EXPECT_FALSE(key.public_key().Verify("messagE", sig));
  Bytes flipped = sig;
  flipped[10] ^= 1;
  EXPECT_FALSE(key.public_key().Verify("message", flipped));
  EXPECT_FALSE(key.public_key().Verify("message", sig.substr(0, 63)));
  EXPECT_FALSE(key.public_key().Verify("message", ""));
  EXPECT_FALSE(PrivateKey::Generate().public_key().Verify("message", sig));
  EXPECT_FALSE(PublicKey::FromBytes(Bytes(31, 'x')).ok());
  EXPECT_FALSE(PublicKey::FromBytes(Bytes(33, 'x')).ok());
  EXPECT_FALSE(PrivateKey::FromSeed(Bytes(16, 'x')).ok());
  // The all-zero default key verifies nothing.
  EXPECT_FALSE(PublicKey().Verify("message", sig));
}

TEST(Ed25519, KeyFileIsPrivateAndRoundTrips) {
  test::TempDir dir;
  std::string path = dir.path() + "/validator.key";
  PrivateKey key = PrivateKey::Generate();
  ASSERT_TRUE(key.WriteFile(path).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto read = PrivateKey::ReadFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->public_key(), key.public_key());
  EXPECT_EQ(read->Sign("x"), key.Sign("x"));

  // Never overwrites an existing key.
  EXPECT_EQ(PrivateKey::Generate().WriteFile(path).code(), StatusCode::kIoError);
  EXPECT_EQ(PrivateKey::ReadFile(path)->public_key(), key.public_key());

  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto exposed = PrivateKey::ReadFile(path);
  EXPECT_EQ(exposed.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(exposed.status().message().find("0644"), std::string::npos);

  std::string garbage = dir.path() + "/garbage.key";
  { std::ofstream(garbage) << "not a key"; }
  ASSERT_EQ(::chmod(garbage.c_str(), 0600), 0);
  EXPECT_EQ(PrivateKey::ReadFile(garbage).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PrivateKey::ReadFile(dir.path() + "/missing").status().code(), StatusCode::kNotFound);
}

TEST(Domain, SeparatesPurposesAndChains) {
  Hash a = DomainHash(Purpose::kTransaction, "chain-a", "payload");
  EXPECT_NE(a, DomainHash(Purpose::kTransaction, "chain-b", "payload"));
  EXPECT_NE(a, DomainHash(Purpose::kVote, "chain-a", "payload"));
  EXPECT_EQ(a, Sha256Of(DomainMessage(Purpose::kTransaction, "chain-a", "payload")));
  // The layout is fixed: tag, NUL, length-prefixed chain id, payload.
  EXPECT_EQ(DomainMessage(Purpose::kTransaction, "c1", "p"), Bytes("cairn/tx/v1\0\0\0\0\2c1p", 19));
  // The chain id is length-prefixed, so moving bytes between chain id and payload
  // changes the hash.
  EXPECT_NE(DomainHash(Purpose::kVote, "ab", "c"), DomainHash(Purpose::kVote, "a", "bc"));
}

TEST(Domain, AddressAndTxHash) {
  PrivateKey key = PrivateKey::Generate();
  Bytes address = AddressOf(key.public_key().bytes());
  EXPECT_EQ(address.size(), kAddressSize);
  EXPECT_NE(address, AddressOf(PrivateKey::Generate().public_key().bytes()));
  Hash h = TxHash("c", "pk", "sig", "body");
  EXPECT_NE(h, TxHash("c", "pk", "sigb", "ody"));
  EXPECT_NE(h, TxHash("d", "pk", "sig", "body"));
}

TEST(Domain, VoteStatementLayout) {
  VoteStatement vote{.epoch = 1, .round = 2, .height = 3, .block_hash = Bytes(32, 'b')};
  Bytes payload = vote.Payload();
  EXPECT_EQ(payload.size(), 24u + 32u + 1u);
  vote.commit_hash = Bytes(32, 'c');
  EXPECT_EQ(vote.Payload().size(), 24u + 32u + 1u + 32u);
  EXPECT_NE(vote.Payload().substr(0, payload.size()), payload);
}

// RFC 6962 section 2.1, written recursively as the RFC states it.
Hash ReferenceRoot(std::span<const Hash> leaves) {
  if (leaves.empty()) return Sha256Of("");
  if (leaves.size() == 1) return MerkleLeafHash(leaves[0]);
  size_t k = 1;
  while (k * 2 < leaves.size()) k *= 2;
  return MerkleNodeHash(ReferenceRoot(leaves.subspan(0, k)), ReferenceRoot(leaves.subspan(k)));
}

std::vector<Hash> Leaves(size_t n) {
  std::vector<Hash> leaves;
  for (size_t i = 0; i < n; ++i) leaves.push_back(Sha256Of(std::to_string(i)));
  return leaves;
}

TEST(Merkle, MatchesRfc6962ForEverySizeUpTo70) {
  for (size_t n = 0; n <= 70; ++n) {
    auto leaves = Leaves(n);
    EXPECT_EQ(MerkleRoot(leaves), ReferenceRoot(leaves)) << "n=" << n;
  }
}

TEST(Merkle, EveryInclusionProofVerifiesAndTamperingFails) {
  for (size_t n = 1; n <= 33; ++n) {
    auto leaves = Leaves(n);
    Hash root = MerkleRoot(leaves);
    for (size_t i = 0; i < n; ++i) {
      auto proof = MerkleInclusionProof(leaves, i);
      ASSERT_TRUE(VerifyMerkleInclusion(leaves[i], i, n, proof, root)) << n << " " << i;
      EXPECT_FALSE(VerifyMerkleInclusion(Sha256Of("other"), i, n, proof, root));
      EXPECT_FALSE(VerifyMerkleInclusion(leaves[i], n, n, proof, root));
      if (n > 1) {
        EXPECT_FALSE(VerifyMerkleInclusion(leaves[i], (i + 1) % n, n, proof, root));
        auto bad = proof;
        bad[0][0] ^= 1;
        EXPECT_FALSE(VerifyMerkleInclusion(leaves[i], i, n, bad, root));
        bad = proof;
        bad.pop_back();
        EXPECT_FALSE(VerifyMerkleInclusion(leaves[i], i, n, bad, root));
      }
    }
  }
}

TEST(Merkle, LeafCannotPoseAsInnerNode) {
  auto leaves = Leaves(2);
  Hash inner = MerkleNodeHash(MerkleLeafHash(leaves[0]), MerkleLeafHash(leaves[1]));
  // A one-leaf tree whose leaf is the inner node's hash has a different root.
  EXPECT_NE(MerkleRoot(std::vector<Hash>{inner}), MerkleRoot(leaves));
}

class QuorumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 4; ++i) {
      keys_.push_back(PrivateKey::Generate());
      public_keys_.push_back(keys_.back().public_key());
      signatures_.push_back(keys_.back().Sign(kMessage));
    }
  }
  std::vector<SignerSignature> Signed(std::vector<uint32_t> signers) {
    std::vector<SignerSignature> out;
    for (uint32_t i : signers) out.push_back({i, signatures_[i % 4]});
    return out;
  }
  static constexpr ByteView kMessage = "statement";
  std::vector<PrivateKey> keys_;
  std::vector<PublicKey> public_keys_;
  std::vector<Bytes> signatures_;
  DirectVerifier verifier_;
};

TEST(CachingVerifier, CachesValidAndInvalidResultsAndEvicts) {
  PrivateKey key = PrivateKey::Generate();
  Bytes sig = key.Sign("m");
  CachingVerifier cache(2);
  EXPECT_TRUE(cache.Verify(key.public_key(), "m", sig));
  EXPECT_TRUE(cache.Verify(key.public_key(), "m", sig));
  EXPECT_FALSE(cache.Verify(key.public_key(), "n", sig));
  EXPECT_FALSE(cache.Verify(key.public_key(), "n", sig));
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 2u);
  // A third entry evicts the oldest; the answer stays right.
  EXPECT_FALSE(cache.Verify(key.public_key(), "o", sig));
  EXPECT_TRUE(cache.Verify(key.public_key(), "m", sig));
  EXPECT_EQ(cache.misses(), 4u);
}

// Threads walking the same signatures at once (the consensus thread and the admission
// pool over one batch) check each signature once between them: a thread that finds
// one being checked waits for that answer instead of checking it again.
TEST(CachingVerifier, ConcurrentCallersCheckEachSignatureOnce) {
  constexpr int kSignatures = 200;
  constexpr int kThreads = 4;
  PrivateKey key = PrivateKey::Generate();
  std::vector<Bytes> messages, signatures;
  for (int i = 0; i < kSignatures; ++i) {
    messages.push_back("message " + std::to_string(i));
    signatures.push_back(key.Sign(messages.back()));
    if (i % 7 == 0) signatures.back()[5] ^= 1;  // some forged, to share "invalid" too
  }
  CachingVerifier cache(1 << 10);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kSignatures; ++i) {
        EXPECT_EQ(cache.Verify(key.public_key(), messages[i], signatures[i]), i % 7 != 0) << i;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(cache.misses(), size_t{kSignatures});
  EXPECT_EQ(cache.hits() + cache.waits(), size_t{kSignatures} * (kThreads - 1));
}

TEST_F(QuorumTest, SizesFollowN) {
  EXPECT_EQ(QuorumSize(4), 3u);
  EXPECT_EQ(QuorumSize(5), 4u);
  EXPECT_EQ(QuorumSize(7), 5u);
  EXPECT_EQ(QuorumSize(10), 7u);
}

TEST_F(QuorumTest, AcceptsAQuorumOfDistinctValidSigners) {
  EXPECT_TRUE(VerifyQuorum(kMessage, Signed({0, 1, 2}), public_keys_, verifier_).ok());
  EXPECT_TRUE(VerifyQuorum(kMessage, Signed({0, 1, 2, 3}), public_keys_, verifier_).ok());
  EXPECT_TRUE(VerifyQuorum(kMessage, Signed({1, 2, 3}), public_keys_, verifier_).ok());
}

TEST_F(QuorumTest, RejectsTooFewDuplicatesForgeriesAndStrangers) {
  EXPECT_FALSE(VerifyQuorum(kMessage, Signed({0, 1}), public_keys_, verifier_).ok());
  EXPECT_FALSE(VerifyQuorum(kMessage, Signed({0, 1, 1}), public_keys_, verifier_).ok());
  EXPECT_FALSE(VerifyQuorum(kMessage, Signed({2, 1, 0}), public_keys_, verifier_).ok());
  EXPECT_FALSE(VerifyQuorum(kMessage, Signed({0, 1, 4}), public_keys_, verifier_).ok());
  auto forged = Signed({0, 1, 2});
  forged[2].signature = signatures_[3];  // validator 3's signature claimed as 2's
  EXPECT_FALSE(VerifyQuorum(kMessage, forged, public_keys_, verifier_).ok());
  EXPECT_FALSE(VerifyQuorum("other statement", Signed({0, 1, 2}), public_keys_, verifier_).ok());
}

}  // namespace
}  // namespace cairn::crypto

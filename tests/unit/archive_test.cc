// Archives (node/archive.h): an export checks from the genesis file alone, replayed when
// it starts at genesis, header by header when it starts later; a byte flipped anywhere
// in it is caught and its record named; an import rebuilds the same chain, in pieces,
// and refuses a forged block whose record hashes were made to match.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>

#include "ledger/ledger.h"
#include "node/archive.h"
#include "tests/support/seed.h"
#include "tests/support/test_chain.h"
#include "tests/unit/temp_dir.h"

namespace cairn::node {
namespace {

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), chain_.genesis()).value();
    for (uint64_t nonce = 1; nonce <= 6; ++nonce) {
      google::protobuf::RepeatedPtrField<v1::Transaction> txs;
      *txs.Add() = chain_.Transfer(chain_.user(0), nonce, chain_.user(1), 10);
      *txs.Add() = chain_.Transfer(chain_.user(2), nonce, chain_.user(3), 5);
      ASSERT_TRUE(chain_.CommitBlock(*ledger_, txs, /*with_finality=*/nonce == 6).ok());
    }
  }
  std::string Export(uint64_t from, uint64_t to, const std::string& name) {
    const std::string path = dir_.path() + "/" + name;
    Status exported = ExportArchive(*ledger_, from, to, path);
    EXPECT_TRUE(exported.ok()) << exported.ToString();
    return path;
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  void Write(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }

  test::TestChain chain_;
  std::unique_ptr<ledger::Ledger> ledger_;
  test::TempDir dir_;
};

TEST_F(ArchiveTest, AnExportFromGenesisIsReplayedAndALaterOneCheckedHeaderByHeader) {
  auto whole = VerifyArchive(chain_.genesis(), Export(1, 6, "whole"));
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_TRUE(whole->replayed);
  EXPECT_EQ(whole->transactions, 12u);
  EXPECT_TRUE(whole->last_proven_final);
  auto later = VerifyArchive(chain_.genesis(), Export(3, 5, "later"));
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_FALSE(later->replayed);
  EXPECT_EQ(later->transactions, 6u);
  EXPECT_TRUE(later->last_proven_final) << "block 6's certificate names block 5 committed";
  EXPECT_EQ(ExportArchive(*ledger_, 1, 6, dir_.path() + "/whole").code(), StatusCode::kFailedPrecondition)
      << "an export never overwrites";
  EXPECT_EQ(ExportArchive(*ledger_, 2, 9, dir_.path() + "/past").code(), StatusCode::kInvalidArgument);
}

TEST_F(ArchiveTest, AFlippedByteAnywhereIsCaughtAndItsRecordNamed) {
  for (const auto& [from, name] : {std::pair{uint64_t{1}, "from-genesis"}, std::pair{uint64_t{2}, "later"}}) {
    const std::string path = Export(from, 6, name);
    const std::string original = Read(path);
    const uint64_t seed = test::TestSeed("ArchiveFlips");
    std::mt19937_64 rng(seed);
    // Every byte of the first record's framing and hash, then a sample of the rest.
    std::vector<size_t> offsets;
    for (size_t i = 0; i < 4; ++i) offsets.push_back(i);
    for (int k = 0; k < 96; ++k) offsets.push_back(rng() % original.size());
    offsets.push_back(original.size() - 1);
    for (size_t offset : offsets) {
      std::string damaged = original;
      damaged[offset] = static_cast<char>(damaged[offset] ^ (1 << (rng() % 8)));
      Write(path, damaged);
      auto report = VerifyArchive(chain_.genesis(), path);
      ASSERT_FALSE(report.ok()) << name << ": a flip at byte " << offset << " passed (seed " << seed << ")";
      EXPECT_NE(report.status().message().find("archive record"), std::string::npos)
          << name << ", byte " << offset << ": " << report.status().ToString();
    }
    Write(path, original.substr(0, original.size() - 40));
    auto cut = VerifyArchive(chain_.genesis(), path);
    ASSERT_FALSE(cut.ok());
    EXPECT_NE(cut.status().message().find("truncated"), std::string::npos) << cut.status().ToString();
  }
}

TEST_F(ArchiveTest, AnImportRebuildsTheSameChainInPiecesAndRefusesAForgedBlock) {
  const std::string first = Export(1, 4, "first"), second = Export(5, 6, "second");
  auto rebuilt = ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), chain_.genesis()).value();
  EXPECT_EQ(ImportArchive(chain_.genesis(), second, *rebuilt).status().code(), StatusCode::kFailedPrecondition)
      << "an archive that does not start at the head's next block";
  const std::string trailing = dir_.path() + "/trailing";
  Write(trailing, Read(first) + "more");
  auto scratch = ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), chain_.genesis()).value();
  auto refused_trailing = ImportArchive(chain_.genesis(), trailing, *scratch);
  ASSERT_FALSE(refused_trailing.ok()) << "bytes after the end record were taken";
  EXPECT_NE(refused_trailing.status().message().find("after the end record"), std::string::npos)
      << refused_trailing.status().ToString();
  auto imported = ImportArchive(chain_.genesis(), first, *rebuilt);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  ASSERT_TRUE(ImportArchive(chain_.genesis(), second, *rebuilt).ok());
  EXPECT_EQ(rebuilt->height(), 6u);
  EXPECT_EQ(rebuilt->head_hash(), ledger_->head_hash());
  EXPECT_EQ(rebuilt->state_root(), ledger_->state_root());

  // A forged transfer in block 2, the record hashes written to match: the content is
  // what the certificates check.
  auto reader = ArchiveReader::Open(first, chain_.chain_id()).value();
  const std::string forged_path = dir_.path() + "/forged";
  std::FILE* out = std::fopen(forged_path.c_str(), "wb");
  ASSERT_NE(out, nullptr);
  ArchiveWriter writer(out, chain_.chain_id());
  for (;;) {
    auto record = reader.Next();
    ASSERT_TRUE(record.ok()) << record.status().ToString();
    if (!*record) break;
    if ((*record)->has_block() && (*record)->block().certificate().height() == 2) {
      *(*record)->mutable_block()->mutable_block()->mutable_transactions(0) = chain_.Transfer(chain_.user(0), 2, chain_.user(4), 10);
    }
    ASSERT_TRUE(writer.Write(**record).ok());
  }
  std::fclose(out);
  auto forged = VerifyArchive(chain_.genesis(), forged_path);
  ASSERT_FALSE(forged.ok()) << "a forged block passed";
  EXPECT_NE(forged.status().message().find("height 2"), std::string::npos) << forged.status().ToString();
  auto fresh = ledger::Ledger::Open(std::make_unique<ledger::MemoryStore>(), chain_.genesis()).value();
  auto refused = ImportArchive(chain_.genesis(), forged_path, *fresh);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(fresh->height(), 1u) << "the import stops at the block before the forged one";
}

}  // namespace
}  // namespace cairn::node

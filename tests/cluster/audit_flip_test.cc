// The audit misses no byte of a real node's data (issue 21, section 3). A devnet of four
// validators sees transfers, an equivocating twin (so evidence), and a governance change
// that ends an epoch; then node 0 is stopped and its data directory is damaged one byte
// at a time, each flip undone before the next:
//  - the smallest record of each kind of key (every kind the node wrote): every byte
//    with CAIRN_AUDIT_FLIP_FULL=1 (the long run, figures in the README), else 48 places
//    spread over it (all of a shorter one), the first and last byte among them;
//  - a seeded sample of bytes of all records, and of the largest of each kind;
//  - each kind's smallest record deleted (a finality record below the head excepted: it
//    is a shortcut the node can do without, see below).
// Each audit replays the chain (about 0.1 s for 200 blocks here), which is what bounds
// the count in CI.
// After each, the audit `cairn audit --data` runs (node::AuditDataDirectory, in process
// for speed) must fail as corruption, naming the height where it can. One flip of each
// kind is then audited by the `cairn audit --data` binary itself, which must exit
// non-zero saying what failed. The only record left out is the safety record: this
// validator's own votes, which no other node has, never served and never audited.
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "ledger/genesis.h"
#include "ledger/keys.h"
#include "ledger/kv_store.h"
#include "ledger/tx_check.h"
#include "node/base_audit.h"
#include "tests/cluster/cluster.h"
#include "tests/cluster/steady_load.h"
#include "tests/support/seed.h"

namespace cairn::cluster {
namespace {

using namespace std::chrono_literals;

struct Budget {
  size_t places_in_smallest;  // 0: every byte
  size_t sampled;             // over all records
  size_t per_largest;         // in the largest record of each kind
};
constexpr Budget kCi{48, 200, 8};
constexpr Budget kFull{0, 2'000, 64};

// The kind of a record, from its key: its tag letter, with the state tree's three
// records under 'n' told apart.
std::string KindOf(ByteView key) {
  if (key.empty()) return "(empty key)";
  if (key[0] != ledger::tree::kNodeTag) return std::string(1, key[0]);
  if (ledger::keys::IsNodeKey(key)) return "n (tree node)";
  if (key.size() == 10 && static_cast<uint8_t>(key[9]) == 0xfe) return "n (stale list)";
  if (key.size() == 10 && static_cast<uint8_t>(key[9]) == 0xff) return "n (state root)";
  return "n (other)";
}

struct Record {
  Bytes key;
  Bytes value;
};

class AuditFlip : public ::testing::Test {
 protected:
  // Builds the devnet's history and stops node 0: transfers, evidence, a set change.
  void SetUp() override {
    seed_ = test::TestSeed("audit_flip");
    cluster_ = std::make_unique<Cluster>(4, 0, 20, std::vector<std::string>{"--epoch-length", "10"});
    cluster_->StartAll();
    ASSERT_TRUE(Cluster::WaitFor([&] { return cluster_->Height(0) >= 2; }, 60s));
    cluster_->StartTwin(3);
    SteadyLoad load(*cluster_, 20, 2, seed_);
    load.Start();
    ProposeAddressChange();
    ASSERT_TRUE(Cluster::WaitFor([&] {
      auto evidence = cluster_->Evidence(0);
      auto set = cluster_->Validators(0);
      return evidence && evidence->records_size() > 0 && set && set->validators().epoch() >= 1;
    }, 120s)) << "no evidence or no epoch change within 120 s" << (cluster_->TwinsAlive() ? "" : " (the twin exited)");
    ASSERT_TRUE(Cluster::WaitFor([&] { return load.acknowledged() >= 20; }, 60s));
    load.Stop();
    cluster_->Signal(0, SIGTERM);
    genesis_ = ledger::ReadGenesisFile(cluster_->GenesisFile()).value();
  }
  void TearDown() override {
    if (HasFailure()) cluster_->KeepDir();
  }

  // The admin (genesis's only one) moves validator node2 to another address: approved
  // at once, applied at the next epoch boundary.
  void ProposeAddressChange() {
    v1::TxBody body;
    body.set_chain_id(cluster_->chain_id());
    body.set_nonce(1);
    v1::ValidatorChange* change = body.mutable_propose_validator_change()->mutable_change();
    change->set_kind(v1::ValidatorChange::KIND_UPDATE);
    change->mutable_validator()->set_name("node2");
    change->mutable_validator()->set_address("localhost:" + std::to_string(cluster_->P2pPort(2)));
    ASSERT_TRUE(cluster_->Submit(0, ledger::SignTransaction(cluster_->client(), body)).ok());
  }

  std::vector<Record> ReadAll(const ledger::KvStore& store) {
    std::vector<Record> records;
    EXPECT_TRUE(store
                    .Scan("", "",
                          [&](ByteView key, ByteView value) {
                            records.push_back({Bytes(key), Bytes(value)});
                            return true;
                          })
                    .ok());
    return records;
  }

  static void Put(ledger::KvStore& store, const Bytes& key, const Bytes& value) {
    ledger::WriteBatch batch;
    batch.Put(key, value);
    ASSERT_TRUE(store.Write(batch, ledger::Durability::kNoSync).ok());
  }

  uint64_t seed_ = 0;
  std::unique_ptr<Cluster> cluster_;
  v1::Genesis genesis_;
};

TEST_F(AuditFlip, EveryFlippedByteOfAStoppedNodesDataFailsTheAudit) {
  auto opened = ledger::OpenLevelDbStore(cluster_->DataDir(0));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ledger::KvStore& store = **opened;
  auto clean = node::AuditDataDirectory(genesis_, store);
  ASSERT_TRUE(clean.ok()) << "the untouched data fails: " << clean.status().ToString();
  ASSERT_GE(clean->epochs, 2u);

  std::vector<Record> records;
  for (Record& record : ReadAll(store)) {
    if (record.key != ledger::keys::kSafetyRecord) records.push_back(std::move(record));
  }
  // Each kind's smallest and largest record.
  std::map<std::string, size_t> smallest, largest;
  for (size_t r = 0; r < records.size(); ++r) {
    const std::string kind = KindOf(records[r].key);
    if (!smallest.contains(kind) || records[r].value.size() < records[smallest[kind]].value.size()) smallest[kind] = r;
    if (!largest.contains(kind) || records[r].value.size() > records[largest[kind]].value.size()) largest[kind] = r;
  }

  std::mt19937_64 rng(seed_);
  std::map<std::string, size_t> tries, named_height;
  std::vector<std::string> unnoticed;
  auto flip_and_audit = [&](size_t r, size_t at) {
    const Record& record = records[r];
    Bytes flipped = record.value;
    flipped[at] = static_cast<char>(flipped[at] ^ static_cast<char>(1 + rng() % 255));
    Put(store, record.key, flipped);
    auto report = node::AuditDataDirectory(genesis_, store);
    const std::string kind = KindOf(record.key);
    ++tries[kind];
    if (report.ok()) {
      unnoticed.push_back("record " + ToHex(record.key) + " (" + kind + "), byte " + std::to_string(at) + " of " +
                          std::to_string(record.value.size()));
    } else {
      EXPECT_EQ(report.status().code(), StatusCode::kCorruption) << report.status().ToString();
      if (report.status().message().find("height ") != std::string::npos) ++named_height[kind];
    }
    Put(store, record.key, record.value);
  };
  const char* full = std::getenv("CAIRN_AUDIT_FLIP_FULL");
  const Budget budget = full != nullptr && std::string(full) == "1" ? kFull : kCi;
  for (const auto& [kind, r] : smallest) {
    const size_t size = records[r].value.size();
    const size_t places = budget.places_in_smallest == 0 ? size : std::min(size, budget.places_in_smallest);
    for (size_t k = 0; k < places; ++k) flip_and_audit(r, places == size ? k : k * (size - 1) / (places - 1));
  }
  for (const auto& [kind, r] : largest) {
    const size_t size = records[r].value.size();
    if (size == 0) continue;
    for (size_t k = 0; k < budget.per_largest; ++k) flip_and_audit(r, rng() % size);
  }
  for (size_t k = 0; k < budget.sampled; ++k) {
    size_t r = rng() % records.size();
    while (records[r].value.empty()) r = rng() % records.size();
    flip_and_audit(r, rng() % records[r].value.size());
  }
  for (const auto& [kind, r] : smallest) {
    // A finality record is the node's shortcut: without it the node proves the block by
    // its child's certificate or a later one (Ledger::FinalityProof, CommitProofOf), so
    // deleting one loses nothing; the head's and each epoch end's are required.
    if (kind == "F" && ReadU64(ByteView(records[r].key).substr(1)) < clean->blocks) continue;
    ledger::WriteBatch remove;
    remove.Delete(records[r].key);
    ASSERT_TRUE(store.Write(remove, ledger::Durability::kNoSync).ok());
    if (node::AuditDataDirectory(genesis_, store).ok()) unnoticed.push_back("record " + ToHex(records[r].key) + " deleted");
    Put(store, records[r].key, records[r].value);
  }

  size_t total = 0;
  std::string summary;
  for (const auto& [kind, count] : tries) {
    total += count;
    summary += "  " + kind + ": " + std::to_string(records[smallest[kind]].value.size()) + " bytes of the smallest of " +
               std::to_string(std::count_if(records.begin(), records.end(),
                                            [&](const Record& record) { return KindOf(record.key) == kind; })) +
               " records, " + std::to_string(count) + " flips, " + std::to_string(named_height[kind]) +
               " reports naming the height\n";
  }
  std::printf("audit flip: seed %llu, %zu records of %zu kinds at height %llu over %llu epochs; %zu flips:\n%s",
              static_cast<unsigned long long>(seed_), records.size(), tries.size(),
              static_cast<unsigned long long>(clean->blocks), static_cast<unsigned long long>(clean->epochs), total,
              summary.c_str());
  std::string list;
  for (size_t k = 0; k < std::min<size_t>(unnoticed.size(), 20); ++k) list += unnoticed[k] + "\n";
  EXPECT_TRUE(unnoticed.empty()) << unnoticed.size() << " changes went unnoticed, the first:\n" << list;
  for (const char* kind : {"b", "c", "r", "t", "x", "e", "E", "L", "V", "p", "v", "H", "g", "G", "n (tree node)",
                           "n (state root)", "n (stale list)"}) {
    EXPECT_TRUE(tries.contains(kind)) << "the devnet wrote no record of kind " << kind;
  }
  ASSERT_TRUE(node::AuditDataDirectory(genesis_, store).ok()) << "a flip was not undone";
  opened->reset();

  // The binary, once per kind: a flip in the middle of the smallest record.
  for (const auto& [kind, r] : smallest) {
    const Record& record = records[r];
    if (record.value.empty()) continue;
    {
      auto reopened = ledger::OpenLevelDbStore(cluster_->DataDir(0));
      ASSERT_TRUE(reopened.ok());
      Bytes flipped = record.value;
      flipped[flipped.size() / 2] ^= 0x20;
      Put(**reopened, record.key, flipped);
    }
    const std::string log = cluster_->dir() + "/audit-flip.log";
    std::remove(log.c_str());
    const int exit_code = RunProgram(
        {CAIRN_CLI_PATH, "audit", "--genesis", cluster_->GenesisFile(), "--data", cluster_->DataDir(0)}, log);
    std::ifstream in(log);
    const std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(exit_code, 0) << "cairn audit --data passed with a byte of a " << kind << " record changed";
    EXPECT_NE(output.find("FAIL"), std::string::npos) << kind << ": " << output;
    auto reopened = ledger::OpenLevelDbStore(cluster_->DataDir(0));
    ASSERT_TRUE(reopened.ok());
    Put(**reopened, record.key, record.value);
  }
}

}  // namespace
}  // namespace cairn::cluster

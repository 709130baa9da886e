// fuzz_seeds DIR: writes the seed corpora of the fuzz targets (tests/fuzz/corpus/) from
// real messages of a TestChain: valid frames, transactions, a proposal and a vote made
// by replicas, a sync response of three certified blocks, the genesis, a node config.
// Run it again when a schema changes; the fuzzers mutate from these.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "cairn/v1/config.pb.h"
#include "consensus/replica.h"
#include "crypto/verifier.h"
#include "ledger/json_file.h"
#include "ledger/state_chunk.h"
#include "ledger/state_tree.h"
#include "net/frame.h"
#include "node/archive.h"
#include "tests/fuzz/fuzz_chain.h"
#include "tests/support/replica_rig.h"

namespace cairn::fuzz {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& dir, const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir / target);
  std::ofstream(dir / target / name, std::ios::binary | std::ios::trunc) << bytes;
}

// The consensus messages of round 1: validator 1's proposal, then validator 0's vote.
std::vector<v1::ConsensusMessage> RoundOneMessages() {
  crypto::DirectVerifier verifier;
  consensus::RoundRobinLeaders leaders(4);
  test::ReplicaRig leader(Chain(), 1, verifier, leaders), voter(Chain(), 0, verifier, leaders);
  std::vector<v1::ConsensusMessage> out = test::MessagesOf(leader.replica->Start(1'000));
  (void)voter.replica->Start(1'000);
  const size_t proposals = out.size();
  for (size_t i = 0; i < proposals; ++i) {
    for (const auto& m : test::MessagesOf(voter.replica->OnMessage(1, out[i], 1'000))) out.push_back(m);
  }
  return out;
}

int Run(const fs::path& dir) {
  const test::TestChain& chain = Chain();
  // Transactions, and frames holding them.
  std::vector<v1::Transaction> txs = {chain.Transfer(chain.user(0), 1, chain.user(1), 10),
                                      chain.Transfer(chain.user(2), 7, chain.user(3), 1)};
  for (size_t i = 0; i < txs.size(); ++i) Write(dir, "transaction", "transfer-" + std::to_string(i), txs[i].SerializeAsString());
  // Bodies for the executor target, each after its signer byte (fuzz/execute_fuzz.cc).
  {
    v1::TxBody swap;
    swap.set_nonce(1);
    swap.set_sender(test::TestChain::AddressOf(chain.user(0)));
    swap.set_memo("seed");
    v1::Operation* pay = swap.add_operations();
    pay->mutable_transfer()->set_to(test::TestChain::AddressOf(chain.user(1)));
    pay->mutable_transfer()->set_asset("CAIRN");
    pay->mutable_transfer()->set_amount(5);
    v1::Operation* back = swap.add_operations();
    back->set_account(test::TestChain::AddressOf(chain.user(1)));
    back->mutable_transfer()->set_to(test::TestChain::AddressOf(chain.user(0)));
    back->mutable_transfer()->set_asset("CAIRN");
    back->mutable_transfer()->set_amount(3);
    v1::Operation* record = swap.add_operations();
    record->mutable_set_record()->set_key("seed/key");
    record->mutable_set_record()->set_value("value");
    Write(dir, "execute", "swap", std::string(1, '\x13') + swap.SerializeAsString());
    v1::TxBody mint;
    mint.set_nonce(1);
    mint.mutable_mint()->set_to(test::TestChain::AddressOf(chain.user(2)));
    mint.mutable_mint()->set_asset("CAIRN");
    mint.mutable_mint()->set_amount(9);
    Write(dir, "execute", "mint", std::string(1, '\x10') + mint.SerializeAsString());
    v1::TxBody multisig;
    multisig.set_nonce(1);
    multisig.add_operations()->mutable_add_signatory()->set_public_key(Bytes(chain.user(3).public_key().bytes()));
    multisig.add_operations()->mutable_set_quorum()->set_quorum(2);
    multisig.add_operations()->mutable_burn()->set_asset("CAIRN");
    multisig.mutable_operations(2)->mutable_burn()->set_amount(1);
    Write(dir, "execute", "signatories", std::string(1, '\x01') + multisig.SerializeAsString());
  }
  v1::PeerMessage batch;
  for (const auto& tx : txs) *batch.mutable_transactions()->add_transactions() = tx;
  Write(dir, "frame", "tx-batch", net::EncodeFrame(batch));
  v1::PeerMessage hello;
  hello.mutable_hello()->set_genesis_hash(ToBytes(ledger::GenesisHash(Chain().genesis())));
  hello.mutable_hello()->set_committed_height(12);
  hello.mutable_hello()->set_boot_id("0123456789abcdef");
  Write(dir, "frame", "hello", net::EncodeFrame(hello));

  // Consensus: a real proposal and vote (as messages, with the sender byte first).
  const auto round_one = RoundOneMessages();
  for (size_t i = 0; i < round_one.size(); ++i) {
    const char sender = i == 0 ? 1 : 0;
    Write(dir, "consensus", "round1-" + std::to_string(i), std::string(1, sender) + round_one[i].SerializeAsString());
    v1::PeerMessage framed;
    *framed.mutable_consensus() = round_one[i];
    Write(dir, "frame", "consensus-" + std::to_string(i), net::EncodeFrame(framed));
  }

  // A sync response of three certified blocks and the head's finality proof.
  crypto::DirectVerifier verifier;
  auto source = FreshLedger(&verifier);
  for (uint64_t nonce = 1; nonce <= 3; ++nonce) {
    google::protobuf::RepeatedPtrField<v1::Transaction> block_txs;
    *block_txs.Add() = chain.Transfer(chain.user(0), nonce, chain.user(1), 1);
    if (!chain.CommitBlock(*source, block_txs).ok()) return 1;
  }
  v1::SyncResponse response;
  response.set_from_height(1);
  for (uint64_t h = 1; h <= 3; ++h) {
    auto stored = source->GetBlock(h).value();
    v1::CertifiedBlock* out = response.add_blocks();
    *out->mutable_block() = stored.block;
    *out->mutable_certificate() = *stored.certificate;
  }
  if (auto proof = source->FinalityProof(3); proof.ok() && *proof) *response.mutable_finality() = **proof;
  Write(dir, "sync_response", "three-blocks", response.SerializeAsString());

  // Archives of the same chain: from genesis (replayed), and from block 2.
  for (const auto& [from, name] : {std::pair{uint64_t{1}, "from-genesis"}, std::pair{uint64_t{2}, "from-block-2"}}) {
    const fs::path path = fs::temp_directory_path() / ("cairn-seed-archive-" + std::string(name));
    fs::remove(path);
    if (!node::ExportArchive(*source, from, 3, path.string()).ok()) return 1;
    std::ifstream in(path, std::ios::binary);
    Write(dir, "archive", name, std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
    fs::remove(path);
  }

  // State chunks of a small tree: the root node and a subtree's leaves.
  {
    const ledger::StateTree tree = SmallStateTree();
    v1::StateChunkRequest request;
    request.set_version(2);
    request.set_expected_hash(ToBytes(tree.root()));
    request.set_max_leaves(16);
    const v1::StateChunkResponse root = ledger::ServeStateChunk(tree, request, 1 << 20);
    Write(dir, "state_chunk", "root-node", root.SerializeAsString());
    const ledger::tree::NodePtr node = ledger::tree::DecodeNode(root.node(), tree.root()).value();
    for (const ledger::tree::Child& child : node->children) {
      request.set_path(Bytes(1, static_cast<char>(child.nibble)));
      request.set_expected_hash(ToBytes(child.ref.hash));
      const v1::StateChunkResponse leaves = ledger::ServeStateChunk(tree, request, 1 << 20);
      if (child.ref.is_leaf || leaves.leaves_size() < 2) continue;
      Write(dir, "state_chunk", "leaves", leaves.SerializeAsString());
      break;
    }
  }

  // The JSON documents.
  Write(dir, "genesis_json", "test-chain", ledger::ToJson(chain.genesis()));
  v1::NodeConfig config;
  config.set_key_file("node.key");
  config.set_data_dir("data");
  config.set_genesis_file("../genesis.json");
  config.set_p2p_listen("127.0.0.1:27000");
  config.set_grpc_listen("127.0.0.1:27001");
  v1::PeerConfig* peer = config.add_peers();
  peer->set_address("127.0.0.1:27003");
  peer->set_public_key(chain.validator(1).public_key().hex());
  config.set_log_level("info");
  Write(dir, "config_json", "node0", ledger::ToJson(config));
  std::printf("seed corpora written under %s\n", dir.c_str());
  return 0;
}

}  // namespace
}  // namespace cairn::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds DIR (tests/fuzz/corpus)\n");
    return 2;
  }
  return cairn::fuzz::Run(argv[1]);
}

// Real cairnd processes on 127.0.0.1 (tests/cluster/cluster.h). Every wait is bounded;
// the Cluster stops what it started.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <thread>

#include "crypto/domain.h"
#include "ledger/json_file.h"
#include "ledger/tx_check.h"
#include "net/asio.h"
#include "tests/cluster/chain_checks.h"
#include "tests/cluster/cluster.h"
#include "tests/support/forgery.h"
#include "tests/support/seed.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

namespace cairn::cluster {
namespace {

using namespace std::chrono_literals;

// Signed transactions from the genesis client: first an account for `recipient`, then
// transfers to it, with consecutive nonces from 1.
class Wallet {
 public:
  explicit Wallet(const Cluster& cluster) : cluster_(cluster) {}
  v1::Transaction Next() {
    v1::TxBody body;
    body.set_chain_id(cluster_.chain_id());
    body.set_nonce(++nonce_);
    if (nonce_ == 1) {
      body.mutable_create_account()->set_public_key(Bytes(recipient_.public_key().bytes()));
      body.mutable_create_account()->set_role(v1::ROLE_USER);
    } else {
      body.mutable_transfer()->set_to(crypto::AddressOf(recipient_.public_key().bytes()));
      body.mutable_transfer()->set_asset("CAIRN");
      body.mutable_transfer()->set_amount(1);
    }
    return ledger::SignTransaction(cluster_.client(), body);
  }

 private:
  const Cluster& cluster_;
  crypto::PrivateKey recipient_ = crypto::PrivateKey::Generate();
  uint64_t nonce_ = 0;
};

bool AllCommitted(Cluster& cluster, int node, const std::vector<std::string>& hashes) {
  for (const auto& hash : hashes) {
    auto tx = cluster.GetTransaction(node, hash);
    if (!tx || tx->state() != v1::GetTransactionResponse::COMMITTED) return false;
  }
  return true;
}

// The block hash at `height` on node `i`, or empty.
std::string HashAt(Cluster& cluster, int i, uint64_t height) {
  auto block = cluster.GetBlock(i, height);
  return block ? block->hash() : "";
}

TEST(Cluster, FourValidatorsCommitTransactionsSubmittedToDifferentNodes) {
  Cluster cluster(4);
  cluster.StartAll();
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(0) >= 1; }, 60s)) << "no block committed";
  Wallet wallet(cluster);
  std::vector<std::string> hashes;
  for (int k = 0; k < 40; ++k) {
    std::string hash;
    const grpc::Status submitted = cluster.Submit(k % 4, wallet.Next(), &hash);
    ASSERT_TRUE(submitted.ok()) << submitted.error_message();
    hashes.push_back(hash);
  }
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(Cluster::WaitFor([&] { return AllCommitted(cluster, i, hashes); }, 60s)) << "node " << i;
  }
  // Every node holds the same blocks: compare at the lowest head.
  uint64_t height = UINT64_MAX;
  for (int i = 0; i < 4; ++i) height = std::min(height, cluster.Height(i));
  ASSERT_GT(height, 0u);
  const std::string reference = HashAt(cluster, 0, height);
  ASSERT_FALSE(reference.empty());
  for (int i = 1; i < 4; ++i) EXPECT_EQ(HashAt(cluster, i, height), reference) << "node " << i << " at " << height;
  EXPECT_GE(cluster.Metric(0, "cairn_txs_committed_total"), 40);
  EXPECT_EQ(cluster.Metric(0, "cairn_peers_connected"), 3);
}

TEST(Cluster, ASubmitStreamAnswersEachTransactionInOrderAndTheAdmittedOnesCommit) {
  Cluster cluster(4);
  cluster.StartAll();
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(0) >= 1; }, 60s)) << "no block committed";
  Wallet wallet(cluster);
  const v1::Transaction create = wallet.Next();
  v1::Transaction forged = wallet.Next();
  forged.mutable_signature()->at(0) ^= 1;
  const v1::Transaction transfer = wallet.Next();  // nonce 3 after the forged 2: a gap the mempool holds
  const std::vector<v1::Transaction> sent = {create, forged, transfer, create};
  const std::vector<grpc::StatusCode> expected = {grpc::StatusCode::OK, grpc::StatusCode::INVALID_ARGUMENT,
                                                  grpc::StatusCode::OK, grpc::StatusCode::ALREADY_EXISTS};

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 30s);
  auto stream = cluster.transactions(1).SubmitStream(&context);
  for (const v1::Transaction& tx : sent) {
    v1::SubmitRequest request;
    *request.mutable_transaction() = tx;
    ASSERT_TRUE(stream->Write(request));
  }
  stream->WritesDone();
  std::vector<v1::SubmitStreamResponse> answers;
  v1::SubmitStreamResponse answer;
  while (stream->Read(&answer)) answers.push_back(answer);
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(answers.size(), sent.size());
  for (size_t k = 0; k < sent.size(); ++k) {
    EXPECT_EQ(answers[k].code(), expected[k]) << "answer " << k << ": " << answers[k].message();
    if (expected[k] == grpc::StatusCode::OK) {
      const v1::Transaction& tx = sent[k];
      EXPECT_EQ(answers[k].tx_hash(), ToBytes(crypto::TxHash(cluster.chain_id(), tx.public_key(), tx.signature(), tx.body())));
    } else {
      EXPECT_FALSE(answers[k].message().empty()) << "a refusal says why";
    }
  }
  // The account creation commits on another node; the transfer waits for nonce 2.
  EXPECT_TRUE(Cluster::WaitFor([&] { return AllCommitted(cluster, 3, {answers[0].tx_hash()}); }, 60s));

  // A client holds at most 4 submit streams open on a node; a fifth is refused.
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReaderWriter<v1::SubmitRequest, v1::SubmitStreamResponse>>> open;
  v1::SubmitRequest one;
  *one.mutable_transaction() = wallet.Next();
  for (int k = 0; k < 5; ++k) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    contexts.back()->set_deadline(std::chrono::system_clock::now() + 30s);
    open.push_back(cluster.transactions(2).SubmitStream(contexts.back().get()));
    // An answered write shows that the stream is open on the node.
    if (k < 4) {
      ASSERT_TRUE(open.back()->Write(one));
      ASSERT_TRUE(open.back()->Read(&answer)) << "stream " << k;
    }
  }
  EXPECT_FALSE(open.back()->Read(&answer));
  EXPECT_EQ(open.back()->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  for (int k = 0; k < 4; ++k) contexts[k]->TryCancel();
}

TEST(Cluster, AKilledValidatorLeavesTheOthersCommittingAndCatchesUpWhenRestarted) {
  Cluster cluster(4);
  cluster.StartAll();
  // Every node the test submits to must be serving: a first block needs only three of
  // the four, so one may still be starting then (a CI run's submission failed here).
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(0) >= 1 && cluster.Height(1) >= 1 && cluster.Height(2) >= 1; },
                               60s));
  cluster.Signal(3, SIGKILL);
  const uint64_t left_at = cluster.Height(0);
  // Transactions keep coming until the others are well ahead (more than consensus
  // fetches by itself), so that the restarted node has to sync.
  Wallet wallet(cluster);
  std::vector<std::string> hashes;
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  while (cluster.Height(0) < left_at + 12 && std::chrono::steady_clock::now() < deadline) {
    std::string hash;
    const grpc::Status submitted = cluster.Submit(hashes.size() % 3, wallet.Next(), &hash);
    ASSERT_TRUE(submitted.ok()) << "submission " << hashes.size() << " to node " << hashes.size() % 3 << ": "
                                << submitted.error_code() << " " << submitted.error_message();
    hashes.push_back(hash);
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(Cluster::WaitFor([&] { return AllCommitted(cluster, 0, hashes); }, 60s)) << "3 of 4 must commit";
  const uint64_t target = cluster.Height(0);
  ASSERT_GE(target, left_at + 12);

  cluster.Start(3);
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(3) >= target; }, 90s))
      << "node 3 at " << cluster.Height(3) << ", the others at " << target;
  EXPECT_EQ(HashAt(cluster, 3, target), HashAt(cluster, 0, target));
  EXPECT_TRUE(AllCommitted(cluster, 3, hashes));
  EXPECT_GT(cluster.Metric(3, "cairn_blocks_synced_total"), 0) << "it should have caught up by block sync";
  // It votes again: with node 2 down, nothing commits without node 3.
  cluster.Signal(2, SIGKILL);
  std::string hash;
  ASSERT_TRUE(cluster.Submit(0, wallet.Next(), &hash).ok());
  EXPECT_TRUE(Cluster::WaitFor([&] { return AllCommitted(cluster, 3, {hash}); }, 90s));
}

// Retention for the validators that prune: the bodies and state of the last 300 blocks.
const std::vector<std::string> kPruning = {"CAIRN_RETENTION_KEEP_BLOCKS=300", "CAIRN_RETENTION_KEEP_STATE_VERSIONS=300"};

// Node 0 refuses a read below its retained range and says from where it holds blocks,
// over gRPC, the HTTP/JSON API and the CLI.
void ExpectPrunedReadRefused(Cluster& cluster) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 5s);
  v1::GetBlockRequest request;
  request.set_height(1);
  v1::GetBlockResponse response;
  auto stub = v1::Ledger::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(cluster.GrpcPort(0)), grpc::InsecureChannelCredentials()));
  const grpc::Status refused = stub->GetBlock(&context, request, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << refused.error_message();
  EXPECT_NE(refused.error_message().find("from height"), std::string::npos) << refused.error_message();

  const std::string http = cluster.dir() + "/pruned_http.out";
  ASSERT_EQ(RunProgram({"/usr/bin/curl", "-s", "--max-time", "5", "-o", http, "-X", "POST", "-d", R"({"height": "1"})",
                        "http://127.0.0.1:" + std::to_string(cluster.HttpPort(0)) + "/cairn.v1.Ledger/GetBlock"},
                       cluster.dir() + "/curl.log"),
            0);
  std::ifstream http_in(http);
  const std::string http_body((std::istreambuf_iterator<char>(http_in)), std::istreambuf_iterator<char>());
  EXPECT_NE(http_body.find("\"code\":9"), std::string::npos) << http_body;  // FAILED_PRECONDITION
  EXPECT_NE(http_body.find("from height"), std::string::npos) << http_body;

  const std::string cli = cluster.dir() + "/pruned_cli.log";
  EXPECT_NE(RunProgram({CAIRN_CLI_PATH, "block", "1", "--node", "127.0.0.1:" + std::to_string(cluster.GrpcPort(0)),
                        "--trust-genesis", cluster.GenesisFile(), "--trust-store", cluster.dir() + "/cli.trust"},
                       cli),
            0);
  std::ifstream cli_in(cli);
  const std::string cli_text((std::istreambuf_iterator<char>(cli_in)), std::istreambuf_iterator<char>());
  EXPECT_NE(cli_text.find("pruned"), std::string::npos) << cli_text;

  const std::string status = cluster.dir() + "/pruned_status.log";
  EXPECT_EQ(RunProgram({CAIRN_CLI_PATH, "status", "--node", "127.0.0.1:" + std::to_string(cluster.GrpcPort(0))}, status), 0);
  std::ifstream status_in(status);
  const std::string status_text((std::istreambuf_iterator<char>(status_in)), std::istreambuf_iterator<char>());
  EXPECT_NE(status_text.find("holds bodies from block"), std::string::npos) << status_text;
}

TEST(Cluster, ANodeAThousandBlocksBehindCatchesUpBySyncFromPeersThatPrune) {
  // Node 4 is an observer with an empty disk that joins once the chain is 1,000 blocks
  // long: it follows by block sync alone (observers take no part in consensus).
  // Validators 0-2 keep the last 300 blocks' bodies; validator 3 is an archive node,
  // the only one that can serve the older ones.
  Cluster cluster(4, /*observers=*/1);
  for (int i = 0; i < 3; ++i) cluster.Start(i, kPruning);
  cluster.Start(3);
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(0) >= 1; }, 60s));
  // Steady load makes blocks as fast as the validators agree.
  Wallet wallet(cluster);
  const auto produce_deadline = std::chrono::steady_clock::now() + 150s;
  int k = 0;
  while (cluster.Height(0) < 1000 && std::chrono::steady_clock::now() < produce_deadline) {
    for (int burst = 0; burst < 3; ++burst, ++k) {
      grpc::Status submitted = cluster.Submit(k % 4, wallet.Next());
      ASSERT_TRUE(submitted.ok()) << submitted.error_message();
    }
    std::this_thread::sleep_for(10ms);
  }
  const uint64_t target = cluster.Height(0);
  ASSERT_GE(target, 1000u);

  const auto started = std::chrono::steady_clock::now();
  cluster.Start(4);
  // Its height from the metrics port (a new HTTP request each time): a gRPC channel to a
  // node that was down backs off for many seconds before it tries again.
  auto observer_height = [&] { return cluster.Metric(4, "cairn_committed_height"); };
  ASSERT_TRUE(Cluster::WaitFor([&] { return observer_height() >= static_cast<double>(target); }, 120s))
      << "the observer is at " << observer_height() << " of " << target;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(stderr, "cluster: an observer caught up %llu blocks in %.1f s (%.0f blocks/s, start included)\n",
               static_cast<unsigned long long>(target), seconds, target / seconds);
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Status(4).has_value(); }, 60s)) << "its gRPC port never answered";
  EXPECT_EQ(HashAt(cluster, 4, target), HashAt(cluster, 0, target));
  EXPECT_GE(cluster.Metric(4, "cairn_blocks_synced_total"), 1000);
  auto status = cluster.Status(4);
  ASSERT_TRUE(status.has_value());
  EXPECT_FALSE(status->validator());
  EXPECT_EQ(status->retention().retained_from(), 0u) << "an observer that keeps everything";
  EXPECT_EQ(HashAt(cluster, 4, 1), HashAt(cluster, 3, 1));
  // The pruning validators hold bodies of the last 300 blocks or so (a step may lag).
  auto pruned = cluster.Status(0);
  ASSERT_TRUE(pruned.has_value());
  EXPECT_EQ(pruned->retention().keep_blocks(), 300u);
  EXPECT_GE(pruned->retention().retained_from() + 400, pruned->height()) << "node 0 is not pruning";
  EXPECT_LE(pruned->retention().retained_from() + 300, pruned->height());
  ExpectPrunedReadRefused(cluster);
  EXPECT_GE(cluster.Metric(0, "cairn_retained_from_height"), static_cast<double>(pruned->retention().retained_from()));
  // It keeps following: the chain moves on, and so does the observer.
  for (int j = 0; j < 10; ++j) ASSERT_TRUE(cluster.Submit(j % 4, wallet.Next()).ok());
  const uint64_t later = cluster.Height(0) + 5;
  EXPECT_TRUE(Cluster::WaitFor([&] { return cluster.Height(4) >= later; }, 60s));
  // What a pruning validator holds passes the audit from the genesis file, which says
  // what it could not check.
  cluster.Signal(0, SIGTERM);
  EXPECT_TRUE(AuditPasses(cluster, 0)) << "see " << cluster.dir() << "/audit-node0.log";
  std::ifstream audit_log(cluster.dir() + "/audit-node0.log");
  const std::string audit((std::istreambuf_iterator<char>(audit_log)), std::istreambuf_iterator<char>());
  EXPECT_NE(audit.find("the node prunes: headers and certificates checked from genesis"), std::string::npos) << audit;
}

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string out;
  for (const auto& slice : slices) out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return out;
}

// What a generic tool (grpcurl, grpc_health_probe) does, with hand-encoded messages so
// that the test needs none of our stubs: the health check answers SERVING, reflection
// lists our services, and the consensus state names the round's leader.
TEST(Cluster, GenericGrpcToolsCanCheckHealthAndListTheServices) {
  Cluster cluster(4);
  cluster.StartAll();
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(0) >= 1; }, 60s));
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(cluster.GrpcPort(0)), grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);

  grpc::ClientContext health_context;
  health_context.set_deadline(std::chrono::system_clock::now() + 5s);
  grpc::ByteBuffer empty_request(nullptr, 0);  // HealthCheckRequest{service: ""}
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call;
  grpc::CompletionQueue queue;
  call = generic.PrepareUnaryCall(&health_context, "/grpc.health.v1.Health/Check", empty_request, &queue);
  call->StartCall();
  grpc::ByteBuffer reply;
  grpc::Status status;
  call->Finish(&reply, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  ASSERT_TRUE(queue.Next(&tag, &ok));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Flatten(reply), std::string("\x08\x01", 2));  // status: SERVING

  grpc::ClientContext reflection_context;
  reflection_context.set_deadline(std::chrono::system_clock::now() + 5s);
  auto stream = generic.PrepareCall(&reflection_context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &queue);
  stream->StartCall(reinterpret_cast<void*>(2));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  const std::string list_services("\x3a\x00", 2);  // ServerReflectionRequest{list_services: ""}
  grpc::Slice slice(list_services);
  grpc::ByteBuffer request(&slice, 1);
  stream->Write(request, reinterpret_cast<void*>(3));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  grpc::ByteBuffer listing;
  stream->Read(&listing, reinterpret_cast<void*>(4));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  const std::string services = Flatten(listing);
  for (const char* name : {"cairn.v1.Transactions", "cairn.v1.Ledger", "cairn.v1.Node", "grpc.health.v1.Health"}) {
    EXPECT_NE(services.find(name), std::string::npos) << name;
  }
  reflection_context.TryCancel();
  stream->Finish(&status, reinterpret_cast<void*>(5));
  queue.Next(&tag, &ok);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }

  auto node = v1::Node::NewStub(channel);
  grpc::ClientContext context;
  v1::GetConsensusStateResponse state;
  ASSERT_TRUE(node->GetConsensusState(&context, v1::GetConsensusStateRequest(), &state).ok());
  EXPECT_GT(state.round(), 0u);
  EXPECT_LT(state.leader(), 4u);  // elected by reputation (consensus/leader_election.h)
  EXPECT_EQ(state.quorum(), 3u);
  grpc::ClientContext validators_context;
  v1::GetValidatorsResponse validators;
  ASSERT_TRUE(node->GetValidators(&validators_context, v1::GetValidatorsRequest(), &validators).ok());
  EXPECT_EQ(validators.validators().validators_size(), 4);
  EXPECT_EQ(validators.max_faulty(), 1u);
}

// StreamBlocks: a client that does not read is held back, not skipped, and one that
// reconnects from the next height sees every height exactly once.
TEST(Cluster, BlockStreamsHoldBackSlowClientsAndResumeWithoutAGap) {
  Cluster cluster(4);
  cluster.StartAll();
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(0) >= 1; }, 60s));
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(cluster.GrpcPort(1)), grpc::InsecureChannelCredentials());
  auto ledger = v1::Ledger::NewStub(channel);
  std::vector<uint64_t> seen;
  uint64_t next = 1;
  for (int session = 0; session < 2; ++session) {
    grpc::ClientContext context;
    v1::StreamBlocksRequest request;
    request.set_from_height(next);
    auto stream = ledger->StreamBlocks(&context, request);
    // A slow reader: blocks commit meanwhile (about one a second when idle).
    std::this_thread::sleep_for(3s);
    v1::GetBlockResponse block;
    for (int k = 0; k < 4 && stream->Read(&block); ++k) {
      seen.push_back(block.height());
      next = block.height() + 1;
    }
    context.TryCancel();
    stream->Finish();
  }
  ASSERT_EQ(seen.size(), 8u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1) << "a gap or a repeat at " << i;
}

// A client that submits faster than its limit is told to slow down, its admitted
// transactions commit, and everyone else is still served.
TEST(Cluster, AClientOverItsSubmitRateIsRefusedAndTheNodeKeepsServing) {
  Cluster cluster(4);
  const std::string config_file = cluster.NodeDir(0) + "/config.json";
  v1::NodeConfig config;
  ASSERT_TRUE(ledger::ReadJsonFile(config_file, &config).ok());
  config.set_max_submits_per_second(5);  // bursts of 10
  std::ofstream(config_file, std::ios::trunc) << ledger::ToJson(config);
  cluster.StartAll();
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(0) >= 1; }, 60s));
  Wallet wallet(cluster);
  std::vector<std::string> admitted;
  int refused = 0;
  for (int i = 0; i < 30; ++i) {
    v1::Transaction tx = wallet.Next();
    std::string hash;
    grpc::Status status = cluster.Submit(0, tx, &hash);
    if (status.ok()) {
      admitted.push_back(hash);
      continue;
    }
    ASSERT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
    EXPECT_NE(status.error_message().find("rate limit"), std::string::npos) << status.error_message();
    ++refused;
    // The refused one goes to another node instead, so the nonce chain stays whole.
    ASSERT_TRUE(cluster.Submit(1, tx, &hash).ok());
    admitted.push_back(hash);
  }
  EXPECT_GE(refused, 15) << "30 at once against bursts of 10";
  EXPECT_TRUE(cluster.Status(0).has_value()) << "reads are not limited";
  EXPECT_TRUE(Cluster::WaitFor([&] { return AllCommitted(cluster, 0, admitted); }, 60s));
}

// Hostile bytes on every port a node opens: garbage and silent plain-TCP connections
// on the peer, gRPC and metrics ports, an oversize gRPC request, a transaction whose
// body nests groups 100,000 deep, a forged signature. Each is refused; the node keeps serving and
// committing.
TEST(Cluster, GarbageOnEveryPortAndOversizeOrDeeplyNestedRequestsLeaveTheNodeServing) {
  Cluster cluster(4);
  cluster.StartAll();
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(0) >= 1; }, 60s));
  const uint64_t seed = test::TestSeed("garbage");
  std::mt19937_64 rng(seed);
  boost::asio::io_context io;
  for (int port : {cluster.P2pPort(0), cluster.GrpcPort(0), cluster.MetricsPort(0)}) {
    std::vector<boost::asio::ip::tcp::socket> silent;
    for (int i = 0; i < 8; ++i) {  // connect and say nothing
      silent.emplace_back(io);
      silent.back().connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
    }
    boost::asio::ip::tcp::socket noisy(io);
    noisy.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
    Bytes garbage(64 << 10, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    boost::system::error_code ignored;
    boost::asio::write(noisy, boost::asio::buffer(garbage), ignored);  // the node may close first
  }
  Wallet wallet(cluster);
  v1::Transaction oversize = wallet.Next();
  oversize.set_body(Bytes(5 << 20, 'x'));
  EXPECT_EQ(cluster.Submit(0, oversize).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  v1::Transaction nested = oversize;
  nested.set_body(Bytes(100'000, '\x0b') + Bytes(100'000, '\x0c'));  // field 1 start-group / end-group
  const grpc::Status deep = cluster.Submit(0, nested);
  EXPECT_EQ(deep.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << deep.error_message();
  // A forgery OpenSSL's verify accepts (the identity as key, R = identity, S = 0).
  const grpc::Status forged = cluster.Submit(0, test::ForgedTransfer(cluster.chain_id(), Bytes(20, '\x01'), 5));
  EXPECT_EQ(forged.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << forged.error_message();
  EXPECT_NE(forged.error_message().find("small order"), std::string::npos) << forged.error_message();

  // Still serving, still committing (the wallet's first transaction was the oversize one).
  Wallet honest(cluster);
  std::string hash;
  ASSERT_TRUE(cluster.Submit(0, honest.Next(), &hash).ok());
  EXPECT_TRUE(Cluster::WaitFor([&] { return AllCommitted(cluster, 0, {hash}); }, 60s));
  EXPECT_GT(cluster.Metric(0, "cairn_committed_height"), 0);
}

// A full disk, simulated without root by a file-size limit of one byte on one running
// node (every write that grows a file fails with EFBIG, as with ENOSPC; its log lines
// are lost too, as they would be on a full disk): it stops committing and says so on
// /metrics, in the gRPC health service (NOT_SERVING) and on /healthz and /readyz (503)
// while the others go on; when the limit is lifted it resumes by itself, says it serves
// again, catches up and holds every transaction, without a restart.
TEST(Cluster, ANodeWhoseDiskFillsStopsCommittingSaysSoAndResumesWhenSpaceReturns) {
  using grpc::health::v1::HealthCheckResponse;
  Cluster cluster(4);
  cluster.StartAll();
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Height(3) >= 1; }, 60s));
  EXPECT_EQ(cluster.Health(3), HealthCheckResponse::SERVING);
  EXPECT_EQ(cluster.Health(3, "cairn.v1.Transactions"), HealthCheckResponse::SERVING);
  EXPECT_EQ(cluster.HttpGet(3, "/healthz"), 200);
  EXPECT_TRUE(Cluster::WaitFor([&] { return cluster.HttpGet(3, "/readyz") == 200; }, 10s));
  const std::string pid = std::to_string(cluster.Pid(3));
  ASSERT_EQ(RunProgram({"/usr/bin/prlimit", "--pid", pid, "--fsize=1:unlimited"}, cluster.dir() + "/prlimit.log"), 0);
  Wallet wallet(cluster);
  std::vector<std::string> hashes;
  auto submit_one = [&] {
    std::string hash;
    const grpc::Status submitted = cluster.Submit(hashes.size() % 3, wallet.Next(), &hash);
    ASSERT_TRUE(submitted.ok()) << "submission " << hashes.size() << " to node " << hashes.size() % 3 << ": "
                                << submitted.error_code() << " " << submitted.error_message();
    hashes.push_back(hash);
  };
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (cluster.Metric(3, "cairn_halted") != 1 && std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 10; ++i) submit_one();
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(cluster.Metric(3, "cairn_halted"), 1) << "node 3 should have stopped committing";
  const uint64_t stuck_at = cluster.Height(3);
  for (int i = 0; i < 10; ++i) submit_one();
  ASSERT_TRUE(Cluster::WaitFor([&] { return AllCommitted(cluster, 0, hashes); }, 60s)) << "the other three go on";
  EXPECT_EQ(cluster.Height(3), stuck_at);
  EXPECT_EQ(cluster.Metric(3, "cairn_halted"), 1);
  EXPECT_EQ(cluster.Health(3), HealthCheckResponse::NOT_SERVING);
  for (const char* service : {"cairn.v1.Transactions", "cairn.v1.Ledger", "cairn.v1.Node"}) {
    EXPECT_EQ(cluster.Health(3, service), HealthCheckResponse::NOT_SERVING) << service;
  }
  std::string why;
  EXPECT_EQ(cluster.HttpGet(3, "/healthz", &why), 503);
  EXPECT_EQ(why, "halted: a ledger write failed\n");
  EXPECT_EQ(cluster.HttpGet(3, "/readyz"), 503);
  EXPECT_EQ(cluster.Health(0), HealthCheckResponse::SERVING) << "the others are not halted";

  ASSERT_EQ(RunProgram({"/usr/bin/prlimit", "--pid", pid, "--fsize=unlimited:unlimited"}, cluster.dir() + "/prlimit.log"), 0);
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Metric(3, "cairn_halted") == 0; }, 30s));
  EXPECT_EQ(cluster.Health(3), HealthCheckResponse::SERVING);
  EXPECT_EQ(cluster.Health(3, "cairn.v1.Ledger"), HealthCheckResponse::SERVING);
  EXPECT_EQ(cluster.HttpGet(3, "/healthz"), 200);
  EXPECT_TRUE(Cluster::WaitFor([&] { return AllCommitted(cluster, 3, hashes); }, 60s));
  EXPECT_TRUE(Cluster::WaitFor([&] { return cluster.HttpGet(3, "/readyz") == 200; }, 10s)) << "caught up";
  EXPECT_TRUE(cluster.Alive(3));
  std::ifstream log(cluster.NodeDir(3) + "/cairnd.log");
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("the ledger takes writes again"), std::string::npos);
}

TEST(Cluster, APeerWithAnUnknownKeyIsRefused) {
  Cluster cluster(4);
  cluster.Start(0);
  // A node of the same chain whose key is not in the validator set dials node 0.
  const std::string stranger = cluster.dir() + "/stranger";
  ASSERT_EQ(RunProgram({CAIRN_CLI_PATH, "keygen", "--out", stranger + ".key"}, stranger + ".log"), 0);
  ASSERT_TRUE(Cluster::WaitFor([&] { return cluster.Status(0).has_value(); }, 30s));
  const std::string node0_key = ToHex(cluster.Status(0)->node_key());
  {
    std::ofstream config(stranger + ".json");
    config << "{\"key_file\": \"stranger.key\", \"data_dir\": \"stranger-data\", \"genesis_file\": \"net/genesis.json\","
           << " \"p2p_listen\": \"127.0.0.1:0\", \"peers\": [{\"address\": \"127.0.0.1:" << cluster.P2pPort(0)
           << "\", \"public_key\": \"" << node0_key << "\"}]}";
  }
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string log = stranger + "-cairnd.log";
    FILE* out = std::freopen(log.c_str(), "w", stderr);
    (void)out;
    ::execl(CAIRND_PATH, CAIRND_PATH, "--config", (stranger + ".json").c_str(), nullptr);
    ::_exit(127);
  }
  const bool refused = Cluster::WaitFor([&] { return cluster.Metric(0, "cairn_peer_disconnects_total{reason=\"refused\"}") >= 1; }, 30s);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  ASSERT_TRUE(refused);
  EXPECT_EQ(cluster.Metric(0, "cairn_peers_connected"), 0);
  std::ifstream log(cluster.dir() + "/net/node0/cairnd.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("is not a validator or an allowed observer"), std::string::npos) << text;
}

}  // namespace
}  // namespace cairn::cluster

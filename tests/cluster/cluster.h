// A local network of real cairnd processes for cluster tests: created with
// `cairn testnet` in a temporary folder, on 127.0.0.1 ports that were free (or on
// addresses of their own in network namespaces: netns.h), each node
// a child process that the test can kill, pause and restart. Everything it starts it
// stops (SIGTERM, then SIGKILL) when it goes out of scope.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/v1/api.grpc.pb.h"
#include "cairn/v1/config.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "crypto/ed25519.h"
#include "tests/unit/temp_dir.h"

namespace cairn::cluster {

class NamespaceNet;

class Cluster {
 public:
  // `observers` extra nodes follow the chain without voting (allowed by every
  // validator's config); they are nodes size() .. size() + observers - 1.
  // `load_accounts` funds that many benchmark accounts in genesis
  // (node/load/load_accounts.h), for tests that need many independent senders.
  // `testnet_flags` go to `cairn testnet` as they are (e.g. --epoch-length 20).
  explicit Cluster(int validators, int observers = 0, int load_accounts = 0,
                   const std::vector<std::string>& testnet_flags = {});
  ~Cluster();

  int size() const { return validators_; }
  int nodes() const { return validators_ + observers_; }
  const std::string& dir() const { return dir_.path(); }
  // Leaves dir() in place when the cluster is destroyed (for a failed run's logs).
  void KeepDir() { dir_.Keep(); }
  // Node i's folder (config.json, node.key, cairnd.log, data/).
  std::string NodeDir(int i) const { return dir() + "/net/node" + std::to_string(i); }
  // `cairn testnet`'s four ports a node.
  int P2pPort(int i) const { return base_port_ + 4 * i; }
  int GrpcPort(int i) const { return base_port_ + 4 * i + 1; }
  int MetricsPort(int i) const { return base_port_ + 4 * i + 2; }
  int HttpPort(int i) const { return base_port_ + 4 * i + 3; }

  // Before the first start: each validator in its network namespace of `net`, on its
  // address there, dialing the others' addresses; clients (the stubs here) reach them
  // over their cables to the host. `net` must outlive the cluster's nodes.
  void UseNamespaces(const NamespaceNet& net);
  // The address node i listens on: 127.0.0.1, or its namespace's.
  std::string Host(int i) const;

  // Before the first start: validator i reaches validator j at 127.0.0.1:port(i, j)
  // instead of j's own port (a proxy the test controls; tests/cluster/link_proxy.h).
  void RoutePeers(const std::function<int(int from, int to)>& port);

  // `env`: NAME=VALUE settings for the process (e.g. CAIRN_TEST_CLOCK_OFFSET_MS).
  void Start(int i, const std::vector<std::string>& env = {});
  // Starts a second process holding validator `of`'s key, with its own empty data
  // directory and no client ports, dialing the other validators as `of` does (through
  // its link proxies, when RoutePeers set them): a Byzantine
  // validator whose two halves sign conflicting proposals and votes. Stopped with the
  // cluster.
  void StartTwin(int of);
  void StartAll();  // the validators
  // Sends `signal` and, for SIGKILL/SIGTERM, waits for the process to end.
  void Signal(int i, int signal);
  bool Running(int i) const { return pids_[i] > 0; }
  pid_t Pid(int i) const { return pids_[i]; }
  // False when node i was never started or stopped, or has exited by itself (reaped).
  bool Alive(int i);
  // False when a twin has exited (a config it refused, a crash): a Byzantine test
  // without its Byzantine validator would test nothing.
  bool TwinsAlive();

  // gRPC, bounded by a 2-second deadline per call; nullopt when the node does not answer.
  std::optional<v1::GetStatusResponse> Status(int i);
  std::optional<v1::GetConsensusStateResponse> ConsensusState(int i);
  grpc::Status Submit(int i, const v1::Transaction& tx, std::string* tx_hash = nullptr);
  // For calls the helpers here do not cover (streams).
  v1::Transactions::Stub& transactions(int i) { return *tx_stubs_.at(i); }
  std::optional<v1::GetTransactionResponse> GetTransaction(int i, const std::string& tx_hash);
  std::optional<v1::GetBlockResponse> GetBlock(int i, uint64_t height);
  std::optional<v1::GetAccountResponse> Account(int i, const std::string& address);
  // The current validator set as node i sees it, with the open proposals.
  std::optional<v1::GetValidatorsResponse> Validators(int i);
  // The equivocation evidence node i's chain recorded.
  std::optional<v1::ListEvidenceResponse> Evidence(int i);
  // The standard gRPC health service's answer for `service` ("" for the whole server);
  // nullopt when the node does not answer.
  std::optional<grpc::health::v1::HealthCheckResponse::ServingStatus> Health(int i, const std::string& service = "");
  // GET `path` on node i's metrics port: the HTTP status (0 when it does not answer),
  // and the body in *body.
  int HttpGet(int i, const std::string& path, std::string* body = nullptr);
  // The body of GET /metrics, or empty.
  std::string Metrics(int i);
  // The value of an unlabelled metric line (or a full "name{labels}" key), or -1.
  double Metric(int i, const std::string& key);

  // Polls `done` every 100 ms for at most `limit`.
  static bool WaitFor(const std::function<bool()>& done, std::chrono::seconds limit);
  uint64_t Height(int i);

  std::string GenesisFile() const { return dir() + "/net/genesis.json"; }
  std::string DataDir(int i) const { return NodeDir(i) + "/data"; }

  // The admin account funded in genesis (DIR/client.key), and the chain id.
  const crypto::PrivateKey& client() const { return *client_; }
  std::string chain_id() const { return "cairn-devnet"; }
  // Reads each validator's config.json, lets `edit` change it, writes it back (read
  // again at the node's next start).
  void EditValidatorConfigs(const std::function<void(int i, v1::NodeConfig& config)>& edit);

 private:
  void AddObservers(const std::string& out);
  void ConnectClients();  // the stubs, to Host(i)
  std::vector<std::string> LinkKeys() const;  // each validator's node key, in hex

  int validators_;
  int observers_;
  test::TempDir dir_;
  int base_port_ = 0;
  std::vector<pid_t> pids_;
  std::vector<pid_t> twin_pids_;
  std::unique_ptr<crypto::PrivateKey> client_;
  const NamespaceNet* net_ = nullptr;
  std::vector<std::unique_ptr<v1::Node::Stub>> node_stubs_;
  std::vector<std::unique_ptr<v1::Transactions::Stub>> tx_stubs_;
  std::vector<std::unique_ptr<v1::Ledger::Stub>> ledger_stubs_;
  std::vector<std::unique_ptr<grpc::health::v1::Health::Stub>> health_stubs_;
};

// Runs a program to completion with its output to `log`; its exit status.
int RunProgram(const std::vector<std::string>& argv, const std::string& log);

}  // namespace cairn::cluster

#include "tests/cluster/cluster.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>
#include <fstream>
#include <sstream>
#include <thread>

#include <grpcpp/create_channel.h>

#include "crypto/check.h"
#include "ledger/json_file.h"
#include "tests/cluster/netns.h"

namespace cairn::cluster {

namespace {

bool PortFree(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return free;
}

// A base port whose 4n ports are all free, from a range picked at random (printed, so a
// clash can be told from a bug). The range stays below Linux's ephemeral ports (32768 on),
// from which every outgoing connection takes its local port: one of them could take the
// port of a node killed a moment ago, which then fails to start again (EADDRINUSE).
int PickBasePort(int validators) {
  std::mt19937 rng(static_cast<unsigned>(::getpid()) ^ static_cast<unsigned>(time(nullptr)));
  for (int attempt = 0; attempt < 50; ++attempt) {
    // Slots of 32: up to 8 nodes (observers included) clear of a neighbouring test.
    const int base = 20000 + static_cast<int>(rng() % 375) * 32;
    bool all = true;
    for (int p = base; p < base + 4 * validators && all; ++p) all = PortFree(p);
    if (all) return base;
  }
  CAIRN_CHECK(false);
  return 0;
}

// `env` holds NAME=VALUE settings added to the child's environment; `netns`, when not
// empty, the network namespace (a path under /var/run/netns) the child runs in.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log, const std::vector<std::string>& env = {},
            const std::string& netns = "") {
  const pid_t pid = ::fork();
  CAIRN_CHECK(pid >= 0);
  if (pid == 0) {
    // A harness that is killed takes its nodes with it (and so their namespaces).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (!netns.empty()) {
      const int fd = ::open(netns.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) ::_exit(126);
    }
    for (const auto& setting : env) ::putenv(const_cast<char*>(setting.c_str()));
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

// Waits for `pid` at most `limit`; true if it ended.
bool Reap(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void WithDeadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

}  // namespace

int RunProgram(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = Spawn(argv, log);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

Cluster::Cluster(int validators, int observers, int load_accounts, const std::vector<std::string>& testnet_flags)
    : validators_(validators), observers_(observers), pids_(validators + observers, 0) {
  base_port_ = PickBasePort(validators + observers);
  std::fprintf(stderr, "cluster: %d validators in %s, base port %d\n", validators, dir().c_str(), base_port_);
  const std::string out = dir() + "/net";
  std::vector<std::string> argv = {CAIRN_CLI_PATH, "testnet", "--validators", std::to_string(validators), "--out", out,
                                   "--base-port", std::to_string(base_port_), "--load-accounts", std::to_string(load_accounts)};
  argv.insert(argv.end(), testnet_flags.begin(), testnet_flags.end());
  CAIRN_CHECK(RunProgram(argv, dir() + "/testnet.log") == 0);
  client_ = std::make_unique<crypto::PrivateKey>(crypto::PrivateKey::ReadFile(out + "/client.key").value());
  AddObservers(out);
  ConnectClients();
}

void Cluster::ConnectClients() {
  node_stubs_.clear();
  tx_stubs_.clear();
  ledger_stubs_.clear();
  health_stubs_.clear();
  // Nodes are killed and restarted: a channel must try again within a second, not
  // after gRPC's default back-off of up to two minutes.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  for (int i = 0; i < nodes(); ++i) {
    auto channel = grpc::CreateCustomChannel(Host(i) + ":" + std::to_string(GrpcPort(i)),
                                             grpc::InsecureChannelCredentials(), args);
    node_stubs_.push_back(v1::Node::NewStub(channel));
    tx_stubs_.push_back(v1::Transactions::NewStub(channel));
    ledger_stubs_.push_back(v1::Ledger::NewStub(channel));
    health_stubs_.push_back(grpc::health::v1::Health::NewStub(channel));
  }
}

void Cluster::AddObservers(const std::string& out) {
  std::vector<v1::NodeConfig> configs(validators_);
  for (int i = 0; i < validators_; ++i) {
    CAIRN_CHECK(ledger::ReadJsonFile(out + "/node" + std::to_string(i) + "/config.json", &configs[i]).ok());
  }
  for (int j = 0; j < observers_; ++j) {
    const int index = validators_ + j;
    const std::string dir = out + "/node" + std::to_string(index);
    std::filesystem::create_directories(dir);
    crypto::PrivateKey key = crypto::PrivateKey::Generate();
    CAIRN_CHECK(key.WriteFile(dir + "/node.key").ok());
    v1::NodeConfig config = configs[0];
    config.clear_peers();
    config.clear_observers();
    config.set_p2p_listen("127.0.0.1:" + std::to_string(P2pPort(index)));
    config.set_grpc_listen("127.0.0.1:" + std::to_string(GrpcPort(index)));
    config.set_metrics_listen("127.0.0.1:" + std::to_string(MetricsPort(index)));
    config.set_http_listen("127.0.0.1:" + std::to_string(HttpPort(index)));
    for (int i = 0; i < validators_; ++i) {
      v1::PeerConfig* peer = config.add_peers();
      peer->set_address("127.0.0.1:" + std::to_string(P2pPort(i)));
      peer->set_public_key(crypto::PrivateKey::ReadFile(out + "/node" + std::to_string(i) + "/node.key")->public_key().hex());
      configs[i].add_observers(key.public_key().hex());
    }
    std::ofstream(dir + "/config.json") << ledger::ToJson(config);
  }
  for (int i = 0; i < validators_; ++i) {
    std::ofstream(out + "/node" + std::to_string(i) + "/config.json", std::ios::trunc) << ledger::ToJson(configs[i]);
  }
}

std::vector<std::string> Cluster::LinkKeys() const {
  std::vector<std::string> keys(validators_);
  for (int j = 0; j < validators_; ++j) {
    keys[j] = crypto::PrivateKey::ReadFile(NodeDir(j) + "/node.key")->public_key().hex();
  }
  return keys;
}

std::string Cluster::Host(int i) const { return net_ != nullptr ? net_->Address(i) : "127.0.0.1"; }

void Cluster::EditValidatorConfigs(const std::function<void(int i, v1::NodeConfig& config)>& edit) {
  for (int i = 0; i < validators_; ++i) {
    const std::string file = NodeDir(i) + "/config.json";
    v1::NodeConfig config;
    CAIRN_CHECK(ledger::ReadJsonFile(file, &config).ok());
    edit(i, config);
    std::ofstream(file, std::ios::trunc) << ledger::ToJson(config);
  }
}

void Cluster::UseNamespaces(const NamespaceNet& net) {
  CAIRN_CHECK(observers_ == 0 && net.nodes() == validators_);
  net_ = &net;
  const std::vector<std::string> keys = LinkKeys();
  EditValidatorConfigs([&](int i, v1::NodeConfig& config) {
    config.set_p2p_listen(Host(i) + ":" + std::to_string(P2pPort(i)));
    config.set_grpc_listen(Host(i) + ":" + std::to_string(GrpcPort(i)));
    config.set_metrics_listen(Host(i) + ":" + std::to_string(MetricsPort(i)));
    config.set_http_listen(Host(i) + ":" + std::to_string(HttpPort(i)));
    for (v1::PeerConfig& peer : *config.mutable_peers()) {
      const int j = static_cast<int>(std::find(keys.begin(), keys.end(), peer.public_key()) - keys.begin());
      CAIRN_CHECK(j < validators_);
      peer.set_address(Host(j) + ":" + std::to_string(P2pPort(j)));
    }
  });
  ConnectClients();
}

void Cluster::RoutePeers(const std::function<int(int from, int to)>& port) {
  const std::vector<std::string> keys = LinkKeys();
  EditValidatorConfigs([&](int i, v1::NodeConfig& config) {
    for (v1::PeerConfig& peer : *config.mutable_peers()) {
      const int j = static_cast<int>(std::find(keys.begin(), keys.end(), peer.public_key()) - keys.begin());
      if (j < validators_) peer.set_address("127.0.0.1:" + std::to_string(port(i, j)));
    }
  });
}

Cluster::~Cluster() {
  std::vector<pid_t> all = twin_pids_;
  for (pid_t pid : pids_) {
    if (pid > 0) all.push_back(pid);
  }
  for (pid_t pid : all) {
    ::kill(pid, SIGCONT);  // a paused node would not see SIGTERM
    ::kill(pid, SIGTERM);
  }
  for (pid_t pid : all) {
    if (!Reap(pid, std::chrono::seconds(10))) {
      ::kill(pid, SIGKILL);
      Reap(pid, std::chrono::seconds(5));
    }
  }
}

void Cluster::StartTwin(int of) {
  CAIRN_CHECK(net_ == nullptr);  // the twin would need a namespace and cables of its own
  const std::string original = NodeDir(of);
  const std::string twin = dir() + "/net/twin" + std::to_string(twin_pids_.size());
  std::filesystem::create_directories(twin);
  v1::NodeConfig config;
  CAIRN_CHECK(ledger::ReadJsonFile(original + "/config.json", &config).ok());
  config.set_key_file(original + "/node.key");
  config.set_genesis_file(GenesisFile());
  config.set_p2p_listen("127.0.0.1:0");  // nobody dials the twin; it dials them
  config.clear_grpc_listen();
  config.clear_metrics_listen();
  config.clear_http_listen();
  // Its peers are its original's, through the same links: a partition that cuts the
  // original off cuts the twin off too (else the twin would relay around it).
  std::ofstream(twin + "/config.json") << ledger::ToJson(config);
  twin_pids_.push_back(Spawn({CAIRND_PATH, "--config", twin + "/config.json"}, twin + "/cairnd.log"));
}

void Cluster::Start(int i, const std::vector<std::string>& env) {
  CAIRN_CHECK(pids_[i] <= 0);
  pids_[i] = Spawn({CAIRND_PATH, "--config", NodeDir(i) + "/config.json"}, NodeDir(i) + "/cairnd.log", env,
                   net_ != nullptr ? net_->NamespacePath(i) : "");
}

void Cluster::StartAll() {
  for (int i = 0; i < validators_; ++i) Start(i);  // the validators
}

void Cluster::Signal(int i, int signal) {
  if (pids_[i] <= 0) return;
  ::kill(pids_[i], signal);
  if (signal == SIGKILL || signal == SIGTERM) {
    if (!Reap(pids_[i], std::chrono::seconds(10))) {
      ::kill(pids_[i], SIGKILL);
      Reap(pids_[i], std::chrono::seconds(5));
    }
    pids_[i] = 0;
  }
}

bool Cluster::TwinsAlive() {
  for (pid_t pid : twin_pids_) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;
  }
  return true;
}

bool Cluster::Alive(int i) {
  if (pids_[i] <= 0) return false;
  int status = 0;
  if (::waitpid(pids_[i], &status, WNOHANG) != pids_[i]) return true;
  pids_[i] = 0;
  return false;
}

std::optional<v1::GetStatusResponse> Cluster::Status(int i) {
  grpc::ClientContext context;
  WithDeadline(&context);
  v1::GetStatusResponse response;
  if (!node_stubs_[i]->GetStatus(&context, v1::GetStatusRequest(), &response).ok()) return std::nullopt;
  return response;
}

std::optional<v1::GetConsensusStateResponse> Cluster::ConsensusState(int i) {
  grpc::ClientContext context;
  WithDeadline(&context);
  v1::GetConsensusStateResponse response;
  if (!node_stubs_[i]->GetConsensusState(&context, v1::GetConsensusStateRequest(), &response).ok()) return std::nullopt;
  return response;
}

grpc::Status Cluster::Submit(int i, const v1::Transaction& tx, std::string* tx_hash) {
  grpc::ClientContext context;
  WithDeadline(&context);
  v1::SubmitRequest request;
  *request.mutable_transaction() = tx;
  v1::SubmitResponse response;
  grpc::Status status = tx_stubs_[i]->Submit(&context, request, &response);
  if (status.ok() && tx_hash) *tx_hash = response.tx_hash();
  return status;
}

std::optional<v1::GetTransactionResponse> Cluster::GetTransaction(int i, const std::string& tx_hash) {
  grpc::ClientContext context;
  WithDeadline(&context);
  v1::GetTransactionRequest request;
  request.set_tx_hash(tx_hash);
  v1::GetTransactionResponse response;
  if (!tx_stubs_[i]->GetTransaction(&context, request, &response).ok()) return std::nullopt;
  return response;
}

std::optional<v1::GetBlockResponse> Cluster::GetBlock(int i, uint64_t height) {
  grpc::ClientContext context;
  WithDeadline(&context);
  v1::GetBlockRequest request;
  request.set_height(height);
  v1::GetBlockResponse response;
  if (!ledger_stubs_[i]->GetBlock(&context, request, &response).ok()) return std::nullopt;
  return response;
}

std::optional<v1::GetAccountResponse> Cluster::Account(int i, const std::string& address) {
  grpc::ClientContext context;
  WithDeadline(&context);
  v1::GetAccountRequest request;
  request.set_address(address);
  v1::GetAccountResponse response;
  if (!ledger_stubs_[i]->GetAccount(&context, request, &response).ok()) return std::nullopt;
  return response;
}

std::optional<v1::GetValidatorsResponse> Cluster::Validators(int i) {
  grpc::ClientContext context;
  WithDeadline(&context);
  v1::GetValidatorsResponse response;
  if (!node_stubs_[i]->GetValidators(&context, v1::GetValidatorsRequest(), &response).ok()) return std::nullopt;
  return response;
}

std::optional<v1::ListEvidenceResponse> Cluster::Evidence(int i) {
  grpc::ClientContext context;
  WithDeadline(&context);
  v1::ListEvidenceRequest request;
  request.set_limit(1000);
  v1::ListEvidenceResponse response;
  if (!node_stubs_[i]->ListEvidence(&context, request, &response).ok()) return std::nullopt;
  return response;
}

std::optional<grpc::health::v1::HealthCheckResponse::ServingStatus> Cluster::Health(int i, const std::string& service) {
  grpc::ClientContext context;
  WithDeadline(&context);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  if (!health_stubs_[i]->Check(&context, request, &response).ok()) return std::nullopt;
  return response.status();
}

int Cluster::HttpGet(int i, const std::string& path, std::string* body) {
  const std::string out = dir() + "/curl.out";
  const std::string code = dir() + "/curl.code";
  std::remove(out.c_str());
  std::remove(code.c_str());  // RunProgram appends
  // curl prints the status code on stdout (-w) and writes the body to `out`.
  if (RunProgram({"/usr/bin/curl", "-s", "--max-time", "2", "-o", out, "-w", "%{http_code}",
                  "http://" + Host(i) + ":" + std::to_string(MetricsPort(i)) + path},
                 code) != 0) {
    return 0;
  }
  if (body != nullptr) {
    std::ifstream in(out);
    std::stringstream text;
    text << in.rdbuf();
    *body = text.str();
  }
  std::ifstream status(code);
  int http_status = 0;
  status >> http_status;
  return http_status;
}

std::string Cluster::Metrics(int i) {
  std::string body;
  return HttpGet(i, "/metrics", &body) == 200 ? body : "";
}

double Cluster::Metric(int i, const std::string& key) {
  std::istringstream lines(Metrics(i));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(key + " ", 0) == 0) return std::stod(line.substr(key.size() + 1));
  }
  return -1;
}

bool Cluster::WaitFor(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

uint64_t Cluster::Height(int i) {
  auto status = Status(i);
  return status ? status->height() : 0;
}

}  // namespace cairn::cluster

// The CLI's connection to a node's gRPC API: `--node HOST:PORT`, else the CAIRN_NODE
// environment variable, else node 0 of the devnet. Every call has a deadline, and an
// error comes back as one line naming the node.
#pragma once

#include <memory>
#include <string>

#include <boost/program_options.hpp>

#include "cairn/v1/api.grpc.pb.h"
#include <optional>

#include "crypto/bytes.h"
#include "crypto/status.h"

namespace cairn::cli {

constexpr const char* kDevnetNode = "127.0.0.1:26601";

struct NodeFlags {
  std::string node;    // HOST:PORT
  std::string tls_ca;  // PEM file of the CA (or self-signed certificate) to trust; empty: plaintext
};

// Adds --node and --tls-ca to `options`.
void AddNodeOption(boost::program_options::options_description& options, NodeFlags* flags);

class NodeClient {
 public:
  explicit NodeClient(const NodeFlags& flags);
  const std::string& address() const { return address_; }

  Result<v1::GetStatusResponse> Status();
  Result<v1::GetConsensusStateResponse> ConsensusState();
  Result<v1::GetAccountResponse> Account(const Bytes& address);
  Result<v1::GetAssetResponse> Asset(const std::string& name);
  Result<v1::GetRecordResponse> Record(const Bytes& account, const std::string& key);
  Result<v1::GetRecordHistoryResponse> RecordHistory(const v1::GetRecordHistoryRequest& request);
  Result<v1::GetTransactionResponse> Transaction(const Bytes& tx_hash);
  Result<v1::GetTransactionResponse> WaitForCommit(const Bytes& tx_hash, uint64_t timeout_ms);
  Result<Bytes> Submit(const v1::Transaction& tx);
  Result<v1::GetBlockResponse> Block(std::optional<uint64_t> height);  // nullopt: latest
  Result<v1::GetValidatorsResponse> Validators(const v1::GetValidatorsRequest& request);
  Result<v1::ChangeProposal> Proposal(uint64_t id);
  Result<v1::ListEvidenceResponse> Evidence(uint64_t from_height);
  Result<v1::EpochChangesResponse> EpochChanges(uint64_t from_epoch);
  v1::Ledger::Stub& ledger() { return *ledger_; }

 private:
  cairn::Status Check(const grpc::Status& status) const;
  template <typename Stub, typename Request, typename Response>
  Result<Response> Call(Stub& stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                        const Request& request, std::chrono::milliseconds extra = std::chrono::milliseconds(0));

  std::string address_;
  std::unique_ptr<v1::Node::Stub> node_;
  std::unique_ptr<v1::Transactions::Stub> transactions_;
  std::unique_ptr<v1::Ledger::Stub> ledger_;
};

}  // namespace cairn::cli

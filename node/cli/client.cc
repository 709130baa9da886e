#include "node/cli/client.h"

#include <cstdlib>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "ledger/json_file.h"

namespace cairn::cli {

namespace {

constexpr auto kCallDeadline = std::chrono::seconds(10);

void SetDeadline(grpc::ClientContext* context, std::chrono::milliseconds extra = std::chrono::milliseconds(0)) {
  context->set_deadline(std::chrono::system_clock::now() + kCallDeadline + extra);
}

StatusCode FromGrpc(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT: return StatusCode::kInvalidArgument;
    case grpc::StatusCode::NOT_FOUND: return StatusCode::kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS: return StatusCode::kAlreadyExists;
    case grpc::StatusCode::FAILED_PRECONDITION: return StatusCode::kFailedPrecondition;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return StatusCode::kResourceExhausted;
    case grpc::StatusCode::UNAUTHENTICATED: return StatusCode::kUnauthenticated;
    case grpc::StatusCode::PERMISSION_DENIED: return StatusCode::kPermissionDenied;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED: return StatusCode::kUnavailable;
    default: return StatusCode::kInternal;
  }
}

}  // namespace

void AddNodeOption(boost::program_options::options_description& options, NodeFlags* flags) {
  options.add_options()
      ("node", boost::program_options::value(&flags->node),
       "the node's gRPC address HOST:PORT (default: $CAIRN_NODE, else the devnet's node 0)")
      ("tls-ca", boost::program_options::value(&flags->tls_ca),
       "connect with TLS, trusting this PEM certificate (default: $CAIRN_TLS_CA; none: plaintext)");
}

NodeClient::NodeClient(const NodeFlags& flags) {
  const char* env = std::getenv("CAIRN_NODE");
  address_ = !flags.node.empty() ? flags.node : (env != nullptr && *env != '\0') ? env : kDevnetNode;
  const char* env_ca = std::getenv("CAIRN_TLS_CA");
  const std::string ca = !flags.tls_ca.empty() ? flags.tls_ca : (env_ca != nullptr ? env_ca : "");
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!ca.empty()) {
    auto pem = ledger::ReadSmallFile(ca, 1 << 20);
    // An unreadable CA file leaves pem_root_certs empty: every call then fails to
    // verify the node, which is the safe way to fail.
    credentials = grpc::SslCredentials({.pem_root_certs = pem.ok() ? *pem : ""});
  }
  auto channel = grpc::CreateChannel(address_, credentials);
  node_ = v1::Node::NewStub(channel);
  transactions_ = v1::Transactions::NewStub(channel);
  ledger_ = v1::Ledger::NewStub(channel);
}

cairn::Status NodeClient::Check(const grpc::Status& status) const {
  if (status.ok()) return cairn::Status::Ok();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE || status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return {StatusCode::kUnavailable, "node " + address_ + " does not answer (" + status.error_message() + ")"};
  }
  return {FromGrpc(status.error_code()), status.error_message()};
}

// One unary call with the CLI's deadline (plus `extra` for calls that wait).
template <typename Stub, typename Request, typename Response>
Result<Response> NodeClient::Call(Stub& stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                                  const Request& request, std::chrono::milliseconds extra) {
  grpc::ClientContext context;
  SetDeadline(&context, extra);
  Response response;
  CAIRN_RETURN_IF_ERROR(Check((stub.*method)(&context, request, &response)));
  return response;
}

Result<v1::GetStatusResponse> NodeClient::Status() {
  return Call(*node_, &v1::Node::Stub::GetStatus, v1::GetStatusRequest());
}

Result<v1::GetConsensusStateResponse> NodeClient::ConsensusState() {
  return Call(*node_, &v1::Node::Stub::GetConsensusState, v1::GetConsensusStateRequest());
}

Result<v1::GetValidatorsResponse> NodeClient::Validators(const v1::GetValidatorsRequest& request) {
  return Call(*node_, &v1::Node::Stub::GetValidators, request);
}

Result<v1::ChangeProposal> NodeClient::Proposal(uint64_t id) {
  v1::GetProposalRequest request;
  request.set_id(id);
  return Call(*node_, &v1::Node::Stub::GetProposal, request);
}

Result<v1::ListEvidenceResponse> NodeClient::Evidence(uint64_t from_height) {
  v1::ListEvidenceRequest request;
  request.set_from_height(from_height);
  request.set_limit(1000);
  return Call(*node_, &v1::Node::Stub::ListEvidence, request);
}

Result<v1::EpochChangesResponse> NodeClient::EpochChanges(uint64_t from_epoch) {
  v1::EpochChangesRequest request;
  request.set_from_epoch(from_epoch);
  return Call(*ledger_, &v1::Ledger::Stub::GetEpochChanges, request);
}

Result<v1::GetAccountResponse> NodeClient::Account(const Bytes& address) {
  v1::GetAccountRequest request;
  request.set_address(address);
  return Call(*ledger_, &v1::Ledger::Stub::GetAccount, request);
}

Result<v1::GetAssetResponse> NodeClient::Asset(const std::string& name) {
  v1::GetAssetRequest request;
  request.set_name(name);
  return Call(*ledger_, &v1::Ledger::Stub::GetAsset, request);
}

Result<v1::GetRecordResponse> NodeClient::Record(const Bytes& account, const std::string& key) {
  v1::GetRecordRequest request;
  request.set_account(account);
  request.set_key(key);
  return Call(*ledger_, &v1::Ledger::Stub::GetRecord, request);
}

Result<v1::GetRecordHistoryResponse> NodeClient::RecordHistory(const v1::GetRecordHistoryRequest& request) {
  return Call(*ledger_, &v1::Ledger::Stub::GetRecordHistory, request);
}

Result<v1::GetTransactionResponse> NodeClient::Transaction(const Bytes& tx_hash) {
  v1::GetTransactionRequest request;
  request.set_tx_hash(tx_hash);
  return Call(*transactions_, &v1::Transactions::Stub::GetTransaction, request);
}

Result<v1::GetTransactionResponse> NodeClient::WaitForCommit(const Bytes& tx_hash, uint64_t timeout_ms) {
  v1::WaitForCommitRequest request;
  request.set_tx_hash(tx_hash);
  request.set_timeout_ms(timeout_ms);
  return Call(*transactions_, &v1::Transactions::Stub::WaitForCommit, request, std::chrono::milliseconds(timeout_ms));
}

Result<Bytes> NodeClient::Submit(const v1::Transaction& tx) {
  v1::SubmitRequest request;
  *request.mutable_transaction() = tx;
  CAIRN_ASSIGN_OR_RETURN(v1::SubmitResponse response, Call(*transactions_, &v1::Transactions::Stub::Submit, request));
  return response.tx_hash();
}

Result<v1::GetBlockResponse> NodeClient::Block(std::optional<uint64_t> height) {
  v1::GetBlockRequest request;
  if (height) {
    request.set_height(*height);
  } else {
    request.set_latest(true);
  }
  return Call(*ledger_, &v1::Ledger::Stub::GetBlock, request);
}

}  // namespace cairn::cli

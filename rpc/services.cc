#include "rpc/services.h"

namespace cairn::rpc {

grpc::Status ToGrpc(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return grpc::Status::OK;
    case StatusCode::kInvalidArgument: return {grpc::StatusCode::INVALID_ARGUMENT, status.message()};
    case StatusCode::kNotFound: return {grpc::StatusCode::NOT_FOUND, status.message()};
    case StatusCode::kAlreadyExists: return {grpc::StatusCode::ALREADY_EXISTS, status.message()};
    case StatusCode::kFailedPrecondition: return {grpc::StatusCode::FAILED_PRECONDITION, status.message()};
    case StatusCode::kResourceExhausted: return {grpc::StatusCode::RESOURCE_EXHAUSTED, status.message()};
    case StatusCode::kCorruption: return {grpc::StatusCode::DATA_LOSS, status.message()};
    case StatusCode::kIoError: return {grpc::StatusCode::UNAVAILABLE, status.message()};
    case StatusCode::kInternal: return {grpc::StatusCode::INTERNAL, status.message()};
    case StatusCode::kUnauthenticated: return {grpc::StatusCode::UNAUTHENTICATED, status.message()};
    case StatusCode::kPermissionDenied: return {grpc::StatusCode::PERMISSION_DENIED, status.message()};
    case StatusCode::kUnavailable: return {grpc::StatusCode::UNAVAILABLE, status.message()};
  }
  return {grpc::StatusCode::UNKNOWN, status.message()};
}

namespace {

Result<Hash> HashArgument(const std::string& bytes, const char* what) {
  auto hash = HashFromBytes(bytes);
  if (!hash.ok()) return Status::InvalidArgument(std::string(what) + " must be 32 bytes");
  return hash;
}

}  // namespace

grpc::Status TransactionsService::Submit(grpc::ServerContext*, const v1::SubmitRequest* request,
                                         v1::SubmitResponse* response) {
  if (!request->has_transaction()) return ToGrpc(Status::InvalidArgument("transaction is missing"));
  auto hash = node_.Submit(request->transaction());
  if (!hash.ok()) return ToGrpc(hash.status());
  response->set_tx_hash(ToBytes(*hash));
  return grpc::Status::OK;
}

grpc::Status TransactionsService::GetTransaction(grpc::ServerContext*, const v1::GetTransactionRequest* request,
                                                 v1::GetTransactionResponse* response) {
  auto hash = HashArgument(request->tx_hash(), "tx_hash");
  if (!hash.ok()) return ToGrpc(hash.status());
  auto committed = node_.ledger().GetTransaction(*hash);
  if (committed.ok()) {
    response->set_state(v1::GetTransactionResponse::COMMITTED);
    *response->mutable_transaction() = std::move(committed->transaction);
    *response->mutable_receipt() = std::move(committed->receipt);
    response->set_block_header(committed->header.SerializeAsString());
    response->set_block_hash(ToBytes(committed->block_hash));
    response->set_block_tx_count(committed->block_tx_count);
    for (const Hash& sibling : committed->inclusion_proof) response->add_inclusion_proof(ToBytes(sibling));
    return grpc::Status::OK;
  }
  if (committed.status().code() != StatusCode::kNotFound) return ToGrpc(committed.status());
  response->set_state(node_.IsPending(*hash) ? v1::GetTransactionResponse::PENDING : v1::GetTransactionResponse::UNKNOWN);
  return grpc::Status::OK;
}

grpc::Status LedgerService::GetBlock(grpc::ServerContext*, const v1::GetBlockRequest* request,
                                     v1::GetBlockResponse* response) {
  const ledger::Ledger& ledger = node_.ledger();
  Result<ledger::StoredBlock> stored = Status::InvalidArgument("say which block: height, hash or latest");
  switch (request->which_case()) {
    case v1::GetBlockRequest::kHeight: stored = ledger.GetBlock(request->height()); break;
    case v1::GetBlockRequest::kHash: {
      auto hash = HashArgument(request->hash(), "hash");
      if (!hash.ok()) return ToGrpc(hash.status());
      stored = ledger.GetBlockByHash(*hash);
      break;
    }
    case v1::GetBlockRequest::kLatest: stored = ledger.GetBlock(ledger.height()); break;
    case v1::GetBlockRequest::WHICH_NOT_SET: break;
  }
  if (!stored.ok()) return ToGrpc(stored.status());
  const uint64_t height = stored->header.height();
  *response->mutable_block() = std::move(stored->block);
  response->set_hash(ToBytes(stored->hash));
  response->set_height(height);
  if (stored->certificate) *response->mutable_certificate() = std::move(*stored->certificate);
  if (auto proof = ledger.FinalityProof(height); proof.ok() && *proof) *response->mutable_finality() = **proof;
  return grpc::Status::OK;
}

grpc::Status NodeService::GetStatus(grpc::ServerContext*, const v1::GetStatusRequest*, v1::GetStatusResponse* response) {
  const ledger::Ledger& ledger = node_.ledger();
  const NodeStatus status = node_.CurrentStatus();
  response->set_chain_id(ledger.chain_id());
  response->set_height(ledger.height());
  response->set_head_hash(ToBytes(ledger.head_hash()));
  response->set_round(status.round);
  response->set_validator(status.validator);
  response->set_node_key(status.node_key);
  response->set_peers(status.peers);
  response->set_mempool_size(status.mempool_size);
  return grpc::Status::OK;
}

}  // namespace cairn::rpc

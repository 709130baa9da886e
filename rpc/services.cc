#include "rpc/services.h"

#include "crypto/quorum.h"
#include "ledger/state_entries.h"
#include "ledger/state_tree.h"
#include "ledger/tx_check.h"
#include "rpc/caller.h"

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

constexpr uint64_t kMaxWaitMs = 60'000;
constexpr uint32_t kMaxHistoryPage = 1000;

Result<Hash> HashArgument(const std::string& bytes, const char* what) {
  auto hash = HashFromBytes(bytes);
  if (!hash.ok()) return Status::InvalidArgument(std::string(what) + " must be 32 bytes");
  return hash;
}

// What Submit and each message of SubmitStream do: the same checks, the same answers.
Result<Hash> Admit(NodeApi& node, ClientRateLimiter& rate, const std::string& peer, const v1::SubmitRequest& request) {
  if (!rate.Take(peer)) {
    return Status::ResourceExhausted("rate limit: at most " + std::to_string(static_cast<int64_t>(rate.per_second())) +
                                     " transactions a second per client; retry later");
  }
  if (!request.has_transaction()) return Status::InvalidArgument("transaction is missing");
  return node.Submit(request.transaction());
}

}  // namespace

grpc::Status TransactionsService::Submit(grpc::ServerContext* context, const v1::SubmitRequest* request,
                                         v1::SubmitResponse* response) {
  auto hash = Admit(node_, submit_rate_, CallerOf(*context), *request);
  if (!hash.ok()) return ToGrpc(hash.status());
  response->set_tx_hash(ToBytes(*hash));
  return grpc::Status::OK;
}

namespace {

// One submit stream: read a transaction, admit it, write the answer, read the next.
class SubmitReactor final : public grpc::ServerBidiReactor<v1::SubmitRequest, v1::SubmitStreamResponse> {
 public:
  SubmitReactor(NodeApi& node, ClientRateLimiter& rate, std::string peer, StreamSlots::Slot slot)
      : node_(node), rate_(rate), peer_(std::move(peer)), slot_(std::move(slot)) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) return Finish(grpc::Status::OK);  // the client has sent everything
    response_.Clear();
    Result<Hash> hash = Admit(node_, rate_, peer_, request_);
    if (hash.ok()) {
      response_.set_tx_hash(ToBytes(*hash));
    } else {
      const grpc::Status refused = ToGrpc(hash.status());
      response_.set_code(static_cast<int32_t>(refused.error_code()));
      response_.set_message(refused.error_message());
    }
    StartWrite(&response_);
  }
  void OnWriteDone(bool ok) override {
    if (!ok) return Finish({grpc::StatusCode::CANCELLED, "the client went away"});
    StartRead(&request_);
  }
  void OnDone() override { delete this; }

 private:
  NodeApi& node_;
  ClientRateLimiter& rate_;
  const std::string peer_;
  StreamSlots::Slot slot_;  // freed with the reactor
  v1::SubmitRequest request_;
  v1::SubmitStreamResponse response_;
};

// A stream refused before it starts.
class RefusedStream final : public grpc::ServerBidiReactor<v1::SubmitRequest, v1::SubmitStreamResponse> {
 public:
  explicit RefusedStream(grpc::Status why) { Finish(std::move(why)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerBidiReactor<v1::SubmitRequest, v1::SubmitStreamResponse>* TransactionsService::SubmitStream(
    grpc::CallbackServerContext* context) {
  StreamSlots::Slot slot = streams_.Take(CallerOf(*context));
  if (!slot) {
    return new RefusedStream({grpc::StatusCode::RESOURCE_EXHAUSTED,
                              "at most " + std::to_string(streams_.max_per_client()) + " submit streams per client"});
  }
  return new SubmitReactor(node_, submit_rate_, CallerOf(*context), std::move(slot));
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
    for (const Hash& sibling : committed->receipt_proof) response->add_receipt_proof(ToBytes(sibling));
    auto commit_proof = node_.ledger().CommitProofOf(response->receipt().height());
    if (!commit_proof.ok()) return ToGrpc(commit_proof.status());
    *response->mutable_commit_proof() = std::move(*commit_proof);
    return grpc::Status::OK;
  }
  if (committed.status().code() != StatusCode::kNotFound) return ToGrpc(committed.status());
  response->set_state(node_.IsPending(*hash) ? v1::GetTransactionResponse::PENDING : v1::GetTransactionResponse::UNKNOWN);
  return grpc::Status::OK;
}

grpc::Status TransactionsService::WaitForCommit(grpc::ServerContext* context, const v1::WaitForCommitRequest* request,
                                                v1::GetTransactionResponse* response) {
  const auto now = std::chrono::steady_clock::now();
  const uint64_t wait_ms = request->timeout_ms() == 0 ? kMaxWaitMs : std::min(request->timeout_ms(), kMaxWaitMs);
  const auto deadline = now + std::chrono::milliseconds(wait_ms);
  v1::GetTransactionRequest get;
  get.set_tx_hash(request->tx_hash());
  for (;;) {
    response->Clear();
    const uint64_t height = node_.ledger().height();
    grpc::Status status = GetTransaction(context, &get, response);
    if (!status.ok() || response->state() == v1::GetTransactionResponse::COMMITTED) return status;
    if (context->IsCancelled()) return {grpc::StatusCode::CANCELLED, "the client went away"};
    if (std::chrono::steady_clock::now() >= deadline) return grpc::Status::OK;
    // Wake at each commit, and at least every second to notice a cancelled call.
    node_.WaitForHeightAbove(height, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(1)));
  }
}

namespace {

Status FillBlock(const ledger::Ledger& ledger, ledger::StoredBlock stored, v1::GetBlockResponse* response) {
  const uint64_t height = stored.header.height();
  *response->mutable_block() = std::move(stored.block);
  response->set_hash(ToBytes(stored.hash));
  response->set_height(height);
  if (stored.certificate) *response->mutable_certificate() = std::move(*stored.certificate);
  CAIRN_ASSIGN_OR_RETURN(auto proof, ledger.FinalityProof(height));
  if (proof) *response->mutable_finality() = std::move(*proof);
  if (height > 0) {
    CAIRN_ASSIGN_OR_RETURN(*response->mutable_commit_proof(), ledger.CommitProofOf(height));
  }
  return Status::Ok();
}

}  // namespace

grpc::Status LedgerService::StreamBlocks(grpc::ServerContext* context, const v1::StreamBlocksRequest* request,
                                         grpc::ServerWriter<v1::GetBlockResponse>* writer) {
  StreamSlots::Slot slot = streams_.Take(CallerOf(*context));
  if (!slot) {
    return {grpc::StatusCode::RESOURCE_EXHAUSTED,
            "at most " + std::to_string(streams_.max_per_client()) + " block streams per client"};
  }
  const ledger::Ledger& ledger = node_.ledger();
  for (uint64_t height = std::max<uint64_t>(request->from_height(), 1);;) {
    if (context->IsCancelled()) return {grpc::StatusCode::CANCELLED, "the client went away"};
    if (height > ledger.height()) {
      node_.WaitForHeightAbove(height - 1, std::chrono::steady_clock::now() + std::chrono::seconds(1));
      continue;
    }
    auto stored = ledger.GetBlock(height);
    if (!stored.ok()) return ToGrpc(stored.status());
    v1::GetBlockResponse response;
    if (Status filled = FillBlock(ledger, std::move(*stored), &response); !filled.ok()) return ToGrpc(filled);
    // Blocks while the client does not read: back-pressure, nothing skipped.
    if (!writer->Write(response)) return {grpc::StatusCode::CANCELLED, "the client went away"};
    ++height;
  }
}

template <typename Response>
grpc::Status LedgerService::FillStateAt(uint64_t height, const Hash& state_root, Response* response) {
  response->set_height(height);
  response->set_state_root(ToBytes(state_root));
  auto block = node_.ledger().GetBlockHeader(height);
  if (!block.ok()) return ToGrpc(block.status());
  response->set_block_header(block->block.header());
  if (height > 0) {
    auto commit_proof = node_.ledger().CommitProofOf(height);
    if (!commit_proof.ok()) return ToGrpc(commit_proof.status());
    *response->mutable_commit_proof() = std::move(*commit_proof);
  }
  return grpc::Status::OK;
}

grpc::Status LedgerService::GetAccount(grpc::ServerContext*, const v1::GetAccountRequest* request,
                                       v1::GetAccountResponse* response) {
  if (request->address().size() != 20) return ToGrpc(Status::InvalidArgument("address must be 20 bytes"));
  auto view = node_.ledger().GetAccount(request->address());
  if (!view.ok()) return ToGrpc(view.status());
  if (view->account) *response->mutable_account() = *view->account;
  if (grpc::Status at = FillStateAt(view->height, view->state_root, response); !at.ok()) return at;
  v1::AccountProof* proof = response->mutable_proof();
  proof->set_address(request->address());
  proof->set_account(view->account_bytes);
  for (const Hash& sibling : view->proof.siblings) proof->add_siblings(ToBytes(sibling));
  if (view->proof.leaf && view->proof.leaf->first != ledger::StateKey(request->address())) {
    proof->set_other_leaf_key(ToBytes(view->proof.leaf->first));
    proof->set_other_leaf_value_hash(ToBytes(view->proof.leaf->second));
  }
  return grpc::Status::OK;
}

template <typename Response, typename T>
grpc::Status LedgerService::ProveEntry(const Hash& key, Response* response, T* entry) {
  auto view = node_.ledger().ProveStateEntry(key);
  if (!view.ok()) return ToGrpc(view.status());
  if (!view->value.empty() && !entry->ParseFromString(view->value)) {
    return ToGrpc(Status::Corruption("a state entry does not parse"));
  }
  if (grpc::Status at = FillStateAt(view->height, view->state_root, response); !at.ok()) return at;
  v1::StateEntryProof* proof = response->mutable_proof();
  proof->set_key(ToBytes(key));
  proof->set_value(view->value);
  for (const Hash& sibling : view->proof.siblings) proof->add_siblings(ToBytes(sibling));
  if (view->proof.leaf && view->proof.leaf->first != key) {
    proof->set_other_leaf_key(ToBytes(view->proof.leaf->first));
    proof->set_other_leaf_value_hash(ToBytes(view->proof.leaf->second));
  }
  return grpc::Status::OK;
}

grpc::Status LedgerService::GetAsset(grpc::ServerContext*, const v1::GetAssetRequest* request,
                                     v1::GetAssetResponse* response) {
  if (!ledger::IsValidAssetName(request->name())) {
    return ToGrpc(Status::InvalidArgument("an asset name is 1 to 16 characters of A-Z, 0-9"));
  }
  v1::AssetDefinition asset;
  grpc::Status status = ProveEntry(ledger::AssetStateKey(request->name()), response, &asset);
  if (status.ok() && !response->proof().value().empty()) *response->mutable_asset() = std::move(asset);
  return status;
}

grpc::Status LedgerService::GetRecord(grpc::ServerContext*, const v1::GetRecordRequest* request,
                                      v1::GetRecordResponse* response) {
  if (request->account().size() != 20) return ToGrpc(Status::InvalidArgument("account must be 20 bytes"));
  if (request->key().empty() || request->key().size() > ledger::kMaxRecordKeyBytes) {
    return ToGrpc(Status::InvalidArgument("a record key is 1 to " + std::to_string(ledger::kMaxRecordKeyBytes) + " bytes"));
  }
  v1::AccountRecord record;
  grpc::Status status = ProveEntry(ledger::RecordStateKey(request->account(), request->key()), response, &record);
  if (status.ok() && !response->proof().value().empty()) *response->mutable_record() = std::move(record);
  return status;
}

grpc::Status LedgerService::GetRecordHistory(grpc::ServerContext*, const v1::GetRecordHistoryRequest* request,
                                             v1::GetRecordHistoryResponse* response) {
  if (request->limit() > kMaxHistoryPage) {
    return ToGrpc(Status::InvalidArgument("limit is at most " + std::to_string(kMaxHistoryPage)));
  }
  std::optional<v1::RecordHistoryEntry> after;
  if (!request->page_token().empty()) {
    after.emplace();
    if (!after->ParseFromString(request->page_token())) return ToGrpc(Status::InvalidArgument("page_token is not one we gave"));
  }
  auto page = node_.ledger().GetRecordHistory(request->account(), request->key(), after,
                                              request->limit() ? request->limit() : 100);
  if (!page.ok()) return ToGrpc(page.status());
  for (auto& entry : page->entries) *response->add_entries() = std::move(entry);
  if (page->next_after) response->set_next_page_token(page->next_after->SerializeAsString());
  return grpc::Status::OK;
}

grpc::Status LedgerService::GetEpochChanges(grpc::ServerContext*, const v1::EpochChangesRequest* request,
                                            v1::EpochChangesResponse* response) {
  *response = node_.EpochChanges(request->from_epoch());
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
  return ToGrpc(FillBlock(ledger, std::move(*stored), response));
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
  response->set_syncing(status.syncing);
  response->set_best_peer_height(status.best_peer_height);
  response->set_version(status.version);
  response->set_revision(status.revision);
  response->set_base_height(ledger.base_height());
  *response->mutable_retention() = status.retention;
  return grpc::Status::OK;
}

grpc::Status NodeService::GetValidators(grpc::ServerContext*, const v1::GetValidatorsRequest* request,
                                        v1::GetValidatorsResponse* response) {
  const ledger::Ledger& ledger = node_.ledger();
  const v1::GovernanceState governance = ledger.Governance();
  uint64_t epoch = request->has_epoch() ? request->epoch() : governance.epoch();
  if (request->has_height()) {
    auto block = ledger.GetBlock(request->height());
    if (!block.ok()) return ToGrpc(block.status());
    epoch = block->header.epoch();
  }
  auto set = ledger.ValidatorSet(epoch);
  if (!set.ok()) return ToGrpc(set.status());
  auto root = ledger.RootOfEpoch(epoch);
  if (!root.ok()) return ToGrpc(root.status());
  const size_t n = static_cast<size_t>(set->validators_size());
  *response->mutable_validators() = std::move(*set);
  response->set_quorum(static_cast<uint32_t>(crypto::QuorumSize(n)));
  response->set_max_faulty(static_cast<uint32_t>(crypto::MaxFaulty(n)));
  response->set_first_height(root->height + 1);
  *response->mutable_open_proposals() = governance.open();
  response->mutable_governance()->set_admin_threshold(ledger.governance_rules().admin_threshold);
  response->mutable_governance()->set_epoch_length(ledger.governance_rules().epoch_length);
  response->mutable_governance()->set_proposal_lifetime_s(ledger.governance_rules().proposal_lifetime_ms / 1000);
  return grpc::Status::OK;
}

grpc::Status NodeService::GetProposal(grpc::ServerContext*, const v1::GetProposalRequest* request,
                                      v1::ChangeProposal* response) {
  auto proposal = node_.ledger().Proposal(request->id());
  if (!proposal.ok()) return ToGrpc(proposal.status());
  *response = std::move(*proposal);
  return grpc::Status::OK;
}

grpc::Status NodeService::ListEvidence(grpc::ServerContext*, const v1::ListEvidenceRequest* request,
                                       v1::ListEvidenceResponse* response) {
  constexpr uint32_t kDefaultLimit = 100, kMaxLimit = 1000;
  if (request->limit() > kMaxLimit) return ToGrpc(Status::InvalidArgument("limit is at most " + std::to_string(kMaxLimit)));
  auto records = node_.ledger().ListEvidence(request->from_height(), request->limit() ? request->limit() : kDefaultLimit);
  if (!records.ok()) return ToGrpc(records.status());
  for (auto& record : *records) *response->add_records() = std::move(record);
  return grpc::Status::OK;
}

grpc::Status LedgerService::GetAccountHistory(grpc::ServerContext*, const v1::GetAccountHistoryRequest* request,
                                              v1::GetAccountHistoryResponse* response) {
  if (request->address().size() != 20) return ToGrpc(Status::InvalidArgument("address must be 20 bytes"));
  if (request->limit() > kMaxHistoryPage) {
    return ToGrpc(Status::InvalidArgument("limit is at most " + std::to_string(kMaxHistoryPage)));
  }
  std::optional<v1::HistoryEntry> after;
  if (!request->page_token().empty()) {
    after.emplace();
    if (!after->ParseFromString(request->page_token())) return ToGrpc(Status::InvalidArgument("page_token is not one we gave"));
  }
  auto page = node_.ledger().GetAccountHistory(request->address(), after, request->limit() ? request->limit() : 100);
  if (!page.ok()) return ToGrpc(page.status());
  for (auto& entry : page->entries) *response->add_entries() = std::move(entry);
  if (page->next_after) response->set_next_page_token(page->next_after->SerializeAsString());
  return grpc::Status::OK;
}

}  // namespace cairn::rpc

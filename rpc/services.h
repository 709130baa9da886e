// The gRPC services of api.proto over a NodeApi. Synchronous handlers: each request is
// a few ledger reads or one mempool admission.
#pragma once

#include <string>

#include "cairn/v1/api.grpc.pb.h"
#include "rpc/node_api.h"
#include "rpc/client_rate.h"
#include "rpc/stream_slots.h"

namespace cairn::rpc {

// Our status codes map one to one onto gRPC's (crypto/status.h).
grpc::Status ToGrpc(const Status& status);

// SubmitStream uses gRPC's callback API (a reactor per stream, run on gRPC's own
// threads), so that open gateway streams do not each hold a thread of the
// synchronous pool for as long as they last.
class TransactionsService final : public v1::Transactions::WithCallbackMethod_SubmitStream<v1::Transactions::Service> {
 public:
  // `submits_per_second`: each client's rate limit on transactions (ClientRateLimiter),
  // with bursts of twice that.
  TransactionsService(NodeApi& node, int max_streams_per_client, double submits_per_second)
      : node_(node), streams_(max_streams_per_client), submit_rate_(submits_per_second, 2 * submits_per_second) {}
  grpc::Status Submit(grpc::ServerContext*, const v1::SubmitRequest*, v1::SubmitResponse*) override;
  grpc::ServerBidiReactor<v1::SubmitRequest, v1::SubmitStreamResponse>* SubmitStream(
      grpc::CallbackServerContext* context) override;
  grpc::Status GetTransaction(grpc::ServerContext*, const v1::GetTransactionRequest*,
                              v1::GetTransactionResponse*) override;
  grpc::Status WaitForCommit(grpc::ServerContext*, const v1::WaitForCommitRequest*,
                             v1::GetTransactionResponse*) override;

 private:
  NodeApi& node_;
  StreamSlots streams_;
  ClientRateLimiter submit_rate_;
};

class LedgerService final : public v1::Ledger::Service {
 public:
  LedgerService(NodeApi& node, int max_streams_per_client) : node_(node), streams_(max_streams_per_client) {}
  grpc::Status GetBlock(grpc::ServerContext*, const v1::GetBlockRequest*, v1::GetBlockResponse*) override;
  grpc::Status StreamBlocks(grpc::ServerContext*, const v1::StreamBlocksRequest*,
                            grpc::ServerWriter<v1::GetBlockResponse>*) override;
  grpc::Status GetAccount(grpc::ServerContext*, const v1::GetAccountRequest*, v1::GetAccountResponse*) override;
  grpc::Status GetAccountHistory(grpc::ServerContext*, const v1::GetAccountHistoryRequest*,
                                 v1::GetAccountHistoryResponse*) override;
  grpc::Status GetEpochChanges(grpc::ServerContext*, const v1::EpochChangesRequest*, v1::EpochChangesResponse*) override;
  grpc::Status GetAsset(grpc::ServerContext*, const v1::GetAssetRequest*, v1::GetAssetResponse*) override;
  grpc::Status GetRecord(grpc::ServerContext*, const v1::GetRecordRequest*, v1::GetRecordResponse*) override;
  grpc::Status GetRecordHistory(grpc::ServerContext*, const v1::GetRecordHistoryRequest*,
                                v1::GetRecordHistoryResponse*) override;

 private:
  // A state answer's height, state root, block header and commit proof (GetAccount's
  // shape).
  template <typename Response>
  grpc::Status FillStateAt(uint64_t height, const Hash& state_root, Response* response);
  // The head's entry under `key` into a response of GetAsset's shape: T the entry's type.
  template <typename Response, typename T>
  grpc::Status ProveEntry(const Hash& key, Response* response, T* entry);

  NodeApi& node_;
  StreamSlots streams_;
};

class NodeService final : public v1::Node::Service {
 public:
  explicit NodeService(NodeApi& node) : node_(node) {}
  grpc::Status GetStatus(grpc::ServerContext*, const v1::GetStatusRequest*, v1::GetStatusResponse*) override;
  grpc::Status GetValidators(grpc::ServerContext*, const v1::GetValidatorsRequest*, v1::GetValidatorsResponse*) override;
  grpc::Status GetProposal(grpc::ServerContext*, const v1::GetProposalRequest*, v1::ChangeProposal*) override;
  grpc::Status ListEvidence(grpc::ServerContext*, const v1::ListEvidenceRequest*, v1::ListEvidenceResponse*) override;
  grpc::Status GetConsensusState(grpc::ServerContext*, const v1::GetConsensusStateRequest*,
                                 v1::GetConsensusStateResponse* response) override {
    *response = node_.ConsensusState();
    return grpc::Status::OK;
  }

 private:
  NodeApi& node_;
};

}  // namespace cairn::rpc

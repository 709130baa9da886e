// Incoming messages: each is checked completely (sanitize) before it touches any state
// (process). A message that fails a check is dropped and counted; it never stops the
// replica.
#include "consensus/replica.h"

namespace cairn::consensus {

Actions Replica::OnMessage(uint32_t from, const v1::ConsensusMessage& message, uint64_t now_ms) {
  return Run(now_ms, [&] {
    if (!config_.context.committee.Contains(from)) return Reject(Status::InvalidArgument("message from a non-validator"));
    switch (message.kind_case()) {
      case v1::ConsensusMessage::kProposal: return ProcessProposal(from, message.proposal());
      case v1::ConsensusMessage::kVote: {
        Status checked = CheckVote(message.vote());
        if (!checked.ok()) return Reject(checked.Annotate("vote"));
        if (auto evidence = equivocations_.OnVote(message.vote())) out_->push_back(EvidenceAction{std::move(*evidence)});
        return ProcessVote(message.vote());
      }
      case v1::ConsensusMessage::kTimeout: {
        Status checked = CheckTimeout(message.timeout());
        if (!checked.ok()) return Reject(checked.Annotate("timeout"));
        return ProcessTimeout(from, message.timeout());
      }
      case v1::ConsensusMessage::kBlockRequest: return ProcessBlockRequest(from, message.block_request());
      case v1::ConsensusMessage::kBlockResponse: return ProcessBlockResponse(from, message.block_response());
      case v1::ConsensusMessage::KIND_NOT_SET: break;
    }
    Reject(Status::InvalidArgument("empty consensus message"));
  });
}

Status Replica::CheckProposal(const v1::Proposal& proposal, v1::BlockHeader* header) {
  const Context& context = config_.context;
  if (!header->ParseFromString(proposal.block().header())) return Status::InvalidArgument("header does not parse");
  const uint64_t round = header->round();
  if (header->epoch() != context.committee.epoch()) return Status::InvalidArgument("wrong epoch");
  if (round > current_round_ + config_.round_window) return Status::InvalidArgument("round too far ahead");
  // Whether the proposer leads the round depends on the parent's chain, checked once the
  // parent is here (Replica::CheckLeader); its signature can be checked now.
  if (!context.committee.Contains(header->proposer())) return Status::InvalidArgument("proposer is not a validator");
  Hash hash = crypto::BlockHash(context.chain_id, proposal.block().header());
  if (!verifier_.Verify(context.committee.key(header->proposer()), ProposalMessage(context, hash), proposal.signature())) {
    return Status::InvalidArgument("proposal signature is invalid");
  }
  const v1::QuorumCertificate& qc = proposal.block().parent_qc();
  CAIRN_RETURN_IF_ERROR(VerifyQc(context, qc, verifier_).Annotate("parent certificate"));
  if (qc.block_hash() != header->parent_hash()) return Status::InvalidArgument("parent certificate is for another block");
  const bool has_tc = proposal.has_last_round_tc();
  if (has_tc) CAIRN_RETURN_IF_ERROR(VerifyTc(context, proposal.last_round_tc(), verifier_).Annotate("timeout certificate"));
  // The proposal must show how its round was entered.
  if (round != qc.round() + 1 && !(has_tc && round == proposal.last_round_tc().round() + 1)) {
    return Status::InvalidArgument("round is justified by neither its certificate nor a timeout certificate");
  }
  return Status::Ok();
}

void Replica::ProcessProposal(uint32_t from, const v1::Proposal& proposal) {
  v1::BlockHeader header;
  Status checked = CheckProposal(proposal, &header);
  if (!checked.ok()) return Reject(checked.Annotate("proposal"));
  if (auto evidence = equivocations_.OnProposal(proposal.block().header(), header.round(), header.proposer(),
                                                proposal.signature())) {
    out_->push_back(EvidenceAction{std::move(*evidence)});
  }
  ProcessQc(proposal.block().parent_qc(), from);
  std::optional<v1::TimeoutCertificate> tc;
  if (proposal.has_last_round_tc()) {
    tc = proposal.last_round_tc();
    ProcessTc(*tc);
  }
  HandleBlock({proposal.block(), std::move(tc), true, from});
}

Status Replica::CheckVote(const v1::Vote& vote) {
  const Context& context = config_.context;
  if (vote.epoch() != context.committee.epoch()) return Status::InvalidArgument("wrong epoch");
  if (!context.committee.Contains(vote.voter())) return Status::InvalidArgument("voter is not a validator");
  if (vote.block_hash().size() != 32 || (!vote.commit_hash().empty() && vote.commit_hash().size() != 32)) {
    return Status::InvalidArgument("hashes must be 32 bytes");
  }
  if (vote.round() == 0 || vote.round() > current_round_ + config_.round_window) {
    return Status::InvalidArgument("round outside the window");
  }
  if (!verifier_.Verify(context.committee.key(vote.voter()), VoteMessage(context, StatementOf(vote)), vote.signature())) {
    return Status::InvalidArgument("signature is invalid");
  }
  return Status::Ok();
}

void Replica::ProcessVote(const v1::Vote& vote) {
  // Every validator gathers the votes (they are broadcast), while they can matter.
  if (!config_.self || vote.round() + 1 < current_round_) return;
  std::optional<v1::QuorumCertificate> qc = votes_.Add(vote, config_.context.committee);
  if (qc) ProcessQc(*qc, vote.voter());
}

Status Replica::CheckTimeout(const v1::Timeout& timeout) {
  const Context& context = config_.context;
  if (timeout.epoch() != context.committee.epoch()) return Status::InvalidArgument("wrong epoch");
  if (!context.committee.Contains(timeout.sender())) return Status::InvalidArgument("sender is not a validator");
  if (timeout.round() > current_round_ + config_.round_window) return Status::InvalidArgument("round too far ahead");
  if (timeout.high_qc().round() >= timeout.round()) return Status::InvalidArgument("high_qc is not below the round");
  if (!verifier_.Verify(context.committee.key(timeout.sender()),
                        TimeoutMessage(context, timeout.round(), timeout.high_qc().round()), timeout.signature())) {
    return Status::InvalidArgument("signature is invalid");
  }
  CAIRN_RETURN_IF_ERROR(VerifyQc(context, timeout.high_qc(), verifier_).Annotate("high_qc"));
  if (timeout.has_last_round_tc()) {
    CAIRN_RETURN_IF_ERROR(VerifyTc(context, timeout.last_round_tc(), verifier_).Annotate("last_round_tc"));
  }
  return Status::Ok();
}

void Replica::ProcessTimeout(uint32_t from, const v1::Timeout& timeout) {
  ProcessQc(timeout.high_qc(), from);
  if (timeout.has_last_round_tc()) ProcessTc(timeout.last_round_tc());
  if (timeout.round() < current_round_) return;
  TimeoutCollector::Added added = timeouts_.Add(timeout, config_.context.committee);
  // f+1 timeouts mean at least one honest replica gave up on this round: join it, so
  // that a TC forms even if our own timer is slower.
  if (timeout.round() == current_round_ && added.count >= config_.context.committee.validity() && !my_timeout_) {
    LocalTimeout();
  }
  if (added.certificate) ProcessTc(*added.certificate);
}

void Replica::ProcessBlockRequest(uint32_t from, const v1::BlockRequest& request) {
  auto hash = HashFromBytes(request.block_hash());
  if (!hash.ok()) return Reject(hash.status().Annotate("block request"));
  std::optional<v1::Block> block;
  if (const TreeBlock* in_tree = tree_.Get(*hash)) {
    block = in_tree->block;
  } else {
    block = engine_.FindCommitted(*hash);
  }
  if (!block) return;
  v1::ConsensusMessage message;
  *message.mutable_block_response()->mutable_block() = std::move(*block);
  out_->push_back(SendAction{from, std::move(message)});
}

void Replica::ProcessBlockResponse(uint32_t from, const v1::BlockResponse& response) {
  const v1::Block& block = response.block();
  const Hash hash = crypto::BlockHash(config_.context.chain_id, block.header());
  // Only blocks we asked for: an unsolicited block costs us nothing but this lookup.
  if (requested_.count(hash) == 0) return;
  v1::BlockHeader header;
  if (!header.ParseFromString(block.header())) return Reject(Status::InvalidArgument("fetched block header does not parse"));
  Status qc_ok = VerifyQc(config_.context, block.parent_qc(), verifier_);
  if (!qc_ok.ok()) return Reject(qc_ok.Annotate("fetched block's parent certificate"));
  if (block.parent_qc().block_hash() != header.parent_hash()) {
    return Reject(Status::InvalidArgument("fetched block's parent certificate is for another block"));
  }
  HandleBlock({block, std::nullopt, false, from});
}

}  // namespace cairn::consensus

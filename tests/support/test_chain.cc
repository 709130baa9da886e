#include "tests/support/test_chain.h"

#include "crypto/check.h"
#include "crypto/domain.h"
#include "crypto/quorum.h"
#include "crypto/sha256.h"
#include "ledger/genesis.h"
#include "ledger/governance.h"
#include "ledger/tx_check.h"

namespace cairn::test {

Bytes SeedFromLabel(const std::string& label) { return ToBytes(crypto::Sha256Of("cairn-test-key/" + label)); }

crypto::PrivateKey KeyFromLabel(const std::string& label) { return crypto::PrivateKey::FromSeed(SeedFromLabel(label)).value(); }

namespace {
void AddAccount(v1::Genesis* genesis, const crypto::PrivateKey& key, v1::Role role,
                const std::string& asset, uint64_t balance) {
  auto* account = genesis->add_accounts();
  account->set_public_key(key.public_key().hex());
  account->set_role(role);
  if (balance > 0) {
    auto* b = account->add_balances();
    b->set_asset(asset);
    b->set_amount(balance);
  }
}
}  // namespace

TestChain::TestChain(TestChainOptions options)
    : options_(std::move(options)), admin_(KeyFromLabel("admin")), issuer_(KeyFromLabel("issuer")) {
  genesis_.set_chain_id(options_.chain_id);
  genesis_.set_genesis_time_ms(1'700'000'000'000);
  if (options_.admin_threshold > 0) genesis_.mutable_governance()->set_admin_threshold(options_.admin_threshold);
  if (options_.epoch_length > 0) genesis_.mutable_governance()->set_epoch_length(options_.epoch_length);
  if (options_.proposal_lifetime_s > 0) {
    genesis_.mutable_governance()->set_proposal_lifetime_s(options_.proposal_lifetime_s);
  }
  for (int i = 0; i < options_.validators + options_.spare_validators; ++i) {
    validators_.push_back(KeyFromLabel(options_.validator_key_label + std::to_string(i)));
    if (i >= options_.validators) continue;
    auto* v = genesis_.add_validators();
    v->set_name("validator-" + std::to_string(i));
    v->set_public_key(validators_.back().public_key().hex());
    v->set_address("127.0.0.1:" + std::to_string(26000 + 3 * i));
  }
  AddAccount(&genesis_, admin_, v1::ROLE_ADMIN, options_.asset, 0);
  AddAccount(&genesis_, issuer_, v1::ROLE_ISSUER, options_.asset, 0);
  for (int i = 0; i < options_.users; ++i) {
    users_.push_back(KeyFromLabel("user-" + std::to_string(i)));
    AddAccount(&genesis_, users_.back(), v1::ROLE_USER, options_.asset, options_.user_balance);
  }
  if (options_.commit_closed_proposals) genesis_.mutable_governance()->set_commit_closed_proposals(true);
  if (options_.asset_registry) {
    genesis_.set_asset_registry(true);
    v1::GenesisAsset* asset = genesis_.add_assets();
    asset->set_name(options_.asset);
    asset->set_precision(2);
    asset->add_issuers(issuer_.public_key().hex());
  }
}

Bytes TestChain::AddressOf(const crypto::PrivateKey& key) {
  return crypto::AddressOf(key.public_key().bytes());
}

v1::Transaction TestChain::Sign(const crypto::PrivateKey& from, uint64_t nonce,
                                v1::TxBody body) const {
  body.set_chain_id(options_.chain_id);
  body.set_nonce(nonce);
  return ledger::SignTransaction(from, body);
}

v1::Transaction TestChain::Transfer(const crypto::PrivateKey& from, uint64_t nonce,
                                    const crypto::PrivateKey& to, uint64_t amount) const {
  v1::TxBody body;
  body.mutable_transfer()->set_to(AddressOf(to));
  body.mutable_transfer()->set_asset(options_.asset);
  body.mutable_transfer()->set_amount(amount);
  return Sign(from, nonce, std::move(body));
}

const crypto::PrivateKey& TestChain::KeyOf(ByteView public_key) const {
  for (const crypto::PrivateKey& key : validators_) {
    if (key.public_key().bytes() == public_key) return key;
  }
  CAIRN_CHECK(false && "a validator key this chain did not make");
}

v1::QuorumCertificate TestChain::SignStatement(v1::QuorumCertificate qc, const v1::ValidatorSet& set,
                                               const std::vector<uint32_t>& signers) const {
  crypto::VoteStatement vote{.epoch = qc.epoch(), .round = qc.round(), .height = qc.height(),
                             .block_hash = qc.block_hash(), .commit_hash = qc.commit_hash()};
  Bytes message = crypto::DomainMessage(crypto::Purpose::kVote, options_.chain_id, vote.Payload());
  qc.clear_signatures();
  for (uint32_t i : signers) {
    auto* sig = qc.add_signatures();
    sig->set_validator_index(i);
    sig->set_signature(KeyOf(set.validators(static_cast<int>(i)).public_key()).Sign(message));
  }
  return qc;
}

v1::QuorumCertificate TestChain::Certify(const v1::Block& block, ByteView commit_hash,
                                         const v1::ValidatorSet& set) const {
  v1::BlockHeader header;
  header.ParseFromString(block.header());
  v1::QuorumCertificate qc;
  qc.set_epoch(header.epoch());
  qc.set_round(header.round());
  qc.set_height(header.height());
  qc.set_block_hash(ToBytes(crypto::BlockHash(options_.chain_id, block.header())));
  qc.set_commit_hash(Bytes(commit_hash));
  std::vector<uint32_t> signers;
  for (uint32_t i = 0; i < crypto::QuorumSize(static_cast<size_t>(set.validators_size())); ++i) signers.push_back(i);
  return SignStatement(std::move(qc), set, signers);
}

v1::QuorumCertificate TestChain::Certify(const v1::Block& block, ByteView commit_hash) const {
  return Certify(block, commit_hash, ledger::BuildGenesisState(genesis_).validators);
}

v1::QuorumCertificate TestChain::FinalityOf(const v1::Block& block, const v1::ValidatorSet& set) const {
  v1::BlockHeader header;
  header.ParseFromString(block.header());
  const Hash hash = crypto::BlockHash(options_.chain_id, block.header());
  v1::QuorumCertificate qc;
  qc.set_epoch(header.epoch());
  qc.set_round(header.round() + 1);
  qc.set_height(header.height() + 1);
  qc.set_block_hash(ToBytes(crypto::Sha256Of("a child of " + ToHex(hash))));
  qc.set_commit_hash(ToBytes(hash));
  std::vector<uint32_t> signers;
  for (uint32_t i = 0; i < crypto::QuorumSize(static_cast<size_t>(set.validators_size())); ++i) signers.push_back(i);
  return SignStatement(std::move(qc), set, signers);
}

Result<v1::QuorumCertificate> TestChain::HeadCertificate(const ledger::Ledger& ledger) const {
  CAIRN_ASSIGN_OR_RETURN(auto start, ledger.StartOfConsensus());
  return start.head_qc;
}

Result<ledger::BlockTemplate> TestChain::NextTemplate(const ledger::Ledger& ledger,
                                                      const google::protobuf::RepeatedPtrField<v1::Transaction>& txs) const {
  ledger::BlockTemplate t;
  CAIRN_ASSIGN_OR_RETURN(t.parent_qc, HeadCertificate(ledger));
  const v1::GovernanceState governance = ledger.Governance();
  t.epoch = governance.epoch();
  t.round = t.parent_qc.round() + 1;
  t.timestamp_ms = ledger.head_header().timestamp_ms() + 1000;
  t.proposer = static_cast<uint32_t>(t.round % static_cast<uint64_t>(governance.validators().validators_size()));
  t.transactions = txs;
  return t;
}

Status TestChain::CommitBlock(ledger::Ledger& ledger, const google::protobuf::RepeatedPtrField<v1::Transaction>& txs,
                              bool with_finality, std::vector<v1::Evidence> evidence) const {
  CAIRN_ASSIGN_OR_RETURN(ledger::BlockTemplate t, NextTemplate(ledger, txs));
  const v1::GovernanceState governance = ledger.Governance();
  t.evidence = std::move(evidence);
  CAIRN_ASSIGN_OR_RETURN(ledger::ExecutedBlock executed, ledger.ProposeBlock(t));
  // A certificate states its parent committed when their rounds are consecutive.
  const bool consecutive = t.parent_qc.round() > 0;
  const Bytes commit_hash = consecutive ? ToBytes(ledger.head_hash()) : Bytes();
  const v1::QuorumCertificate certificate = Certify(executed.block, commit_hash, governance.validators());
  if (!executed.ends_epoch() && !with_finality) return ledger.Commit(executed, certificate);
  const v1::QuorumCertificate finality = FinalityOf(executed.block, governance.validators());
  return ledger.Commit(executed, certificate, &finality);
}

v1::Evidence TestChain::DoubleVote(const v1::ValidatorSet& set, uint32_t voter, uint64_t round, uint64_t height) const {
  v1::Evidence evidence;
  for (v1::Vote* vote : {evidence.mutable_double_vote()->mutable_first(), evidence.mutable_double_vote()->mutable_second()}) {
    const bool first = vote == &evidence.double_vote().first();
    vote->set_epoch(set.epoch());
    vote->set_round(round);
    vote->set_height(height);
    vote->set_block_hash(ToBytes(crypto::Sha256Of(first ? "one block" : "another block")));
    vote->set_voter(voter);
    crypto::VoteStatement statement{.epoch = set.epoch(), .round = round, .height = height, .block_hash = vote->block_hash()};
    vote->set_signature(KeyOf(set.validators(static_cast<int>(voter)).public_key())
                            .Sign(crypto::DomainMessage(crypto::Purpose::kVote, chain_id(), statement.Payload())));
  }
  return evidence;
}

Status TestChain::CommitEmptyBlocksTo(ledger::Ledger& ledger, uint64_t multiple) const {
  while (ledger.height() % multiple != 0) CAIRN_RETURN_IF_ERROR(CommitBlock(ledger, {}));
  return Status::Ok();
}

Status TestChain::CommitSetChange(ledger::Ledger& ledger, v1::TxBody change, uint64_t* admin_nonce) const {
  const uint64_t epoch = ledger.epoch();
  google::protobuf::RepeatedPtrField<v1::Transaction> txs;
  *txs.Add() = Sign(admin_, ++*admin_nonce, std::move(change));
  CAIRN_RETURN_IF_ERROR(CommitBlock(ledger, txs));
  for (int blocks = 0; ledger.epoch() == epoch; ++blocks) {
    if (blocks > 1000) return Status::Internal("the change never took effect");
    CAIRN_RETURN_IF_ERROR(CommitBlock(ledger, {}));
  }
  return Status::Ok();
}

v1::TxBody TestChain::KeyRotation(const std::string& name, const crypto::PrivateKey& old_key,
                                  const crypto::PrivateKey& new_key, uint64_t epoch) const {
  v1::TxBody body;
  v1::RotateValidatorKey* rotation = body.mutable_rotate_validator_key();
  rotation->set_name(name);
  rotation->set_new_public_key(Bytes(new_key.public_key().bytes()));
  const Bytes statement = ledger::KeyRotationMessage(chain_id(), name, epoch, rotation->new_public_key());
  rotation->set_old_key_signature(old_key.Sign(statement));
  rotation->set_new_key_signature(new_key.Sign(statement));
  return body;
}

}  // namespace cairn::test

// A small chain for tests and benchmarks: deterministic validator and account keys, a
// genesis, transaction builders, and certificates signed by a real quorum, so that
// tests exercise the same bytes a network would produce.
#pragma once

#include <string>
#include <vector>

#include "cairn/v1/block.pb.h"
#include "cairn/v1/genesis.pb.h"
#include "crypto/ed25519.h"
#include "ledger/ledger.h"

namespace cairn::test {

// A key derived from a label: the same label gives the same key in every run.
crypto::PrivateKey KeyFromLabel(const std::string& label);
// The seed that key is made from (for tests that build signatures by hand).
Bytes SeedFromLabel(const std::string& label);

struct TestChainOptions {
  std::string chain_id = "cairn-test";
  int validators = 4;
  int users = 8;
  uint64_t user_balance = 1'000'000;
  std::string asset = "CAIRN";
  // A genesis that keeps an asset registry, defining `asset` (precision 2, the issuer
  // account its issuer); false: the flat rule of chains made before the registry.
  bool asset_registry = false;
  // Genesis governance parameters (0: the defaults).
  uint32_t admin_threshold = 0;
  uint64_t epoch_length = 0;
  uint64_t proposal_lifetime_s = 0;
  // A governance state that commits to closed proposals (GovernanceParams
  // commit_closed_proposals); false: as every genesis written before it.
  bool commit_closed_proposals = false;
  // Validator keys made beyond the genesis set, for tests that add validators.
  int spare_validators = 4;
  // What the validators' keys are derived from, with their index: another label makes
  // another chain's validators.
  std::string validator_key_label = "validator-";
};

class TestChain {
 public:
  explicit TestChain(TestChainOptions options = {});

  const v1::Genesis& genesis() const { return genesis_; }
  const std::string& chain_id() const { return options_.chain_id; }
  const crypto::PrivateKey& validator(int i) const { return validators_[i]; }
  // A validator key outside the genesis set ("validator-<n + i>").
  const crypto::PrivateKey& spare_validator(int i) const { return validators_[options_.validators + i]; }
  const crypto::PrivateKey& admin() const { return admin_; }
  const crypto::PrivateKey& issuer() const { return issuer_; }
  const crypto::PrivateKey& user(int i) const { return users_[i]; }
  int user_count() const { return static_cast<int>(users_.size()); }
  static Bytes AddressOf(const crypto::PrivateKey& key);

  // A signed transaction from `from` with the given nonce.
  v1::Transaction Transfer(const crypto::PrivateKey& from, uint64_t nonce,
                           const crypto::PrivateKey& to, uint64_t amount) const;
  v1::Transaction Sign(const crypto::PrivateKey& from, uint64_t nonce, v1::TxBody body) const;

  // A certificate for `block` signed by the first QuorumSize(n) validators of the genesis
  // set, stating `commit_hash` (the parent's hash when the block is of the round after
  // its parent's).
  v1::QuorumCertificate Certify(const v1::Block& block, ByteView commit_hash = {}) const;
  // The same, signed by the first quorum of `set` (the set of the block's epoch).
  v1::QuorumCertificate Certify(const v1::Block& block, ByteView commit_hash, const v1::ValidatorSet& set) const;
  // Signs a vote statement as the validators of `set` at `signers` (indexes), each with
  // its own key, or with `key_of[index]` when given (to forge a signer).
  v1::QuorumCertificate SignStatement(v1::QuorumCertificate qc, const v1::ValidatorSet& set,
                                      const std::vector<uint32_t>& signers) const;

  // Proposes the next block on `ledger`'s head with `txs` (in the round after the
  // head's, or round 1 of a new epoch), certifies it with the set of its epoch (stating
  // the head as committed) and commits it; the last block of an epoch, or any with
  // `with_finality`, also gets its finality certificate (as a node's head committed
  // directly has). `evidence` is offered to the proposer (BlockTemplate::evidence).
  Status CommitBlock(ledger::Ledger& ledger, const google::protobuf::RepeatedPtrField<v1::Transaction>& txs,
                     bool with_finality = false, std::vector<v1::Evidence> evidence = {}) const;
  // The template of the next block on `ledger`'s head with `txs`, as CommitBlock proposes.
  Result<ledger::BlockTemplate> NextTemplate(const ledger::Ledger& ledger,
                                             const google::protobuf::RepeatedPtrField<v1::Transaction>& txs) const;
  // Commits empty blocks until the head's height is a multiple of `multiple`.
  Status CommitEmptyBlocksTo(ledger::Ledger& ledger, uint64_t multiple) const;
  // Commits `change` (a governance operation) signed by the admin with nonce
  // ++*admin_nonce, then empty blocks until the next epoch has begun.
  Status CommitSetChange(ledger::Ledger& ledger, v1::TxBody change, uint64_t* admin_nonce) const;
  // The operation that moves validator `name` from `old_key` to `new_key` (both sign it),
  // to take effect after `epoch`.
  v1::TxBody KeyRotation(const std::string& name, const crypto::PrivateKey& old_key, const crypto::PrivateKey& new_key,
                         uint64_t epoch) const;
  // The certificate of the head block (the epoch-start certificate at an epoch's root).
  Result<v1::QuorumCertificate> HeadCertificate(const ledger::Ledger& ledger) const;
  // A certificate of `block`'s epoch naming it in commit_hash, as its child's would.
  v1::QuorumCertificate FinalityOf(const v1::Block& block, const v1::ValidatorSet& set) const;
  // Equivocation evidence: two votes that `set`'s validator `voter` signed in `round` of
  // `set`'s epoch for two different blocks at `height`.
  v1::Evidence DoubleVote(const v1::ValidatorSet& set, uint32_t voter, uint64_t round, uint64_t height) const;

 private:
  const crypto::PrivateKey& KeyOf(ByteView public_key) const;

  TestChainOptions options_;
  std::vector<crypto::PrivateKey> validators_;
  crypto::PrivateKey admin_;
  crypto::PrivateKey issuer_;
  std::vector<crypto::PrivateKey> users_;
  v1::Genesis genesis_;
};

}  // namespace cairn::test

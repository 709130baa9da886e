// The invariants, checked on every commit of every instance that runs the replica's own
// code (Scenario::ChecksCommits: honest instances and twins):
//  - agreement: no two of them commit different blocks at one height;
//  - prefix: each chain grows by exactly one height at a time from genesis, so with
//    agreement each is a prefix of the longest;
//  - certificates: every committed block comes with a valid certificate for it, and
//    every commit with a valid certificate whose commit_hash names its last block. The
//    checker reads certificates with its own code, not the replica's, so that a bug in
//    one cannot blind the other;
// and, after stabilisation, liveness: every honest instance keeps committing.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cairn/v1/block.pb.h"
#include "consensus/certificates.h"
#include "crypto/verifier.h"

namespace cairn::sim {

class Checker {
 public:
  // `names[i]` says who instance i is, for the violations' messages.
  Checker(std::string chain_id, crypto::SignatureVerifier& verifier, std::vector<std::string> names);

  // Records a commit by `instance` at `now_ms`; unless `checked`, it is ignored.
  // `epoch` is the context of the block's epoch (its validator set). Returns the
  // violation, if any.
  std::optional<std::string> OnCommit(int instance, bool checked, const v1::Block& block,
                                      const v1::QuorumCertificate& certificate, uint64_t now_ms,
                                      const consensus::Context& epoch);

  // Checks the certificate that committed blocks up to `last`.
  std::optional<std::string> OnFinality(int instance, const v1::Block& last, const v1::QuorumCertificate& finality,
                                        const consensus::Context& epoch);

  uint64_t height(int instance) const { return height_[instance]; }
  uint64_t last_commit_ms(int instance) const { return last_commit_ms_[instance]; }
  uint64_t max_height() const { return max_height_; }
  uint64_t commits() const { return commits_; }

 private:
  // What makes `qc` a certificate of `epoch`'s set, checked apart from
  // consensus::VerifyQc: its epoch is the set's; its signers are distinct members, more
  // than two thirds of the set; each signed the vote statement (crypto/domain.h).
  std::optional<std::string> CheckQuorum(const consensus::Context& epoch, const v1::QuorumCertificate& qc) const;

  std::string chain_id_;
  crypto::SignatureVerifier& verifier_;
  std::vector<std::string> names_;
  struct FirstCommit {
    Hash hash;
    int instance;
  };
  std::map<uint64_t, FirstCommit> canonical_;  // height -> the first commit of it
  std::vector<uint64_t> height_;
  std::vector<uint64_t> last_commit_ms_;
  uint64_t max_height_ = 0;
  uint64_t commits_ = 0;
};

}  // namespace cairn::sim

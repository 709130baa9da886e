// The invariants, checked on every commit of every honest instance:
//  - agreement: no two honest instances commit different blocks at one height;
//  - prefix: each honest chain grows by exactly one height at a time from genesis, so
//    with agreement each is a prefix of the longest;
//  - certificates: every committed block comes with a valid certificate for it, and
//    every commit with a valid certificate whose commit_hash names its last block;
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
  Checker(std::string chain_id, crypto::SignatureVerifier& verifier, int instances);

  // Records a commit by `instance` at `now_ms`; commits of faulty instances are ignored.
  // `epoch` is the context of the block's epoch (its validator set). Returns the
  // violation, if any.
  std::optional<std::string> OnCommit(int instance, bool honest, const v1::Block& block,
                                      const v1::QuorumCertificate& certificate, uint64_t now_ms,
                                      const consensus::Context& epoch);

  // Checks the certificate that committed blocks up to `last` (by an honest instance).
  std::optional<std::string> OnFinality(int instance, const v1::Block& last, const v1::QuorumCertificate& finality,
                                        const consensus::Context& epoch);

  uint64_t height(int instance) const { return height_[instance]; }
  uint64_t last_commit_ms(int instance) const { return last_commit_ms_[instance]; }
  uint64_t max_height() const { return max_height_; }
  uint64_t commits() const { return commits_; }

 private:
  std::string chain_id_;
  crypto::SignatureVerifier& verifier_;
  std::map<uint64_t, Hash> canonical_;  // height -> the hash the first honest commit chose
  std::vector<uint64_t> height_;
  std::vector<uint64_t> last_commit_ms_;
  uint64_t max_height_ = 0;
  uint64_t commits_ = 0;
};

}  // namespace cairn::sim

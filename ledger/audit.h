// Audit: verify a chain from its genesis file without trusting whoever stored it. Every
// block is replayed on a fresh in-memory ledger: the hash chain, each block's
// certificate (a quorum of distinct validators of its epoch's set, valid signatures),
// each set change and the finality of each epoch's last block, equivocation evidence,
// every transaction's checks and signature, the transactions, receipts and state roots
// by re-execution. Given the store itself (a node's data directory), it also compares
// what the node kept (receipts, account records, head) with what the replay computed,
// so a record tampered behind the chain's back is caught too.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "cairn/v1/block.pb.h"
#include "cairn/v1/genesis.pb.h"
#include "cairn/v1/state.pb.h"
#include "crypto/verifier.h"
#include "ledger/kv_store.h"

namespace cairn::ledger {

class Ledger;

// Where the audited blocks come from.
class AuditSource {
 public:
  virtual ~AuditSource() = default;
  // The block at `height` (>= 1) with its certificate, or nullopt past the head.
  virtual Result<std::optional<std::pair<v1::Block, v1::QuorumCertificate>>> Get(uint64_t height) = 0;
  // A certificate whose commit_hash names the block at `height`, if the source has one.
  virtual Result<std::optional<v1::QuorumCertificate>> Finality(uint64_t height) = 0;
};

// A node's data directory, read record by record (no Ledger::Open: nothing in it is
// trusted).
class StoreAuditSource : public AuditSource {
 public:
  explicit StoreAuditSource(const KvStore& store) : store_(store) {}
  Result<std::optional<std::pair<v1::Block, v1::QuorumCertificate>>> Get(uint64_t height) override;
  Result<std::optional<v1::QuorumCertificate>> Finality(uint64_t height) override;

 private:
  const KvStore& store_;
};

// Checks a certificate against the validator set of its epoch (consensus's VerifyQc,
// passed in because ledger/ does not depend on consensus/).
using CertificateCheck = std::function<Status(const v1::QuorumCertificate&, const v1::ValidatorSet&)>;

struct AuditReport {
  uint64_t blocks = 0;
  uint64_t transactions = 0;
  bool head_proven_final = false;  // a certificate names the last block as committed
  uint64_t epochs = 1;             // validator sets the chain went through (genesis's is the first)
  uint64_t evidence = 0;           // pieces of equivocation evidence, re-checked by the replay
  // A ledger that joined by state sync is replayed from its base (node/base_audit.h):
  // its height, and the accounts of the state there, checked against its header.
  uint64_t base_height = 0;
  uint64_t base_accounts = 0;
  // A ledger that prunes is checked header by header from genesis and body by body from
  // its retained range, not replayed (node/pruned_audit.h): where its bodies start, and
  // the accounts of the state at its head, checked against the head's state root.
  uint64_t retained_from = 0;
  uint64_t state_accounts = 0;
  // Closed proposals such a ledger holds that nothing it keeps proves: on a chain whose
  // genesis predates the governance state's digest of them.
  uint64_t unproven_closed_proposals = 0;
  double seconds = 0;
};

// An audit's failure: CORRUPTION "height H: <check>: detail".
Status AuditFailure(uint64_t height, const std::string& check, const std::string& detail);

// Why a ledger that joined by state sync (state_base.h) cannot be audited from genesis:
// it holds no block below its base (FAILED_PRECONDITION).
Status BaseRefusal(uint64_t base);

// Replays every block of `source`. A failure is CORRUPTION "height H: <check>: detail",
// the first one found. `stored`, when given, is the store the blocks came from, and its
// own records are compared with the replay. A base ledger is refused (BaseRefusal).
Result<AuditReport> AuditChain(const v1::Genesis& genesis, AuditSource& source, const CertificateCheck& check,
                               const KvStore* stored = nullptr);

// AuditChain's replay, from wherever `replay` (a ledger on the store `replayed`, built
// from checked parts only) stands: the blocks of `source` above its head, then the head
// and the state tree compared with `stored`'s when given. `signatures` is the cache
// `replay` verifies with. Counts into `report`.
Status ReplayBlocks(const v1::Genesis& genesis, Ledger& replay, const KvStore& replayed, AuditSource& source,
                    const CertificateCheck& check, crypto::CachingVerifier& signatures, const KvStore* stored,
                    AuditReport* report);

// Every record of `stored` against the replay's (`replayed`, by `replay`), byte for
// byte, but those a node keeps for itself (audit.cc says which). `joined`: the ledger
// joined by state sync, so its tree begins at its base (not a store converted from
// format 1, whose tree begins at the conversion).
Status CompareWholeStore(const KvStore& stored, const KvStore& replayed, const Ledger& replay,
                         const CertificateCheck& check, bool joined);

}  // namespace cairn::ledger

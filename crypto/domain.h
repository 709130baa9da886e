// Domain separation: every hash and signature in Cairn names its purpose and the chain
// (architecture rule 1), so that bytes signed for one purpose or one chain can never be
// replayed as another.
//
// Layout of a domain-separated message (fixed; auditors in other languages rebuild it):
//   "cairn/" tag "/v1" 0x00 || u32be(len(chain_id)) || chain_id || payload
// A domain hash is SHA-256 of that message. A signature is Ed25519 over that message.
//
// This file owns every signed or hashed layout, so that no two modules can disagree on
// the bytes. It knows the shapes of the statements (scalars and digests), not blocks.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <string_view>

#include "crypto/bytes.h"

namespace cairn::crypto {

enum class Purpose {
  kTransaction,    // a transaction's signature and its hash
  kAddress,        // an account address from a public key (chain-independent)
  kBlockHeader,    // a block's hash
  kVote,           // a vote statement; certificates aggregate these signatures
  kTimeout,        // a timeout statement
  kProposal,       // a leader's signature on a proposed block
  kReceipt,        // a receipt's hash (leaf of the receipts root)
  kGenesis,        // the hash of the genesis document
  kAccountLeaf,    // a state-tree leaf's value hash
  kGovernance,     // the governance state after a block (BlockHeader.governance_hash)
  kEvidence,       // a piece of equivocation evidence (leaf of BlockHeader.evidence_root)
  kKeyRotation,    // a validator's old and new keys agreeing on the new one
  kLeaderOrder,    // leader election's tie-break between validators (chain-independent)
  kOffence,        // where the state records a convicted offence (evidence.h)
  kArchiveRecord,  // a record of an exported archive, chained to the one before (archive.proto)
  kAssetKey,       // where the state records an asset definition (ledger/state_entries.h)
  kRecordKey,      // where the state records an account's record (ledger/state_entries.h)
  kClosedProposals,  // the running hash of closed proposals (GovernanceState.closed_digest)
};

// The tag string of a purpose, e.g. "tx".
std::string_view PurposeTag(Purpose purpose);

// The domain-separated message, for signing.
Bytes DomainMessage(Purpose purpose, std::string_view chain_id, ByteView payload);
// SHA-256 of DomainMessage(...), computed without building the message.
Hash DomainHash(Purpose purpose, std::string_view chain_id, ByteView payload);

// An account address: the first 20 bytes of DomainHash(kAddress, "", public_key).
// The same key has the same address on every chain.
constexpr size_t kAddressSize = 20;
Bytes AddressOf(ByteView public_key);

// Identity of a transaction: DomainHash(kTransaction, chain_id, lp(public_key) ||
// lp(signature) || lp(body)), lp = u32be length prefix. Covers the signature so a
// block commits to exactly what was signed.
Hash TxHash(std::string_view chain_id, ByteView public_key, ByteView signature, ByteView body);
// Identity of a transaction of several signers: DomainHash(kTransaction, chain_id,
// lp("") || lp("") || lp(body) || u32be(count) || (lp(public_key) || lp(signature))...),
// the signatures in the order they travel. The two empty fields set it apart from every
// one-signer layout, whose public key is 32 bytes.
Hash MultiSignedTxHash(std::string_view chain_id, ByteView body,
                       std::span<const std::pair<ByteView, ByteView>> signatures);

// A block's hash: DomainHash(kBlockHeader, chain_id, serialized header as it travels).
Hash BlockHash(std::string_view chain_id, ByteView header_bytes);

// A receipt's hash, the leaf of a block's receipts root.
Hash ReceiptHash(std::string_view chain_id, ByteView receipt_bytes);

// A piece of evidence's hash (its serialized bytes), the leaf of a block's evidence root.
Hash EvidenceHash(std::string_view chain_id, ByteView evidence_bytes);

// Leader election's tie-break for `validator` on the chain ending at `tip` (a block
// hash, already bound to its chain): DomainHash(kLeaderOrder, "", tip || u32be(validator)).
Hash LeaderOrderHash(const Hash& tip, uint32_t validator);

// What a validator signs when it votes, and what a certificate's signatures cover.
struct VoteStatement {
  uint64_t epoch = 0;
  uint64_t round = 0;
  uint64_t height = 0;
  Bytes block_hash;   // 32 bytes
  Bytes commit_hash;  // 32 bytes, or empty when this vote finalises nothing
  // payload = u64be epoch || u64be round || u64be height || block_hash ||
  //           u8 has_commit || commit_hash
  Bytes Payload() const;
};

// What a validator signs when it times out: payload = u64be epoch || u64be round ||
// u64be high_qc_round. Each signer's high_qc_round may differ, so a timeout certificate
// carries one signature per signer over its own statement.
struct TimeoutStatement {
  uint64_t epoch = 0;
  uint64_t round = 0;
  uint64_t high_qc_round = 0;
  Bytes Payload() const;
};

// What a validator's current and new consensus keys both sign to rotate: payload =
// u32be len(name) || name || u64be epoch || new_public_key. The epoch makes a signed
// rotation useless once another set change has happened.
struct KeyRotationStatement {
  std::string name;
  uint64_t epoch = 0;
  Bytes new_public_key;  // 32 bytes
  Bytes Payload() const;
};

// What a leader signs when it proposes: payload = the block hash (which covers round,
// height and parent through the header).
struct ProposalStatement {
  Bytes block_hash;  // 32 bytes
  Bytes Payload() const { return block_hash; }
};

}  // namespace cairn::crypto

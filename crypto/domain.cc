#include "crypto/domain.h"

#include "crypto/check.h"
#include "crypto/sha256.h"

namespace cairn::crypto {

std::string_view PurposeTag(Purpose purpose) {
  switch (purpose) {
    case Purpose::kTransaction: return "tx";
    case Purpose::kAddress: return "address";
    case Purpose::kBlockHeader: return "block";
    case Purpose::kVote: return "vote";
    case Purpose::kTimeout: return "timeout";
    case Purpose::kProposal: return "proposal";
    case Purpose::kReceipt: return "receipt";
    case Purpose::kGenesis: return "genesis";
    case Purpose::kAccountLeaf: return "account";
    case Purpose::kGovernance: return "governance";
    case Purpose::kEvidence: return "evidence";
    case Purpose::kKeyRotation: return "key-rotation";
    case Purpose::kLeaderOrder: return "leader-order";
    case Purpose::kOffence: return "offence";
    case Purpose::kArchiveRecord: return "archive-record";
    case Purpose::kAssetKey: return "asset";
    case Purpose::kRecordKey: return "record";
    case Purpose::kClosedProposals: return "closed-proposals";
  }
  CAIRN_CHECK(false);
}

namespace {
Bytes DomainPrefix(Purpose purpose, std::string_view chain_id) {
  Bytes prefix = "cairn/";
  prefix.append(PurposeTag(purpose));
  prefix.append("/v1");
  prefix.push_back('\0');
  AppendU32(&prefix, static_cast<uint32_t>(chain_id.size()));
  prefix.append(chain_id);
  return prefix;
}

void AppendLengthPrefixed(Bytes* out, ByteView field) {
  AppendU32(out, static_cast<uint32_t>(field.size()));
  out->append(field);
}
}  // namespace

Bytes DomainMessage(Purpose purpose, std::string_view chain_id, ByteView payload) {
  Bytes message = DomainPrefix(purpose, chain_id);
  message.append(payload);
  return message;
}

Hash DomainHash(Purpose purpose, std::string_view chain_id, ByteView payload) {
  thread_local Sha256 hasher;
  return hasher.Update(DomainPrefix(purpose, chain_id)).Update(payload).Finish();
}

Bytes AddressOf(ByteView public_key) {
  Hash h = DomainHash(Purpose::kAddress, "", public_key);
  return Bytes(AsView(h).substr(0, kAddressSize));
}

Hash TxHash(std::string_view chain_id, ByteView public_key, ByteView signature, ByteView body) {
  Bytes payload;
  payload.reserve(12 + public_key.size() + signature.size() + body.size());
  AppendLengthPrefixed(&payload, public_key);
  AppendLengthPrefixed(&payload, signature);
  AppendLengthPrefixed(&payload, body);
  return DomainHash(Purpose::kTransaction, chain_id, payload);
}

Hash MultiSignedTxHash(std::string_view chain_id, ByteView body,
                       std::span<const std::pair<ByteView, ByteView>> signatures) {
  Bytes payload;
  payload.reserve(16 + body.size() + signatures.size() * 104);
  AppendLengthPrefixed(&payload, "");
  AppendLengthPrefixed(&payload, "");
  AppendLengthPrefixed(&payload, body);
  AppendU32(&payload, static_cast<uint32_t>(signatures.size()));
  for (const auto& [public_key, signature] : signatures) {
    AppendLengthPrefixed(&payload, public_key);
    AppendLengthPrefixed(&payload, signature);
  }
  return DomainHash(Purpose::kTransaction, chain_id, payload);
}

Hash BlockHash(std::string_view chain_id, ByteView header_bytes) {
  return DomainHash(Purpose::kBlockHeader, chain_id, header_bytes);
}

Hash ReceiptHash(std::string_view chain_id, ByteView receipt_bytes) {
  return DomainHash(Purpose::kReceipt, chain_id, receipt_bytes);
}

Hash EvidenceHash(std::string_view chain_id, ByteView evidence_bytes) {
  return DomainHash(Purpose::kEvidence, chain_id, evidence_bytes);
}

Hash LeaderOrderHash(const Hash& tip, uint32_t validator) {
  Bytes payload(AsView(tip));
  AppendU32(&payload, validator);
  return DomainHash(Purpose::kLeaderOrder, "", payload);
}

Bytes VoteStatement::Payload() const {
  CAIRN_CHECK(block_hash.size() == 32);
  CAIRN_CHECK(commit_hash.empty() || commit_hash.size() == 32);
  Bytes out;
  out.reserve(24 + 32 + 1 + 32);
  AppendU64(&out, epoch);
  AppendU64(&out, round);
  AppendU64(&out, height);
  out.append(block_hash);
  out.push_back(commit_hash.empty() ? '\0' : '\1');
  out.append(commit_hash);
  return out;
}

Bytes KeyRotationStatement::Payload() const {
  Bytes out;
  AppendU32(&out, static_cast<uint32_t>(name.size()));
  out.append(name);
  AppendU64(&out, epoch);
  out.append(new_public_key);
  return out;
}

Bytes TimeoutStatement::Payload() const {
  Bytes out;
  out.reserve(24);
  AppendU64(&out, epoch);
  AppendU64(&out, round);
  AppendU64(&out, high_qc_round);
  return out;
}

}  // namespace cairn::crypto

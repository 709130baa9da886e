#include "ledger/tx_check.h"

#include <algorithm>
#include <map>

#include <google/protobuf/unknown_field_set.h>

#include "crypto/domain.h"
#include "crypto/ed25519.h"
#include "ledger/governance.h"
#include "ledger/signatories.h"

namespace cairn::ledger {

namespace {

// Unknown fields anywhere in a message would be signed and hashed yet ignored by this
// node: refused, so that every node reads the same meaning from the same bytes.
bool HasUnknownFields(const google::protobuf::Message& message) {
  const auto* reflection = message.GetReflection();
  if (!reflection->GetUnknownFields(message).empty()) return true;
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const auto* field : fields) {
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        if (HasUnknownFields(reflection->GetRepeatedMessage(message, field, i))) return true;
      }
    } else if (HasUnknownFields(reflection->GetMessage(message, field))) {
      return true;
    }
  }
  return false;
}

Status CheckAddress(const Bytes& address, const std::string& field) {
  if (address.size() != crypto::kAddressSize) {
    return Status::InvalidArgument(field + " must be a 20-byte address, got " + std::to_string(address.size()) +
                                   " bytes");
  }
  return Status::Ok();
}

// An address field that may be left empty (meaning the performing account).
Status CheckOptionalAddress(const Bytes& address, const std::string& field) {
  return address.empty() ? Status::Ok() : CheckAddress(address, field);
}

Status CheckRole(int role, const std::string& field) {
  if (role < v1::ROLE_USER || role > v1::ROLE_ADMIN) {
    return Status::InvalidArgument(field + " is not a valid role (" + std::to_string(role) + ")");
  }
  return Status::Ok();
}

Status CheckAssetName(const std::string& asset, const std::string& field) {
  if (!IsValidAssetName(asset)) {
    return Status::InvalidArgument(field + ": asset name '" + asset.substr(0, 32) + "' is not 1 to 16 characters of A-Z, 0-9");
  }
  return Status::Ok();
}

Status CheckAmount(const std::string& asset, uint64_t amount, const std::string& op) {
  CAIRN_RETURN_IF_ERROR(CheckAssetName(asset, op + ".asset"));
  if (amount == 0) return Status::InvalidArgument(op + ".amount must be greater than zero");
  return Status::Ok();
}

bool IsRecordKeyChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-' || c == '/' || c == ':';
}

Status CheckRecord(const v1::SetRecord& op) {
  CAIRN_RETURN_IF_ERROR(CheckOptionalAddress(op.account(), "set_record.account"));
  if (op.key().empty() || op.key().size() > kMaxRecordKeyBytes) {
    return Status::InvalidArgument("set_record.key must be 1 to " + std::to_string(kMaxRecordKeyBytes) +
                                   " bytes, got " + std::to_string(op.key().size()));
  }
  for (char c : op.key()) {
    if (!IsRecordKeyChar(c)) return Status::InvalidArgument("set_record.key may hold A-Z, a-z, 0-9 and . _ - / : only");
  }
  if (op.value().size() > kMaxRecordValueBytes) {
    return Status::InvalidArgument("set_record.value is " + std::to_string(op.value().size()) +
                                   " bytes, the limit is " + std::to_string(kMaxRecordValueBytes));
  }
  return Status::Ok();
}

Status CheckRegisterAsset(const v1::RegisterAsset& op) {
  CAIRN_RETURN_IF_ERROR(CheckAssetName(op.name(), "register_asset.name"));
  if (op.precision() > kMaxAssetPrecision) {
    return Status::InvalidArgument("register_asset.precision must be 0 to " + std::to_string(kMaxAssetPrecision));
  }
  if (op.issuers().empty() || static_cast<size_t>(op.issuers_size()) > kMaxAssetIssuers) {
    return Status::InvalidArgument("register_asset.issuers must name 1 to " + std::to_string(kMaxAssetIssuers) +
                                   " accounts");
  }
  for (int i = 0; i < op.issuers_size(); ++i) {
    CAIRN_RETURN_IF_ERROR(CheckAddress(op.issuers(i), "register_asset.issuers"));
    for (int j = 0; j < i; ++j) {
      if (op.issuers(j) == op.issuers(i)) return Status::InvalidArgument("register_asset.issuers names an account twice");
    }
  }
  return Status::Ok();
}

// GrantPermission and RevokePermission: each permission has exactly the scope it needs.
template <typename Op>
Status CheckGrant(const Op& op, const std::string& name) {
  CAIRN_RETURN_IF_ERROR(CheckAddress(op.grantee(), name + ".grantee"));
  switch (op.permission()) {
    case v1::PERMISSION_MINT:
      if (!op.account().empty()) return Status::InvalidArgument(name + ": PERMISSION_MINT takes an asset, not an account");
      return CheckAssetName(op.asset(), name + ".asset");
    case v1::PERMISSION_WRITE_RECORDS:
      if (!op.asset().empty()) return Status::InvalidArgument(name + ": PERMISSION_WRITE_RECORDS takes no asset");
      return CheckOptionalAddress(op.account(), name + ".account");
    case v1::PERMISSION_CREATE_ACCOUNTS:
      if (!op.asset().empty() || !op.account().empty()) {
        return Status::InvalidArgument(name + ": PERMISSION_CREATE_ACCOUNTS takes no asset or account");
      }
      return Status::Ok();
    default:
      return Status::InvalidArgument(name + ".permission is not a valid permission (" +
                                     std::to_string(op.permission()) + ")");
  }
}

Status CheckOperation(const v1::Operation& op) {
  CAIRN_RETURN_IF_ERROR(CheckOptionalAddress(op.account(), "operation.account"));
  switch (op.kind_case()) {
    case v1::Operation::kCreateAccount:
      if (auto key = crypto::ParseNewKey(op.create_account().public_key()); !key.ok()) {
        return key.status().Annotate("create_account.public_key");
      }
      return CheckRole(op.create_account().role(), "create_account.role");
    case v1::Operation::kTransfer:
      CAIRN_RETURN_IF_ERROR(CheckAddress(op.transfer().to(), "transfer.to"));
      return CheckAmount(op.transfer().asset(), op.transfer().amount(), "transfer");
    case v1::Operation::kMint:
      CAIRN_RETURN_IF_ERROR(CheckAddress(op.mint().to(), "mint.to"));
      return CheckAmount(op.mint().asset(), op.mint().amount(), "mint");
    case v1::Operation::kSetRole:
      CAIRN_RETURN_IF_ERROR(CheckAddress(op.set_role().account(), "set_role.account"));
      return CheckRole(op.set_role().role(), "set_role.role");
    case v1::Operation::kRegisterAsset: return CheckRegisterAsset(op.register_asset());
    case v1::Operation::kBurn: return CheckAmount(op.burn().asset(), op.burn().amount(), "burn");
    case v1::Operation::kSetAssetFrozen: return CheckAssetName(op.set_asset_frozen().asset(), "set_asset_frozen.asset");
    case v1::Operation::kAddSignatory:
      if (auto key = crypto::ParseNewKey(op.add_signatory().public_key()); !key.ok()) {
        return key.status().Annotate("add_signatory.public_key");
      }
      return Status::Ok();
    case v1::Operation::kRemoveSignatory:
      if (op.remove_signatory().public_key().size() != crypto::kPublicKeySize) {
        return Status::InvalidArgument("remove_signatory.public_key must be 32 bytes");
      }
      return Status::Ok();
    case v1::Operation::kSetQuorum:
      if (op.set_quorum().quorum() == 0 || op.set_quorum().quorum() > kMaxSignatories) {
        return Status::InvalidArgument("set_quorum.quorum must be 1 to " + std::to_string(kMaxSignatories));
      }
      return Status::Ok();
    case v1::Operation::kSetRecord: return CheckRecord(op.set_record());
    case v1::Operation::kGrant: return CheckGrant(op.grant(), "grant");
    case v1::Operation::kRevoke: return CheckGrant(op.revoke(), "revoke");
    case v1::Operation::KIND_NOT_SET: break;
  }
  return Status::InvalidArgument("operation has no known kind");
}

Status CheckGovernanceOperation(const v1::TxBody& body) {
  switch (body.operation_case()) {
    case v1::TxBody::kProposeValidatorChange:
      return CheckValidatorChange(body.propose_validator_change().change()).Annotate("propose_validator_change");
    case v1::TxBody::kRotateValidatorKey: {
      const auto& op = body.rotate_validator_key();
      if (op.name().empty() || op.name().size() > kMaxValidatorNameLength) {
        return Status::InvalidArgument("rotate_validator_key.name must be 1 to " + std::to_string(kMaxValidatorNameLength) +
                                       " characters");
      }
      if (auto key = crypto::ParseNewKey(op.new_public_key()); !key.ok()) {
        return key.status().Annotate("rotate_validator_key.new_public_key");
      }
      if (op.old_key_signature().size() != 64 || op.new_key_signature().size() != 64) {
        return Status::InvalidArgument("rotate_validator_key signatures must be 64 bytes");
      }
      return Status::Ok();
    }
    case v1::TxBody::kVoteValidatorChange:
      if (body.vote_validator_change().proposal_id() == 0) {
        return Status::InvalidArgument("vote_validator_change.proposal_id must be set");
      }
      return Status::Ok();
    default:
      return Status::InvalidArgument("transaction body has no known operation");
  }
}

// The body's operations: one form or the other, each operation well formed.
Status CheckOperations(const v1::TxBody& body, const std::vector<v1::Operation>& operations) {
  const bool has_list = body.operations_size() > 0;
  const bool has_one = body.operation_case() != v1::TxBody::OPERATION_NOT_SET;
  if (has_list == has_one) {
    return Status::InvalidArgument(has_list ? "transaction body sets both operation and operations"
                                            : "transaction body has no known operation");
  }
  if (static_cast<size_t>(body.operations_size()) > kMaxOperations) {
    return Status::InvalidArgument("transaction has " + std::to_string(body.operations_size()) +
                                   " operations, the limit is " + std::to_string(kMaxOperations));
  }
  if (operations.empty()) return CheckGovernanceOperation(body);
  for (size_t i = 0; i < operations.size(); ++i) {
    Status status = CheckOperation(operations[i]);
    if (!status.ok()) {
      return has_list ? status.Annotate("operation " + std::to_string(i + 1)) : status;
    }
  }
  return Status::Ok();
}

// The signatures, in the form the transaction uses, as (public key, signature) pairs:
// sizes and the order of the several-signer form checked, nothing verified.
Result<std::vector<std::pair<ByteView, ByteView>>> SignaturesIn(const v1::Transaction& tx) {
  std::vector<std::pair<ByteView, ByteView>> out;
  if (tx.signatures_size() == 0) {
    if (tx.public_key().size() != crypto::kPublicKeySize) {
      return Status::InvalidArgument("public key must be 32 bytes, got " + std::to_string(tx.public_key().size()));
    }
    if (tx.signature().size() != crypto::kSignatureSize) {
      return Status::InvalidArgument("signature must be 64 bytes, got " + std::to_string(tx.signature().size()));
    }
    out.emplace_back(tx.public_key(), tx.signature());
    return out;
  }
  if (!tx.public_key().empty() || !tx.signature().empty()) {
    return Status::InvalidArgument("a transaction carries public_key and signature, or signatures, not both");
  }
  if (static_cast<size_t>(tx.signatures_size()) > kMaxTxSignatures) {
    return Status::InvalidArgument("transaction has " + std::to_string(tx.signatures_size()) +
                                   " signatures, the limit is " + std::to_string(kMaxTxSignatures));
  }
  for (int i = 0; i < tx.signatures_size(); ++i) {
    const v1::TxSignature& s = tx.signatures(i);
    if (s.public_key().size() != crypto::kPublicKeySize || s.signature().size() != crypto::kSignatureSize) {
      return Status::InvalidArgument("signature " + std::to_string(i + 1) +
                                     ": a public key is 32 bytes and a signature 64");
    }
    if (i > 0 && !(tx.signatures(i - 1).public_key() < s.public_key())) {
      return Status::InvalidArgument(
          tx.signatures(i - 1).public_key() == s.public_key()
              ? "signature " + std::to_string(i + 1) + " repeats a key that already signed"
              : "signatures must be in ascending order of public key (signature " + std::to_string(i + 1) + ")");
    }
    out.emplace_back(s.public_key(), s.signature());
  }
  return out;
}

}  // namespace

v1::Transaction SignTransaction(const crypto::PrivateKey& key, const v1::TxBody& body) {
  v1::Transaction tx;
  tx.set_body(body.SerializeAsString());
  tx.set_public_key(Bytes(key.public_key().bytes()));
  tx.set_signature(key.Sign(crypto::DomainMessage(crypto::Purpose::kTransaction, body.chain_id(), tx.body())));
  return tx;
}

v1::Transaction SignTransaction(std::span<const crypto::PrivateKey* const> keys, const v1::TxBody& body) {
  v1::Transaction tx;
  tx.set_body(body.SerializeAsString());
  const Bytes message = crypto::DomainMessage(crypto::Purpose::kTransaction, body.chain_id(), tx.body());
  std::vector<const crypto::PrivateKey*> sorted(keys.begin(), keys.end());
  std::sort(sorted.begin(), sorted.end(), [](const crypto::PrivateKey* a, const crypto::PrivateKey* b) {
    return a->public_key().bytes() < b->public_key().bytes();
  });
  for (const crypto::PrivateKey* key : sorted) {
    v1::TxSignature* signature = tx.add_signatures();
    signature->set_public_key(Bytes(key->public_key().bytes()));
    signature->set_signature(key->Sign(message));
  }
  return tx;
}

Result<v1::Transaction> CombineSignatures(const v1::Transaction& tx, const v1::Transaction& other) {
  if (tx.body() != other.body()) return Status::InvalidArgument("the two transactions sign different bodies");
  std::map<Bytes, Bytes> by_key;
  for (const v1::Transaction* t : {&tx, &other}) {
    CAIRN_ASSIGN_OR_RETURN(auto signatures, SignaturesIn(*t));
    for (const auto& [key, signature] : signatures) {
      auto [it, inserted] = by_key.emplace(Bytes(key), Bytes(signature));
      if (!inserted && it->second != signature) {
        return Status::InvalidArgument("key " + ToHex(key) + " signed twice with different signatures");
      }
    }
  }
  if (by_key.size() > kMaxTxSignatures) {
    return Status::InvalidArgument("the combined transaction would carry " + std::to_string(by_key.size()) +
                                   " signatures, the limit is " + std::to_string(kMaxTxSignatures));
  }
  v1::Transaction combined;
  combined.set_body(tx.body());
  for (const auto& [key, signature] : by_key) {
    v1::TxSignature* s = combined.add_signatures();
    s->set_public_key(key);
    s->set_signature(signature);
  }
  return combined;
}

Result<std::vector<std::pair<ByteView, ByteView>>> TransactionSignatures(const v1::Transaction& tx) {
  return SignaturesIn(tx);
}

Hash TransactionHash(std::string_view chain_id, const v1::Transaction& tx) {
  if (tx.signatures_size() == 0) return crypto::TxHash(chain_id, tx.public_key(), tx.signature(), tx.body());
  std::vector<std::pair<ByteView, ByteView>> signatures;
  signatures.reserve(tx.signatures_size());
  for (const v1::TxSignature& s : tx.signatures()) signatures.emplace_back(s.public_key(), s.signature());
  return crypto::MultiSignedTxHash(chain_id, tx.body(), signatures);
}

Bytes SenderOf(const v1::Transaction& tx, const v1::TxBody& body) {
  return body.sender().empty() ? crypto::AddressOf(tx.public_key()) : body.sender();
}

std::vector<v1::Operation> OperationsOf(const v1::TxBody& body) {
  if (body.operations_size() > 0) return {body.operations().begin(), body.operations().end()};
  v1::Operation op;
  switch (body.operation_case()) {
    case v1::TxBody::kCreateAccount: *op.mutable_create_account() = body.create_account(); break;
    case v1::TxBody::kTransfer: *op.mutable_transfer() = body.transfer(); break;
    case v1::TxBody::kMint: *op.mutable_mint() = body.mint(); break;
    case v1::TxBody::kSetRole: *op.mutable_set_role() = body.set_role(); break;
    default: return {};
  }
  return {std::move(op)};
}

bool IsValidAssetName(std::string_view asset) {
  if (asset.empty() || asset.size() > kMaxAssetNameLength) return false;
  for (char c : asset) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

Result<CheckedTx> CheckTransaction(const v1::Transaction& tx, std::string_view chain_id) {
  crypto::DirectVerifier verifier;
  return CheckTransaction(tx, chain_id, verifier);
}

Result<CheckedTx> CheckTransaction(const v1::Transaction& tx, std::string_view chain_id,
                                   crypto::SignatureVerifier& verifier) {
  CAIRN_ASSIGN_OR_RETURN(auto signatures, SignaturesIn(tx));
  if (tx.body().size() > kMaxTxBodyBytes) {
    return Status::InvalidArgument("transaction body is " + std::to_string(tx.body().size()) +
                                   " bytes, the limit is " + std::to_string(kMaxTxBodyBytes));
  }
  CheckedTx checked;
  if (!checked.body.ParseFromString(tx.body())) {
    return Status::InvalidArgument("transaction body is not a valid TxBody encoding");
  }
  if (HasUnknownFields(checked.body)) return Status::InvalidArgument("transaction body has unknown fields");
  if (checked.body.chain_id() != chain_id) {
    return Status::FailedPrecondition("transaction is for chain '" + checked.body.chain_id().substr(0, 64) +
                                      "', this is chain '" + std::string(chain_id) + "'");
  }
  if (checked.body.nonce() == 0) return Status::InvalidArgument("nonce must be at least 1");
  if (checked.body.sender().empty() && tx.signatures_size() > 0) {
    return Status::InvalidArgument("a transaction of several signers must name its sender");
  }
  CAIRN_RETURN_IF_ERROR(CheckOptionalAddress(checked.body.sender(), "sender"));
  if (checked.body.memo().size() > kMaxMemoBytes) {
    return Status::InvalidArgument("memo is " + std::to_string(checked.body.memo().size()) + " bytes, the limit is " +
                                   std::to_string(kMaxMemoBytes));
  }
  checked.operations = OperationsOf(checked.body);
  CAIRN_RETURN_IF_ERROR(CheckOperations(checked.body, checked.operations));

  Bytes message = crypto::DomainMessage(crypto::Purpose::kTransaction, chain_id, tx.body());
  checked.signers.reserve(signatures.size());
  for (size_t i = 0; i < signatures.size(); ++i) {
    auto key = crypto::PublicKey::FromBytes(signatures[i].first);
    if (!key.ok()) return key.status();
    if (!verifier.Verify(*key, message, signatures[i].second)) {
      return Status::InvalidArgument(signatures.size() == 1 ? "signature does not verify"
                                                            : "signature " + std::to_string(i + 1) + " does not verify");
    }
    checked.signers.emplace_back(signatures[i].first);
  }
  checked.hash = TransactionHash(chain_id, tx);
  checked.sender = SenderOf(tx, checked.body);
  return checked;
}

}  // namespace cairn::ledger

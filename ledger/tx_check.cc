#include "ledger/tx_check.h"

#include <google/protobuf/unknown_field_set.h>

#include "crypto/domain.h"
#include "crypto/ed25519.h"
#include "ledger/governance.h"

namespace cairn::ledger {

namespace {

bool HasUnknownFields(const google::protobuf::Message& message) {
  return !message.GetReflection()->GetUnknownFields(message).empty();
}

Status CheckAddress(const Bytes& address, const char* field) {
  if (address.size() != crypto::kAddressSize) {
    return Status::InvalidArgument(std::string(field) + " must be a 20-byte address, got " +
                                   std::to_string(address.size()) + " bytes");
  }
  return Status::Ok();
}

Status CheckRole(int role, const char* field) {
  if (role < v1::ROLE_USER || role > v1::ROLE_ADMIN) {
    return Status::InvalidArgument(std::string(field) + " is not a valid role (" +
                                   std::to_string(role) + ")");
  }
  return Status::Ok();
}

Status CheckAmount(const std::string& asset, uint64_t amount) {
  if (!IsValidAssetName(asset)) {
    return Status::InvalidArgument("asset name '" + asset.substr(0, 32) +
                                   "' is not 1 to 16 characters of A-Z, 0-9");
  }
  if (amount == 0) return Status::InvalidArgument("amount must be greater than zero");
  return Status::Ok();
}

Status CheckOperation(const v1::TxBody& body) {
  switch (body.operation_case()) {
    case v1::TxBody::kCreateAccount: {
      const auto& op = body.create_account();
      if (HasUnknownFields(op)) return Status::InvalidArgument("create_account has unknown fields");
      if (auto key = crypto::ParseNewKey(op.public_key()); !key.ok()) {
        return key.status().Annotate("create_account.public_key");
      }
      return CheckRole(op.role(), "create_account.role");
    }
    case v1::TxBody::kTransfer: {
      const auto& op = body.transfer();
      if (HasUnknownFields(op)) return Status::InvalidArgument("transfer has unknown fields");
      CAIRN_RETURN_IF_ERROR(CheckAddress(op.to(), "transfer.to"));
      return CheckAmount(op.asset(), op.amount());
    }
    case v1::TxBody::kMint: {
      const auto& op = body.mint();
      if (HasUnknownFields(op)) return Status::InvalidArgument("mint has unknown fields");
      CAIRN_RETURN_IF_ERROR(CheckAddress(op.to(), "mint.to"));
      return CheckAmount(op.asset(), op.amount());
    }
    case v1::TxBody::kSetRole: {
      const auto& op = body.set_role();
      if (HasUnknownFields(op)) return Status::InvalidArgument("set_role has unknown fields");
      CAIRN_RETURN_IF_ERROR(CheckAddress(op.account(), "set_role.account"));
      return CheckRole(op.role(), "set_role.role");
    }
    case v1::TxBody::kProposeValidatorChange: {
      const auto& op = body.propose_validator_change();
      if (HasUnknownFields(op) || HasUnknownFields(op.change()) || HasUnknownFields(op.change().validator())) {
        return Status::InvalidArgument("propose_validator_change has unknown fields");
      }
      return CheckValidatorChange(op.change()).Annotate("propose_validator_change");
    }
    case v1::TxBody::kRotateValidatorKey: {
      const auto& op = body.rotate_validator_key();
      if (HasUnknownFields(op)) return Status::InvalidArgument("rotate_validator_key has unknown fields");
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
    case v1::TxBody::kVoteValidatorChange: {
      const auto& op = body.vote_validator_change();
      if (HasUnknownFields(op)) return Status::InvalidArgument("vote_validator_change has unknown fields");
      if (op.proposal_id() == 0) return Status::InvalidArgument("vote_validator_change.proposal_id must be set");
      return Status::Ok();
    }
    case v1::TxBody::OPERATION_NOT_SET:
      break;
  }
  return Status::InvalidArgument("transaction body has no known operation");
}

}  // namespace

v1::Transaction SignTransaction(const crypto::PrivateKey& key, const v1::TxBody& body) {
  v1::Transaction tx;
  tx.set_body(body.SerializeAsString());
  tx.set_public_key(Bytes(key.public_key().bytes()));
  tx.set_signature(key.Sign(crypto::DomainMessage(crypto::Purpose::kTransaction, body.chain_id(), tx.body())));
  return tx;
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
  if (tx.public_key().size() != crypto::kPublicKeySize) {
    return Status::InvalidArgument("public key must be 32 bytes, got " +
                                   std::to_string(tx.public_key().size()));
  }
  if (tx.signature().size() != crypto::kSignatureSize) {
    return Status::InvalidArgument("signature must be 64 bytes, got " +
                                   std::to_string(tx.signature().size()));
  }
  if (tx.body().size() > kMaxTxBodyBytes) {
    return Status::InvalidArgument("transaction body is " + std::to_string(tx.body().size()) +
                                   " bytes, the limit is " + std::to_string(kMaxTxBodyBytes));
  }
  CheckedTx checked;
  if (!checked.body.ParseFromString(tx.body())) {
    return Status::InvalidArgument("transaction body is not a valid TxBody encoding");
  }
  // Unknown fields would be signed and hashed yet ignored by this node: refuse them, so
  // that every node reads the same meaning from the same bytes.
  if (HasUnknownFields(checked.body)) {
    return Status::InvalidArgument("transaction body has unknown fields");
  }
  if (checked.body.chain_id() != chain_id) {
    return Status::FailedPrecondition("transaction is for chain '" +
                                      checked.body.chain_id().substr(0, 64) +
                                      "', this is chain '" + std::string(chain_id) + "'");
  }
  if (checked.body.nonce() == 0) return Status::InvalidArgument("nonce must be at least 1");
  CAIRN_RETURN_IF_ERROR(CheckOperation(checked.body));

  auto key = crypto::PublicKey::FromBytes(tx.public_key());
  if (!key.ok()) return key.status();
  Bytes message = crypto::DomainMessage(crypto::Purpose::kTransaction, chain_id, tx.body());
  if (!verifier.Verify(*key, message, tx.signature())) {
    return Status::InvalidArgument("signature does not verify");
  }
  checked.hash = crypto::TxHash(chain_id, tx.public_key(), tx.signature(), tx.body());
  checked.sender = crypto::AddressOf(tx.public_key());
  return checked;
}

}  // namespace cairn::ledger

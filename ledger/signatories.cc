#include "ledger/signatories.h"

#include <algorithm>

namespace cairn::ledger {

std::vector<Bytes> SignatoriesOf(const v1::Account& account) {
  if (account.signatories().empty()) return {account.public_key()};
  return {account.signatories().begin(), account.signatories().end()};
}

uint32_t QuorumOf(const v1::Account& account) { return account.signatories().empty() ? 1 : account.quorum(); }

uint32_t SignaturesFor(const v1::Account& account, std::span<const Bytes> signers) {
  if (account.signatories().empty()) {
    return std::binary_search(signers.begin(), signers.end(), account.public_key()) ? 1 : 0;
  }
  uint32_t count = 0;
  for (const Bytes& key : account.signatories()) {
    if (std::binary_search(signers.begin(), signers.end(), key)) ++count;
  }
  return count;
}

Status CheckQuorum(const v1::Account& account, std::span<const Bytes> signers) {
  const uint32_t signed_by = SignaturesFor(account, signers);
  const uint32_t quorum = QuorumOf(account);
  if (signed_by >= quorum) return Status::Ok();
  return Status::FailedPrecondition("account " + ToHex(account.address()) + " needs " + std::to_string(quorum) +
                                    " of its " + std::to_string(SignatoriesOf(account).size()) +
                                    " signatories to sign, " + std::to_string(signed_by) + " did");
}

Status CheckSigners(std::span<const v1::Account> accounts, std::span<const Bytes> signers, bool no_strays) {
  std::vector<bool> asked(signers.size(), false);
  for (const v1::Account& account : accounts) {
    CAIRN_RETURN_IF_ERROR(CheckQuorum(account, signers));
    for (const Bytes& key : SignatoriesOf(account)) {
      auto it = std::lower_bound(signers.begin(), signers.end(), key);
      if (it != signers.end() && *it == key) asked[it - signers.begin()] = true;
    }
  }
  if (!no_strays) return Status::Ok();
  for (size_t i = 0; i < signers.size(); ++i) {
    if (!asked[i]) {
      return Status::FailedPrecondition("key " + ToHex(signers[i]) +
                                        " signed but is no signatory of an account the transaction acts for");
    }
  }
  return Status::Ok();
}

}  // namespace cairn::ledger

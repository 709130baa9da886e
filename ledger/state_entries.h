// What the state tree holds besides accounts, and where: every kind of leaf has its own
// key space, so no two kinds can share a key (accounts at SHA-256 of the address, the
// rest at domain hashes, which no plain SHA-256 of an address can equal):
//   account           StateKey(address)                    v1::Account
//   asset definition  AssetStateKey(name)                  v1::AssetDefinition
//   account record    RecordStateKey(account, record key)  v1::AccountRecord
//   offence           OffenceStateKey (evidence.h)          v1::EvidenceRecord
// Each is proven the same way (VerifyStateProof with its key and the value's hash).
#pragma once

#include <optional>
#include <string_view>

#include "cairn/v1/state.pb.h"
#include "crypto/bytes.h"
#include "crypto/status.h"
#include "ledger/state_tree.h"

namespace cairn::ledger {

// DomainHash(kAssetKey, "", name).
Hash AssetStateKey(std::string_view name);
// DomainHash(kRecordKey, "", account || key); the account is 20 bytes, so the split is
// unambiguous.
Hash RecordStateKey(ByteView account, std::string_view key);

// The entries of one version of the tree, parsed; nullopt when absent, CORRUPTION when
// a stored value does not parse.
Result<std::optional<v1::Account>> AccountIn(const StateTree& tree, ByteView address);
Result<std::optional<v1::AssetDefinition>> AssetIn(const StateTree& tree, std::string_view name);
Result<std::optional<v1::AccountRecord>> RecordIn(const StateTree& tree, ByteView account, std::string_view key);

}  // namespace cairn::ledger

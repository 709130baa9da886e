// Who signs for an account: its signatories and quorum (v1::Account fields 6 and 7).
// An account that never changed them is signed for by its own key alone; the rules
// below treat that as the list {public_key} with quorum 1, so one code path serves
// every account.
//
// Bound: 16 signatories. Each signature of a transaction is verified by every node at
// admission and again in each block (about 50 us of a core each), and a transaction
// carries at most kMaxTxSignatures (two such accounts in one batch); Iroha's 128 would
// make one transaction cost several milliseconds of every validator's time.
#pragma once

#include <span>
#include <vector>

#include "cairn/v1/state.pb.h"
#include "crypto/bytes.h"
#include "crypto/status.h"

namespace cairn::ledger {

constexpr size_t kMaxSignatories = 16;

// The keys that sign for `account`, ascending.
std::vector<Bytes> SignatoriesOf(const v1::Account& account);
// How many of them must sign.
uint32_t QuorumOf(const v1::Account& account);

// How many of `signers` (ascending, distinct) are signatories of `account`.
uint32_t SignaturesFor(const v1::Account& account, std::span<const Bytes> signers);

// FAILED_PRECONDITION naming the account and the count when `signers` do not meet its
// quorum.
Status CheckQuorum(const v1::Account& account, std::span<const Bytes> signers);

// Checks that `signers` (ascending, distinct) meet the quorum of every one of
// `accounts` and, with `no_strays`, that each of them is a signatory of one of those
// accounts (a transaction carries no signature that nothing asked for).
Status CheckSigners(std::span<const v1::Account> accounts, std::span<const Bytes> signers, bool no_strays);

}  // namespace cairn::ledger

// The ledger's LevelDB key layout. One letter per record kind; numbers big-endian so
// that keys sort by height. Every record of a block is written in one batch.
//
//   G                         genesis hash (32 bytes)
//   g                         the genesis document (serialized Genesis)
//   H                         head (ChainHead)
//   S                         consensus safety record (SafetyRecord)
//   b <height>                block (serialized Block); pruned (below P): no
//                             transactions, and its parent certificate without signatures
//   c <height>                certificate of that block (QuorumCertificate)
//   F <height>                finality proof of a block committed directly: the
//                             certificate whose commit_hash names it (always the head's)
//   h <block hash>            height of a block (deleted with a pruned body)
//   t <tx hash>               TxLocation
//   r <height> <index>        Receipt
//   a <address>               Account (format 1 only: Open moves them into the state tree
//                             and deletes them)
//   x <address> <height> <index>   HistoryEntry
//   y <address> <key length, u8> <key> <height> <index>   RecordHistoryEntry: the writes
//                             of one record of an account (pruned with the history)
//   e <epoch>                 ValidatorSet
//   E <epoch>                 height of the block the epoch starts from (its root: the
//                             last block of the epoch before), u64 big-endian
//   V                         GovernanceState after the head
//   L <epoch>                 GovernanceState the epoch starts with (after its root
//                             block, whose header commits to it), for epochs >= 1: the
//                             set change that state sync and light clients check
//   p <id>                    a closed ChangeProposal (open ones are in V)
//   v <height> <index>        EvidenceRecord of committed evidence (the offence it
//                             proves is recorded in the state tree: evidence.h)
//   q <offence id>            format 1 only: height of the block that recorded that
//                             offence (a directory that holds one is not converted)
//   M                         StoreFormat (absent: format 1, before the tree was on disk)
// The state tree's records, in a database of their own (split_store.h), all keyed n
// <version> so that a block's records sort after every older block's:
//   n <version> <nibble count> <nibbles>   a state tree node (tree_node.h); <version> is
//                             the height of the block that wrote it
//   n <height> FE             the node keys that block made stale, each after a length
//                             byte (tree_store.h): what pruning may delete once no
//                             retained version reads them. One record a block, not one
//                             a node: a block of 1,000 transfers at 1M accounts makes
//                             about 3,000 nodes stale
//   n <height> FF             StateTreeRoot of the state after that block
// (A node's nibble count is at most 64, so FE and FF name no node.)
//   Y <path>                  RestoredSubtree: during state sync, a subtree of the
//                             target stored whole; <path> is one nibble a byte
//   W                         during state sync, its target (StateTargetResponse):
//                             a restart resumes restoring the same version
//   B                         the base height, u64 big-endian, of a ledger that joined
//                             by state sync (state_base.h); absent: history from genesis
//   K                         GovernanceState after the base block: with the base block's
//                             records, what an audit of a base ledger checks and starts from
//   P                         the height below which block bodies, receipts and the
//                             transaction and history index are pruned, u64 big-endian
//                             (pruning.cc); absent: none are. Written in each pruning
//                             step's batch with what it deleted
//   Q                         the oldest state tree version kept, u64 big-endian; the
//                             nodes only older versions read are deleted
#pragma once

#include <cstdint>

#include "crypto/bytes.h"
#include "ledger/tree_node.h"

namespace cairn::ledger::keys {

inline constexpr ByteView kGenesisHash = "G";
inline constexpr ByteView kGenesisDocument = "g";
inline constexpr ByteView kHead = "H";
inline constexpr ByteView kSafetyRecord = "S";
inline constexpr ByteView kGovernance = "V";
inline constexpr ByteView kStoreFormat = "M";
inline constexpr ByteView kStateSyncTarget = "W";
inline constexpr ByteView kBase = "B";
inline constexpr ByteView kBaseGovernance = "K";
inline constexpr ByteView kPrunedBelow = "P";
inline constexpr ByteView kOldestStateVersion = "Q";

inline Bytes WithU64(char tag, uint64_t n) {
  Bytes key(1, tag);
  AppendU64(&key, n);
  return key;
}
inline Bytes Block(uint64_t height) { return WithU64('b', height); }
inline constexpr ByteView kEpochRootPrefix = "E";
inline Bytes Certificate(uint64_t height) { return WithU64('c', height); }
inline Bytes Finality(uint64_t height) { return WithU64('F', height); }
inline Bytes ValidatorSet(uint64_t epoch) { return WithU64('e', epoch); }
inline Bytes EpochRoot(uint64_t epoch) { return WithU64('E', epoch); }
inline Bytes EpochGovernance(uint64_t epoch) { return WithU64('L', epoch); }
inline Bytes Proposal(uint64_t id) { return WithU64('p', id); }
inline Bytes Evidence(uint64_t height, uint32_t index) {
  Bytes key = WithU64('v', height);
  AppendU32(&key, index);
  return key;
}
inline constexpr ByteView kEvidencePrefix = "v";
inline Bytes Tagged(char tag, ByteView rest) {
  Bytes key(1, tag);
  key.append(rest);
  return key;
}
inline constexpr ByteView kFormat1OffencePrefix = "q";
inline Bytes BlockHeight(const Hash& block_hash) { return Tagged('h', AsView(block_hash)); }
inline Bytes TxLocation(const Hash& tx_hash) { return Tagged('t', AsView(tx_hash)); }
inline Bytes Receipt(uint64_t height, uint32_t index) {
  Bytes key = WithU64('r', height);
  AppendU32(&key, index);
  return key;
}
inline Bytes StateRoot(uint64_t height) {
  Bytes key = WithU64(tree::kNodeTag, height);
  key.push_back('\xff');
  return key;
}
inline Bytes StaleNodes(uint64_t height) {
  Bytes key = WithU64(tree::kNodeTag, height);
  key.push_back('\xfe');
  return key;
}
inline Bytes RestoredSubtree(ByteView nibble_path) { return Tagged('Y', nibble_path); }
inline constexpr ByteView kRestoredSubtreePrefix = "Y";
// Every record of the state tree begins with it (nodes, stale lists, roots).
inline constexpr ByteView kNodePrefix(&tree::kNodeTag, 1);
// A node's key, not a stale list's or a root's.
inline bool IsNodeKey(ByteView key) {
  return key.size() >= 10 && key[0] == tree::kNodeTag && static_cast<uint8_t>(key[9]) <= tree::kMaxNibbles;
}
inline Bytes Account(ByteView address) { return Tagged('a', address); }
inline constexpr ByteView kAccountPrefix = "a";
inline Bytes HistoryPrefix(ByteView address) { return Tagged('x', address); }
inline Bytes History(ByteView address, uint64_t height, uint32_t index) {
  Bytes key = HistoryPrefix(address);
  AppendU64(&key, height);
  AppendU32(&key, index);
  return key;
}

inline Bytes RecordHistoryPrefix(ByteView account, std::string_view record_key) {
  Bytes key = Tagged('y', account);
  key.push_back(static_cast<char>(record_key.size()));
  key.append(record_key);
  return key;
}
inline Bytes RecordHistory(ByteView account, std::string_view record_key, uint64_t height, uint32_t index) {
  Bytes key = RecordHistoryPrefix(account, record_key);
  AppendU64(&key, height);
  AppendU32(&key, index);
  return key;
}

}  // namespace cairn::ledger::keys

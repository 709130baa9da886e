// Archives: a chain's blocks with their certificates exported to a file
// (proto/cairn/v1/archive.proto documents the format), checked with the genesis file
// alone (`cairn audit --archive`), and imported into a node's ledger (`cairn import`).
//
// An archive holds no safety record and nothing of a node's own: importing one never
// touches the consensus safety record (node/safety_file.h), so restoring a validator
// from an export cannot roll its votes back.
#pragma once

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include "cairn/v1/archive.pb.h"
#include "cairn/v1/genesis.pb.h"
#include "crypto/status.h"
#include "ledger/ledger.h"

namespace cairn::node {

// Writes blocks `from` .. `to` (1 <= from <= to <= the head) of `ledger` to `path`, with
// the epoch changes that check them, into a temporary file renamed into place once
// synced: an interrupted export leaves no archive. FAILED_PRECONDITION when a block in
// the range is pruned (naming it), or `path` exists.
Status ExportArchive(const ledger::Ledger& ledger, uint64_t from, uint64_t to, const std::string& path);

// Appends records to an archive file, each with its hash chained to the one before
// (archive.proto). ExportArchive writes with it; tests forge archives with it.
class ArchiveWriter {
 public:
  ArchiveWriter(std::FILE* out, std::string chain_id) : out_(out), chain_id_(std::move(chain_id)) {}
  Status Write(const v1::ArchiveRecord& record);

 private:
  std::FILE* out_;
  std::string chain_id_;
  Hash previous_{};
};

// An archive read record by record, each record's hash checked against the chain of the
// ones before. Errors are CORRUPTION naming the record: "archive record N (byte B): ...".
class ArchiveReader {
 public:
  static Result<ArchiveReader> Open(const std::string& path, std::string chain_id);
  // The next record; nullopt after the end record (and only there: a file that ends
  // without one, or goes on after it, is an error).
  Result<std::optional<v1::ArchiveRecord>> Next();
  uint64_t records() const { return index_; }

 private:
  ArchiveReader(std::ifstream in, std::string chain_id) : in_(std::move(in)), chain_id_(std::move(chain_id)) {}
  Status Damaged(const std::string& what) const;

  std::ifstream in_;
  std::string chain_id_;
  Hash previous_{};
  uint64_t index_ = 0;   // records read
  uint64_t offset_ = 0;  // of the next record
  bool ended_ = false;
};

struct ArchiveReport {
  uint64_t from = 0, to = 0;
  uint64_t transactions = 0;
  uint64_t epochs = 1;
  // True when the archive starts at genesis and every block was executed again (as
  // `cairn audit` does); false: headers, certificates and bodies only.
  bool replayed = false;
  bool last_proven_final = false;
  double seconds = 0;
};

// Checks the archive at `path` against `genesis`: every record's hash, the header (the
// chain, its genesis, the range), the epoch changes from genesis; then from block 1 a
// replay of every block (ledger/audit.h); from a later block, each block chained to the
// one before, certified by its epoch's set, with a valid parent certificate and the
// body its header commits to (node/audit_parts.h). CORRUPTION naming the record or the
// height for any failure.
Result<ArchiveReport> VerifyArchive(const v1::Genesis& genesis, const std::string& path);

// Appends the archive's blocks to `ledger`, whose head must be the block before the
// archive's first, each checked and executed as the audit replays it (its certificate
// by its epoch's set, the state root and receipts by re-execution) and committed with
// its certificate. A failure stops at the block before it, committed and durable.
Result<ArchiveReport> ImportArchive(const v1::Genesis& genesis, const std::string& path, ledger::Ledger& ledger);

}  // namespace cairn::node

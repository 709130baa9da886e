#include "node/archive.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>

#include "crypto/domain.h"
#include "ledger/audit.h"
#include "ledger/genesis.h"
#include "node/audit_parts.h"
#include "node/certificate_check.h"
#include "node/epoch_chain.h"

namespace cairn::node {

namespace {

constexpr std::string_view kFormat = "cairn-archive/1";
// A record is one block with its certificates: bounded like a sync answer's block.
constexpr uint32_t kMaxRecordBytes = 64u << 20;

Hash RecordHash(std::string_view chain_id, const Hash& previous, ByteView bytes) {
  Bytes payload(AsView(previous));
  payload.append(bytes);
  return crypto::DomainHash(crypto::Purpose::kArchiveRecord, chain_id, payload);
}

Status WriteArchive(const ledger::Ledger& ledger, uint64_t from, uint64_t to, std::FILE* out) {
  ArchiveWriter writer(out, ledger.chain_id());
  v1::ArchiveRecord first;
  v1::ArchiveHeader& header = *first.mutable_header();
  header.set_format(std::string(kFormat));
  header.set_chain_id(ledger.chain_id());
  header.set_genesis_hash(ToBytes(ledger::GenesisHash(ledger.genesis())));
  header.set_from_height(from);
  header.set_to_height(to);
  CAIRN_ASSIGN_OR_RETURN(ledger::StoredBlock last, ledger.GetBlockHeader(to));
  std::set<uint64_t> epoch_ends;
  for (uint64_t epoch = 1; epoch <= last.header.epoch(); ++epoch) {
    CAIRN_ASSIGN_OR_RETURN(ledger::EpochChange change, ledger.EpochChangeTo(epoch));
    epoch_ends.insert(change.last_block.header.height());
    *header.add_epoch_changes() = ProofOf(change);
  }
  CAIRN_RETURN_IF_ERROR(writer.Write(first));
  for (uint64_t height = from; height <= to; ++height) {
    CAIRN_ASSIGN_OR_RETURN(ledger::StoredBlock stored, ledger.GetBlock(height));
    if (!stored.certificate) return Status::Internal("block " + std::to_string(height) + " has no certificate");
    v1::ArchiveRecord record;
    v1::ArchivedBlock& block = *record.mutable_block();
    *block.mutable_block() = std::move(stored.block);
    *block.mutable_certificate() = std::move(*stored.certificate);
    if (height == to || epoch_ends.contains(height)) {
      CAIRN_ASSIGN_OR_RETURN(auto finality, ledger.FinalityProof(height));
      if (finality) *block.mutable_finality() = std::move(*finality);
    }
    CAIRN_RETURN_IF_ERROR(writer.Write(record));
  }
  v1::ArchiveRecord end;
  end.mutable_end()->set_blocks(to - from + 1);
  return writer.Write(end);
}

// The archive's blocks as the audit's replay asks for them, in height order.
class ArchiveSource : public ledger::AuditSource {
 public:
  ArchiveSource(ArchiveReader& reader, const v1::ArchiveHeader& header) : reader_(reader), header_(header) {}

  Result<std::optional<std::pair<v1::Block, v1::QuorumCertificate>>> Get(uint64_t height) override {
    using Out = std::optional<std::pair<v1::Block, v1::QuorumCertificate>>;
    CAIRN_ASSIGN_OR_RETURN(auto record, reader_.Next());
    if (!record || record->has_header()) return ledger::AuditFailure(height, "archive", "a header record among the blocks");
    if (record->has_end()) {
      if (record->end().blocks() != header_.to_height() - header_.from_height() + 1 || height != header_.to_height() + 1) {
        return ledger::AuditFailure(height, "archive", "it ends before the range its header names");
      }
      return Out();
    }
    if (height > header_.to_height()) return ledger::AuditFailure(height, "archive", "a block past the range its header names");
    v1::ArchivedBlock& block = *record->mutable_block();
    last_height_ = height;
    last_finality_.reset();
    if (block.has_finality()) last_finality_ = std::move(*block.mutable_finality());
    return Out(std::pair{std::move(*block.mutable_block()), std::move(*block.mutable_certificate())});
  }

  Result<std::optional<v1::QuorumCertificate>> Finality(uint64_t height) override {
    if (height == last_height_) return last_finality_;
    return std::optional<v1::QuorumCertificate>();
  }

 private:
  ArchiveReader& reader_;
  const v1::ArchiveHeader& header_;
  uint64_t last_height_ = 0;
  std::optional<v1::QuorumCertificate> last_finality_;
};

// The header record, checked against the genesis; the epochs its changes prove.
Result<v1::ArchiveHeader> ReadHeader(const v1::Genesis& genesis, ArchiveReader& reader, crypto::SignatureVerifier& verifier,
                                     std::vector<TrustedEpoch>* epochs) {
  CAIRN_ASSIGN_OR_RETURN(auto record, reader.Next());
  if (!record || !record->has_header()) return Status::Corruption("archive record 0: not a header");
  v1::ArchiveHeader header = std::move(*record->mutable_header());
  if (header.format() != kFormat) return Status::Corruption("archive header: format '" + header.format() + "', not " + std::string(kFormat));
  if (header.chain_id() != genesis.chain_id() || header.genesis_hash() != AsView(ledger::GenesisHash(genesis))) {
    return Status::FailedPrecondition("the archive is of chain " + header.chain_id() + ", not of this genesis");
  }
  if (header.from_height() == 0 || header.to_height() < header.from_height()) {
    return Status::Corruption("archive header: the range " + std::to_string(header.from_height()) + "-" +
                              std::to_string(header.to_height()) + " is empty or starts at genesis");
  }
  epochs->push_back(GenesisEpoch(genesis));
  for (const v1::EpochChangeProof& proof : header.epoch_changes()) {
    auto next = VerifyEpochChange(genesis.chain_id(), epochs->back(), proof, verifier);
    if (!next.ok()) {
      return Status::Corruption("archive header: the change to epoch " + std::to_string(epochs->size()) + ": " +
                                next.status().message());
    }
    epochs->push_back(std::move(next).value());
  }
  return header;
}

// From a later block than genesis: each block chained, certified and its body checked.
Status CheckBlocks(const v1::Genesis& genesis, const v1::ArchiveHeader& header, const std::vector<TrustedEpoch>& epochs,
                   ArchiveReader& reader, crypto::SignatureVerifier& verifier, ArchiveReport* report) {
  std::optional<Hash> parent;
  v1::CertifiedBlock certified;
  std::optional<v1::QuorumCertificate> finality;
  for (uint64_t height = header.from_height(); height <= header.to_height(); ++height) {
    CAIRN_ASSIGN_OR_RETURN(auto record, reader.Next());
    if (!record || !record->has_block()) return ledger::AuditFailure(height, "archive", "no block record where one belongs");
    *certified.mutable_block() = std::move(*record->mutable_block()->mutable_block());
    *certified.mutable_certificate() = std::move(*record->mutable_block()->mutable_certificate());
    v1::BlockHeader block_header;
    CAIRN_ASSIGN_OR_RETURN(Hash hash, CheckChainedBlock(genesis.chain_id(), epochs, certified, height,
                                                        parent ? &*parent : nullptr, verifier, &block_header));
    parent = hash;
    report->transactions += static_cast<uint64_t>(certified.block().transactions_size());
    finality.reset();
    if (record->block().has_finality()) finality = record->block().finality();
  }
  if (finality && finality->commit_hash() == AsView(*parent) && finality->epoch() < epochs.size()) {
    report->last_proven_final = VerifyCertificateOf(genesis.chain_id(), epochs[finality->epoch()], *finality, verifier).ok();
  }
  CAIRN_ASSIGN_OR_RETURN(auto end, reader.Next());
  if (!end || !end->has_end() || end->end().blocks() != header.to_height() - header.from_height() + 1) {
    return ledger::AuditFailure(header.to_height(), "archive", "no end record after the last block");
  }
  return Status::Ok();
}

}  // namespace

Status ArchiveWriter::Write(const v1::ArchiveRecord& record) {
  const std::string bytes = record.SerializeAsString();
  unsigned char length[4];
  const auto size = static_cast<uint32_t>(bytes.size());
  for (int i = 0; i < 4; ++i) length[i] = static_cast<unsigned char>(size >> (24 - 8 * i));
  previous_ = RecordHash(chain_id_, previous_, bytes);
  if (std::fwrite(length, 1, 4, out_) != 4 || std::fwrite(bytes.data(), 1, bytes.size(), out_) != bytes.size() ||
      std::fwrite(previous_.data(), 1, previous_.size(), out_) != previous_.size()) {
    return Status::IoError("cannot write the archive");
  }
  return Status::Ok();
}

Status ExportArchive(const ledger::Ledger& ledger, uint64_t from, uint64_t to, const std::string& path) {
  if (from == 0 || to < from || to > ledger.height()) {
    return Status::InvalidArgument("the range " + std::to_string(from) + "-" + std::to_string(to) +
                                   " is not within blocks 1-" + std::to_string(ledger.height()));
  }
  if (std::filesystem::exists(path)) return Status::FailedPrecondition(path + " exists: an export never overwrites");
  const std::string partial = path + ".partial";
  std::FILE* out = std::fopen(partial.c_str(), "wb");
  if (out == nullptr) return Status::IoError("cannot create " + partial);
  Status written = WriteArchive(ledger, from, to, out);
  if (written.ok() && (std::fflush(out) != 0 || ::fsync(fileno(out)) != 0)) written = Status::IoError("cannot sync " + partial);
  if (std::fclose(out) != 0 && written.ok()) written = Status::IoError("cannot close " + partial);
  std::error_code error;
  if (written.ok()) std::filesystem::rename(partial, path, error);
  if (!written.ok() || error) {
    std::filesystem::remove(partial, error);
    return written.ok() ? Status::IoError("cannot rename " + partial + " to " + path) : written;
  }
  return Status::Ok();
}

Result<ArchiveReader> ArchiveReader::Open(const std::string& path, std::string chain_id) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open the archive " + path);
  return ArchiveReader(std::move(in), std::move(chain_id));
}

Status ArchiveReader::Damaged(const std::string& what) const {
  return Status::Corruption("archive record " + std::to_string(index_) + " (byte " + std::to_string(offset_) + "): " + what);
}

Result<std::optional<v1::ArchiveRecord>> ArchiveReader::Next() {
  unsigned char length[4];
  in_.read(reinterpret_cast<char*>(length), 4);
  if (in_.gcount() == 0 && in_.eof()) {
    if (ended_) return std::optional<v1::ArchiveRecord>();
    return Damaged("the file ends without its end record (truncated?)");
  }
  if (ended_) return Damaged("bytes after the end record");
  if (in_.gcount() != 4) return Damaged("a cut length");
  uint32_t size = 0;
  for (unsigned char byte : length) size = (size << 8) | byte;
  if (size > kMaxRecordBytes) return Damaged("a length of " + std::to_string(size) + " bytes, over the bound");
  std::string bytes(size, '\0');
  in_.read(bytes.data(), size);
  Hash stored{};
  in_.read(reinterpret_cast<char*>(stored.data()), stored.size());
  if (!in_) return Damaged("the file ends inside it (truncated?)");
  const Hash expected = RecordHash(chain_id_, previous_, bytes);
  if (stored != expected) return Damaged("its hash does not match its bytes: changed or damaged");
  v1::ArchiveRecord record;
  if (!record.ParseFromString(bytes)) return Damaged("it does not parse");
  previous_ = expected;
  ++index_;
  offset_ += 4 + size + stored.size();
  if (record.has_end()) ended_ = true;
  return std::optional<v1::ArchiveRecord>(std::move(record));
}

Result<ArchiveReport> VerifyArchive(const v1::Genesis& genesis, const std::string& path) {
  const auto start = std::chrono::steady_clock::now();
  CAIRN_ASSIGN_OR_RETURN(ArchiveReader reader, ArchiveReader::Open(path, genesis.chain_id()));
  crypto::CachingVerifier signatures(1 << 16);
  std::vector<TrustedEpoch> epochs;
  CAIRN_ASSIGN_OR_RETURN(v1::ArchiveHeader header, ReadHeader(genesis, reader, signatures, &epochs));
  ArchiveReport report{.from = header.from_height(), .to = header.to_height()};
  if (header.from_height() == 1) {
    ArchiveSource source(reader, header);
    const auto check = MakeCertificateCheck(genesis.chain_id(), ledger::BuildGenesisState(genesis).block_hash, signatures);
    CAIRN_ASSIGN_OR_RETURN(ledger::AuditReport audit, ledger::AuditChain(genesis, source, check));
    report.replayed = true;
    report.transactions = audit.transactions;
    report.epochs = audit.epochs;
    report.last_proven_final = audit.head_proven_final;
  } else {
    CAIRN_RETURN_IF_ERROR(CheckBlocks(genesis, header, epochs, reader, signatures, &report));
    report.epochs = epochs.size();
  }
  CAIRN_ASSIGN_OR_RETURN(auto after, reader.Next());
  if (after) return Status::Corruption("archive: records after its end");
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

Result<ArchiveReport> ImportArchive(const v1::Genesis& genesis, const std::string& path, ledger::Ledger& ledger) {
  const auto start = std::chrono::steady_clock::now();
  CAIRN_ASSIGN_OR_RETURN(ArchiveReader reader, ArchiveReader::Open(path, genesis.chain_id()));
  crypto::CachingVerifier signatures(1 << 16);
  std::vector<TrustedEpoch> epochs;
  CAIRN_ASSIGN_OR_RETURN(v1::ArchiveHeader header, ReadHeader(genesis, reader, signatures, &epochs));
  if (header.from_height() != ledger.height() + 1) {
    return Status::FailedPrecondition("the archive starts at block " + std::to_string(header.from_height()) +
                                      " but this ledger's head is block " + std::to_string(ledger.height()) +
                                      ": import the archive that starts at block " + std::to_string(ledger.height() + 1));
  }
  ArchiveSource source(reader, header);
  const auto check = MakeCertificateCheck(genesis.chain_id(), ledger::BuildGenesisState(genesis).block_hash, signatures);
  ledger::AuditReport audit;
  // The replay commits into the node's own ledger; nothing is compared, so the store the
  // replay would be compared against is none.
  const ledger::MemoryStore none;
  CAIRN_RETURN_IF_ERROR(ledger::ReplayBlocks(genesis, ledger, none, source, check, signatures, nullptr, &audit));
  // The replay read up to the end record; nothing may follow it (as VerifyArchive checks).
  CAIRN_ASSIGN_OR_RETURN(auto after, reader.Next());
  if (after) return Status::Corruption("archive: records after its end");
  ArchiveReport report{.from = header.from_height(), .to = header.to_height()};
  report.replayed = true;
  report.transactions = audit.transactions;
  report.epochs = ledger.epoch() + 1;
  report.last_proven_final = audit.head_proven_final;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace cairn::node

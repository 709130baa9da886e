#include "tests/cluster/chain_checks.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <chrono>

#include "crypto/bytes.h"

namespace cairn::cluster {

uint64_t MaxHeight(Cluster& cluster) {
  uint64_t best = 0;
  for (int i = 0; i < cluster.size(); ++i) best = std::max(best, cluster.Height(i));
  return best;
}

ChainComparison CompareChains(Cluster& cluster, uint64_t height) {
  ChainComparison out;
  uint64_t parent_time_ms = 0;
  for (uint64_t h = 1; h <= height; ++h) {
    std::string reference;
    bool agree = true;
    std::string detail;
    for (int i = 0; i < cluster.size(); ++i) {
      auto block = cluster.GetBlock(i, h);
      const std::string hash = block ? block->hash() : "";
      if (i == 0) {
        reference = hash;
        v1::BlockHeader header;
        if (block && header.ParseFromString(block->block().header())) {
          if (header.timestamp_ms() < parent_time_ms) ++out.timestamp_regressions;
          parent_time_ms = header.timestamp_ms();
          const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch()).count();
          out.max_ahead_ms = std::max(out.max_ahead_ms, static_cast<int64_t>(header.timestamp_ms()) - now_ms);
        }
      }
      if (hash.empty() || hash != reference) {
        agree = false;
        detail = "height " + std::to_string(h) + ": node 0 holds " + (reference.empty() ? "nothing" : ToHex(reference)) +
                 ", node " + std::to_string(i) + " holds " + (hash.empty() ? "nothing" : ToHex(hash));
      }
    }
    ++out.heights;
    if (!agree) {
      if (out.forks++ == 0) out.first = detail;
    }
  }
  return out;
}

size_t CountMissing(Cluster& cluster, int i, const std::vector<std::string>& tx_hashes) {
  size_t missing = 0;
  for (const std::string& hash : tx_hashes) {
    auto tx = cluster.GetTransaction(i, hash);
    if (!tx || tx->state() != v1::GetTransactionResponse::COMMITTED) ++missing;
  }
  return missing;
}

size_t CountNotAsAcknowledged(Cluster& cluster, int i, const std::vector<std::pair<std::string, std::string>>& acknowledged) {
  size_t differing = 0;
  for (const auto& [hash, receipt] : acknowledged) {
    auto tx = cluster.GetTransaction(i, hash);
    if (!tx || tx->state() != v1::GetTransactionResponse::COMMITTED || tx->receipt().SerializeAsString() != receipt) {
      ++differing;
    }
  }
  return differing;
}

namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The forms in which validator i's private key could leak into a log.
std::vector<std::string> KeyMaterial(Cluster& cluster, int i) {
  std::istringstream pem(ReadText(cluster.NodeDir(i) + "/node.key"));
  std::string line, body;
  while (std::getline(pem, line)) {
    if (!line.starts_with("-----")) body += line;
  }
  std::vector<std::string> forms = {body};
  // PKCS#8 DER of an Ed25519 key ends with the 32-byte seed.
  std::string der(body.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(der.data()),
                                reinterpret_cast<const unsigned char*>(body.data()), static_cast<int>(body.size()));
  if (n >= 32) {
    // EVP_DecodeBlock counts base64 padding as zero bytes: drop them before taking the tail.
    const size_t padding = body.ends_with("==") ? 2 : body.ends_with("=") ? 1 : 0;
    const std::string seed = der.substr(static_cast<size_t>(n) - padding - 32, 32);
    forms.push_back(ToHex(seed));
  }
  return forms;
}

}  // namespace

int LogsWithKeyMaterial(Cluster& cluster) {
  std::vector<std::string> secrets;
  for (int i = 0; i < cluster.size(); ++i) {
    for (auto& form : KeyMaterial(cluster, i)) secrets.push_back(std::move(form));
  }
  int leaking = 0;
  for (int i = 0; i < cluster.size(); ++i) {
    const std::string log = ReadText(cluster.NodeDir(i) + "/cairnd.log");
    for (const std::string& secret : secrets) {
      if (!secret.empty() && log.find(secret) != std::string::npos) {
        ++leaking;
        break;
      }
    }
  }
  return leaking;
}

bool AuditPasses(Cluster& cluster, int i) {
  return RunProgram({CAIRN_CLI_PATH, "audit", "--genesis", cluster.GenesisFile(), "--data", cluster.DataDir(i)},
                    cluster.dir() + "/audit-node" + std::to_string(i) + ".log") == 0;
}

bool Advances(Cluster& cluster, uint64_t blocks, std::chrono::seconds limit, int i) {
  const uint64_t from = cluster.Height(i);
  return Cluster::WaitFor([&] { return cluster.Height(i) >= from + blocks; }, limit);
}

}  // namespace cairn::cluster

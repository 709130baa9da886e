// The read commands: status, account, tx, block, watch, validators, evidence. Each prints a few readable
// lines, or with --json one JSON object (watch: one per block, per line). Account,
// transaction and block answers are checked against the validator sets by the light
// client (trust.h) unless --no-verify says not to.
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "crypto/domain.h"
#include "ledger/json_file.h"
#include "ledger/signatories.h"
#include "node/cli/args.h"
#include "node/cli/client.h"
#include "node/cli/command.h"
#include "node/cli/json_output.h"
#include "node/cli/options.h"
#include "node/cli/reading.h"
#include "node/cli/trust.h"

namespace cairn::cli {

namespace {

namespace po = boost::program_options;

// The block's header fields, hash and counts, for --json.
Json BlockJson(const v1::GetBlockResponse& block) {
  v1::BlockHeader header;
  header.ParseFromString(block.block().header());
  Json json = {{"height", Integer(block.height())}, {"hash", ToHex(block.hash())}};
  json.update(MessageJson(header));
  json["transactions"] = block.block().transactions_size();
  json["signers"] = block.certificate().signatures_size();
  json["proven_final"] = block.has_finality();
  return json;
}

void PrintBlock(const v1::GetBlockResponse& block) {
  v1::BlockHeader header;
  header.ParseFromString(block.block().header());
  std::printf("block %llu %s: round %llu, proposer %u, %d txs, %d signers%s\n",
              static_cast<unsigned long long>(block.height()), ToHex(block.hash()).c_str(),
              static_cast<unsigned long long>(header.round()), header.proposer(), block.block().transactions_size(),
              block.certificate().signatures_size(), block.has_finality() ? ", proven final" : "");
}

std::string ChangeText(const v1::ValidatorChange& change) {
  const v1::ValidatorInfo& v = change.validator();
  std::string text;
  switch (change.kind()) {
    case v1::ValidatorChange::KIND_ADD: text = "add " + v.name(); break;
    case v1::ValidatorChange::KIND_REMOVE: text = "remove " + v.name(); break;
    case v1::ValidatorChange::KIND_UPDATE: text = "update " + v.name(); break;
    default: text = "?"; break;
  }
  if (!v.public_key().empty()) text += " key " + ToHex(v.public_key());
  if (!v.address().empty()) text += " at " + v.address();
  return text;
}

std::string ProposalLine(const v1::ChangeProposal& p) {
  std::string status = v1::ProposalStatus_Name(p.status());
  std::string line = "proposal " + std::to_string(p.id()) + ": " + ChangeText(p.change()) + " (" + status + ", " +
                     std::to_string(p.approvals_size()) + " approvals, " + std::to_string(p.rejections_size()) +
                     " rejections, proposed at height " + std::to_string(p.proposed_height());
  if (p.status() == v1::PROPOSAL_APPLIED) line += ", in effect from epoch " + std::to_string(p.applied_epoch());
  if (!p.failure().empty()) line += ": " + p.failure();
  return line + ")";
}

}  // namespace

int RunValidators(const std::vector<std::string>& args) {
  Reading reading;
  uint64_t epoch = 0, height = 0, proposal = 0;
  po::options_description options("validators options");
  options.add_options()
      ("epoch", po::value(&epoch), "the set of this epoch (default: the current one)")
      ("height", po::value(&height), "the set that certified the block at this height")
      ("proposal", po::value(&proposal), "show this validator-set proposal, open or closed, instead");
  AddReading(options, &reading);
  int exit_code = 0;
  auto given = ParseOptions("usage: cairn validators [--epoch N | --height H | --proposal ID] [--json]", options, args,
                            &exit_code);
  if (!given) return exit_code;
  if (given->count("epoch") + given->count("height") + given->count("proposal") > 1) {
    return PrintError("give at most one of --epoch, --height and --proposal"), 2;
  }
  NodeClient client(reading.node);
  if (given->count("proposal")) {
    auto p = client.Proposal(proposal);
    if (!p.ok()) return PrintError(p.status().message()), 1;
    if (reading.json) return PrintJson(MessageJson(*p)), 0;
    std::printf("%s\n", ProposalLine(*p).c_str());
    return 0;
  }
  v1::GetValidatorsRequest request;
  if (given->count("epoch")) request.set_epoch(epoch);
  if (given->count("height")) request.set_height(height);
  auto set = client.Validators(request);
  if (!set.ok()) return PrintError(set.status().message()), 1;
  if (reading.json) return PrintJson(MessageJson(*set)), 0;
  const v1::ValidatorSet& validators = set->validators();
  std::printf("epoch %llu from height %llu: %d validators, quorum %u, tolerates %u faulty\n",
              static_cast<unsigned long long>(validators.epoch()), static_cast<unsigned long long>(set->first_height()),
              validators.validators_size(), set->quorum(), set->max_faulty());
  for (int i = 0; i < validators.validators_size(); ++i) {
    const v1::ValidatorInfo& v = validators.validators(i);
    std::printf("  %d %s %s %s\n", i, v.name().c_str(), ToHex(v.public_key()).c_str(), v.address().c_str());
  }
  std::printf(
      "changes need %u admin approvals within %llu s and apply at heights that are multiples of %llu\n",
      set->governance().admin_threshold(), static_cast<unsigned long long>(set->governance().proposal_lifetime_s()),
      static_cast<unsigned long long>(set->governance().epoch_length()));
  if (set->open_proposals().empty()) std::printf("no open proposals\n");
  for (const v1::ChangeProposal& p : set->open_proposals()) std::printf("%s\n", ProposalLine(p).c_str());
  return 0;
}

int RunEvidence(const std::vector<std::string>& args) {
  Reading reading;
  uint64_t from = 0;
  po::options_description options("evidence options");
  options.add_options()("from", po::value(&from), "from this height on (default: the start)");
  AddReading(options, &reading);
  int exit_code = 0;
  if (!ParseOptions("usage: cairn evidence [--from H] [--json]", options, args, &exit_code)) return exit_code;
  NodeClient client(reading.node);
  auto list = client.Evidence(from);
  if (!list.ok()) return PrintError(list.status().message()), 1;
  if (reading.json) return PrintJson(MessageJson(*list)), 0;
  if (list->records().empty()) std::printf("no equivocation evidence in the chain\n");
  for (const v1::EvidenceRecord& r : list->records()) {
    std::printf("height %llu: validator %s (%s) signed two conflicting %s in round %llu of epoch %llu\n",
                static_cast<unsigned long long>(r.height()), r.validator_name().c_str(), ToHex(r.validator_key()).c_str(),
                r.evidence().has_double_vote() ? "votes" : "proposals", static_cast<unsigned long long>(r.round()),
                static_cast<unsigned long long>(r.epoch()));
  }
  return 0;
}

namespace {

// Who leads next and each validator's standing in leader reputation.
void PrintLeaders(const v1::GetConsensusStateResponse& consensus) {
  std::string upcoming;
  for (uint32_t v : consensus.upcoming_leaders()) upcoming += (upcoming.empty() ? "" : ", ") + std::to_string(v);
  std::printf("leaders from round %llu: %s\n", static_cast<unsigned long long>(consensus.round()), upcoming.c_str());
  for (const v1::LeaderStanding& s : consensus.standings()) {
    std::printf("  %u %-12s %s, %u failed rounds in the window, last active in round %llu\n", s.validator(),
                s.name().c_str(), s.candidate() ? "candidate" : "left out", s.failures(),
                static_cast<unsigned long long>(s.last_active_round()));
  }
}

// What the node keeps and, when it prunes, each term of its prune point: the answer to
// "why is it not pruning?".
void PrintRetention(const v1::RetentionStatus& r) {
  auto u = [](uint64_t n) { return static_cast<unsigned long long>(n); };
  if (r.keep_blocks() == 0 && r.keep_days() == 0 && r.keep_state_versions() == 0) {
    std::printf("retention: keeps everything (an archive node)\n");
    return;
  }
  std::string window = r.keep_blocks() > 0 ? "the last " + std::to_string(r.keep_blocks()) + " blocks" : "";
  if (r.keep_days() > 0) window += (window.empty() ? "" : " or ") + std::string("the last ") + std::to_string(r.keep_days()) + " days";
  std::printf("retention: block bodies, receipts and indexes of %s; state of the last %s\n",
              window.empty() ? "every block" : window.c_str(),
              r.keep_state_versions() > 0 ? (std::to_string(r.keep_state_versions()) + " blocks").c_str() : "every block");
  std::printf("  prune point %llu = lowest of: window %llu, state sync floor %s\n", u(r.prune_point()), u(r.window_below()),
              r.has_state_sync_floor() ? std::to_string(r.state_sync_floor()).c_str() : "none (no joining node restoring)");
  std::printf("  holds bodies from block %llu (headers and certificates of every block), state from version %llu\n",
              u(r.retained_from()), u(r.oldest_state_version()));
}

}  // namespace

int RunStatus(const std::vector<std::string>& args) {
  Reading reading;
  po::options_description options("status options");
  AddReading(options, &reading);
  int exit_code = 0;
  if (!ParseOptions("usage: cairn status [--node HOST:PORT] [--json]", options, args, &exit_code)) return exit_code;
  NodeClient client(reading.node);
  auto status = client.Status();
  if (!status.ok()) return PrintError(status.status().message()), 1;
  auto consensus = client.ConsensusState();
  if (!consensus.ok()) return PrintError(consensus.status().message()), 1;
  if (reading.json) {
    Json json = MessageJson(*status);
    json["upcoming_leaders"] = consensus->upcoming_leaders();
    json["leader_standings"] = Json::array();
    for (const v1::LeaderStanding& s : consensus->standings()) json["leader_standings"].push_back(MessageJson(s));
    PrintJson(json);
  } else {
    std::printf("node %s: chain %s, height %llu, head %s\n%s, round %llu, %u peers, %llu pending transactions%s\n",
                client.address().c_str(), status->chain_id().c_str(), static_cast<unsigned long long>(status->height()),
                ToHex(status->head_hash()).c_str(), status->validator() ? "validator" : "observer",
                static_cast<unsigned long long>(status->round()), status->peers(),
                static_cast<unsigned long long>(status->mempool_size()),
                status->syncing() ? (", syncing (peers up to " + std::to_string(status->best_peer_height()) + ")").c_str() : "");
    if (status->base_height() > 0) {
      std::printf("history from block %llu: the node joined by state sync there\n",
                  static_cast<unsigned long long>(status->base_height()));
    }
    PrintRetention(status->retention());
    PrintLeaders(*consensus);
  }
  return 0;
}

int RunAccount(const std::vector<std::string>& args) {
  Reading reading;
  std::string address_text, proof_file;
  uint64_t max_age_s = 300;
  po::options_description options("account options");
  options.add_options()
      ("address", po::value(&address_text)->required(), "address (or public key); also positional")
      ("proof", po::value(&proof_file), "also save the answer with its proof to this file (for verify-proof)")
      ("max-age", po::value(&max_age_s), "refuse a state from a block older than this many seconds (0: any age; default 300)");
  AddVerifiedReading(options, &reading);
  const std::vector<std::string> all = WithPositional(args, "--address");
  int exit_code = 0;
  if (!ParseOptions("usage: cairn account ADDR [--node HOST:PORT] [--json] [--trust-genesis FILE | --no-verify]", options,
                    all, &exit_code)) {
    return exit_code;
  }
  auto address = ParseAddress(address_text);
  if (!address.ok()) return PrintError(address.status().message()), 2;
  NodeClient client(reading.node);
  auto trust = OpenTrust(reading, client);
  if (!trust.ok()) return PrintError(trust.status().message()), 1;
  auto answer = client.Account(*address);
  if (!answer.ok()) return PrintError(answer.status().message()), 1;
  if (answer->proof().address() != ByteView(*address)) return PrintError("the node answered about another address"), 1;
  std::optional<node::VerifiedHeader> verified;
  if (*trust) {
    auto checked = (*trust)->light_client().VerifyAccount(*answer, (*trust)->fetcher(), {NowMs(), max_age_s * 1000});
    if (!checked.ok()) return PrintError("the node's answer does not check: " + checked.status().message()), 1;
    verified = std::move(*checked);
    (*trust)->Save();
  }
  if (!proof_file.empty()) WriteProofFile(proof_file, *answer);
  const v1::Account& account = answer->account();
  if (reading.json) {
    Json balances = Json::array();
    for (const auto& b : account.balances()) balances.push_back({{"asset", b.asset()}, {"amount", Integer(b.amount())}});
    Json signatories = Json::array();
    for (const Bytes& key : ledger::SignatoriesOf(account)) signatories.push_back(ToHex(key));
    Json writers = Json::array();
    for (const auto& writer : account.record_writers()) writers.push_back(ToHex(writer));
    Json json = {{"address", ToHex(*address)},
                 {"exists", answer->has_account()},
                 {"role", RoleName(account.role())},
                 {"nonce", Integer(account.nonce())},
                 {"balances", std::move(balances)},
                 {"signatories", answer->has_account() ? std::move(signatories) : Json::array()},
                 {"quorum", answer->has_account() ? ledger::QuorumOf(account) : 0},
                 {"records", account.record_count()},
                 {"record_writers", std::move(writers)},
                 {"may_create_accounts", account.may_create_accounts()},
                 {"height", Integer(answer->height())},
                 {"state_root", ToHex(answer->state_root())},
                 {"proof_valid", verified.has_value()}};
    json.update(VerificationJson(*trust, verified));
    return PrintJson(json), 0;
  }
  if (!answer->has_account()) {
    std::printf("no account %s at height %llu%s\n", ToHex(*address).c_str(), static_cast<unsigned long long>(answer->height()),
                verified ? " (absence proven against the state root)" : "");
  } else {
    std::printf("account %s: %s, nonce %llu\n", ToHex(*address).c_str(), RoleName(account.role()).c_str(),
                static_cast<unsigned long long>(account.nonce()));
    for (const auto& b : account.balances()) std::printf("  %s %llu\n", b.asset().c_str(), static_cast<unsigned long long>(b.amount()));
    if (!account.signatories().empty()) {
      std::printf("  signed by %u of %d signatories (cairn signatories show)\n", account.quorum(), account.signatories_size());
    }
    if (account.record_count() > 0) std::printf("  %u records\n", account.record_count());
    std::printf("at height %llu, state root %s\n", static_cast<unsigned long long>(answer->height()),
                ToHex(answer->state_root()).c_str());
  }
  std::printf("%s\n", verified ? (*trust)->Describe(*verified).c_str() : kNotVerified);
  return 0;
}

int RunTx(const std::vector<std::string>& args) {
  Reading reading;
  std::string hash_text, proof_file;
  po::options_description options("tx options");
  options.add_options()
      ("hash", po::value(&hash_text)->required(), "transaction hash; also positional")
      ("proof", po::value(&proof_file), "also save the answer with its proof to this file (for verify-proof)");
  AddVerifiedReading(options, &reading);
  const std::vector<std::string> all = WithPositional(args, "--hash");
  int exit_code = 0;
  if (!ParseOptions("usage: cairn tx HASH [--node HOST:PORT] [--json] [--trust-genesis FILE | --no-verify]", options, all,
                    &exit_code)) {
    return exit_code;
  }
  auto hash = ParseHash(hash_text);
  if (!hash.ok()) return PrintError(hash.status().message()), 2;
  NodeClient client(reading.node);
  auto trust = OpenTrust(reading, client);
  if (!trust.ok()) return PrintError(trust.status().message()), 1;
  auto tx = client.Transaction(*hash);
  if (!tx.ok()) return PrintError(tx.status().message()), 1;
  const std::string state = v1::GetTransactionResponse::State_Name(tx->state());
  if (tx->state() != v1::GetTransactionResponse::COMMITTED) {
    if (reading.json) {
      PrintJson({{"tx_hash", ToHex(*hash)}, {"state", state}});
    } else {
      std::printf("transaction %s: %s\n", hash_text.c_str(), state.c_str());
    }
    return tx->state() == v1::GetTransactionResponse::UNKNOWN ? 1 : 0;
  }
  if (tx->receipt().tx_hash() != ByteView(*hash)) return PrintError("the node answered about another transaction"), 1;
  std::optional<node::VerifiedHeader> verified;
  if (*trust) {
    auto checked = (*trust)->light_client().VerifyTransaction(*tx, (*trust)->fetcher());
    if (!checked.ok()) return PrintError("the node's answer does not check: " + checked.status().message()), 1;
    verified = std::move(*checked);
    (*trust)->Save();
  }
  if (!proof_file.empty()) WriteProofFile(proof_file, *tx);
  const v1::Receipt& receipt = tx->receipt();
  if (reading.json) {
    Json json = {{"tx_hash", ToHex(*hash)},
                 {"state", state},
                 {"height", Integer(receipt.height())},
                 {"index", receipt.index()},
                 {"result", v1::TxResult_Name(receipt.result())},
                 {"message", receipt.message()},
                 {"block_hash", ToHex(tx->block_hash())},
                 {"inclusion_proof_valid", verified.has_value()}};
    json.update(VerificationJson(*trust, verified));
    return PrintJson(json), 0;
  }
  std::printf("transaction %s: committed at height %llu (index %u) in block %s\nresult %s%s%s\n%s\n", hash_text.c_str(),
              static_cast<unsigned long long>(receipt.height()), receipt.index(), ToHex(tx->block_hash()).c_str(),
              v1::TxResult_Name(receipt.result()).c_str(), receipt.message().empty() ? "" : ": ", receipt.message().c_str(),
              verified ? ((*trust)->Describe(*verified) + "; inclusion proven").c_str() : kNotVerified);
  return 0;
}

namespace {

// A block answer checked (when `trust` is given) and printed; false when it does not
// check, after saying why.
bool ShowBlock(const v1::GetBlockResponse& block, std::optional<Trust>& trust, bool json) {
  std::optional<node::VerifiedHeader> verified;
  if (trust) {
    auto checked = trust->light_client().VerifyBlock(block, trust->fetcher());
    if (!checked.ok()) {
      PrintError("the node's block " + std::to_string(block.height()) + " does not check: " + checked.status().message());
      return false;
    }
    verified = std::move(*checked);
  }
  if (json) {
    Json out = BlockJson(block);
    out.update(VerificationJson(trust, verified));
    PrintJson(out);
  } else {
    PrintBlock(block);
    std::printf("  %s\n", verified ? trust->Describe(*verified).c_str() : kNotVerified);
  }
  return true;
}

}  // namespace

int RunBlock(const std::vector<std::string>& args) {
  Reading reading;
  std::string which = "latest";
  po::options_description options("block options");
  options.add_options()("height", po::value(&which), "a height, or latest (default); also positional");
  AddVerifiedReading(options, &reading);
  const std::vector<std::string> all = WithPositional(args, "--height");
  int exit_code = 0;
  if (!ParseOptions("usage: cairn block [HEIGHT|latest] [--node HOST:PORT] [--json] [--trust-genesis FILE | --no-verify]",
                    options, all, &exit_code)) {
    return exit_code;
  }
  std::optional<uint64_t> height;
  if (which != "latest") {
    char* end = nullptr;
    height = std::strtoull(which.c_str(), &end, 10);
    if (which.empty() || *end != '\0') return PrintError("'" + which + "' is not a height or latest"), 2;
  }
  NodeClient client(reading.node);
  auto trust = OpenTrust(reading, client);
  if (!trust.ok()) return PrintError(trust.status().message()), 1;
  auto block = client.Block(height);
  if (!block.ok()) return PrintError(block.status().message()), 1;
  if (!ShowBlock(*block, *trust, reading.json)) return 1;
  if (*trust) (*trust)->Save();
  return 0;
}

int RunWatch(const std::vector<std::string>& args) {
  Reading reading;
  uint64_t from = 0;
  po::options_description options("watch options");
  options.add_options()("from", po::value(&from), "first height (default: the next block)");
  AddVerifiedReading(options, &reading);
  int exit_code = 0;
  if (!ParseOptions("usage: cairn watch [--from HEIGHT] [--node HOST:PORT] [--json] [--trust-genesis FILE | --no-verify]",
                    options, args, &exit_code)) {
    return exit_code;
  }
  NodeClient client(reading.node);
  auto trust = OpenTrust(reading, client);
  if (!trust.ok()) return PrintError(trust.status().message()), 1;
  if (from == 0) {
    auto status = client.Status();
    if (!status.ok()) return PrintError(status.status().message()), 1;
    from = status->height() + 1;
  }
  // Follows until interrupted; after a broken connection, resumes from the next height.
  // Each block is checked as it comes: a block that does not check ends the watch.
  auto saved = std::chrono::steady_clock::time_point();
  for (;;) {
    grpc::ClientContext context;
    v1::StreamBlocksRequest request;
    request.set_from_height(from);
    auto stream = client.ledger().StreamBlocks(&context, request);
    v1::GetBlockResponse block;
    while (stream->Read(&block)) {
      if (block.height() != from) return PrintError("the node sent block " + std::to_string(block.height()) + " for " + std::to_string(from)), 1;
      if (!ShowBlock(block, *trust, reading.json)) return 1;
      // The store at most once a second: a busy chain commits hundreds of blocks a second.
      if (*trust && std::chrono::steady_clock::now() - saved > std::chrono::seconds(1)) {
        (*trust)->Save();
        saved = std::chrono::steady_clock::now();
      }
      std::fflush(stdout);
      from = block.height() + 1;
    }
    grpc::Status ended = stream->Finish();
    if (ended.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED || ended.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      return PrintError(ended.error_message()), 1;
    }
    std::fprintf(stderr, "cairn: stream from %s ended (%s); reconnecting from height %llu\n", client.address().c_str(),
                 ended.error_message().c_str(), static_cast<unsigned long long>(from));
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace cairn::cli

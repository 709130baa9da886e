// Reads checked against the validators, not the node (node/light_client.h): the trust
// options every read command takes, where the trust store lives, and what a read proved.
//
// The trust root: --trust-genesis FILE or --trust-checkpoint HEIGHT:HASH; else the
// genesis file $CAIRN_TRUST_GENESIS, or for the devnet's node the devnet's genesis file
// ($CAIRN_DEVNET_DIR, else ./devnet); else the root the chain's trust store holds
// (--trust-store FILE, else $CAIRN_TRUST_DIR/<chain id>.trust, else
// ~/.cairn/trust/<chain id>.trust). The store keeps what reads proved from its root; a
// store of another root is started again from the one given (a store of a checkpoint
// stays, unless a genesis file is named). With no root, a read fails and says how to
// give one; --no-verify prints the node's answers unchecked and says so.
#pragma once

#include <optional>
#include <string>

#include <boost/program_options.hpp>

#include "node/cli/client.h"
#include "node/cli/json_output.h"
#include "node/light_client.h"

namespace cairn::cli {

struct TrustFlags {
  std::string genesis;     // --trust-genesis
  std::string checkpoint;  // --trust-checkpoint HEIGHT:HASH
  std::string store;       // --trust-store
  bool no_verify = false;  // --no-verify
};

void AddTrustOptions(boost::program_options::options_description& options, TrustFlags* flags);

// Where the trust store of `chain_id` is kept unless --trust-store says: under
// $CAIRN_TRUST_DIR, else ~/.cairn/trust, named by the chain id when it is a plain file
// name (else by its hash).
Result<std::string> DefaultTrustStorePath(const std::string& chain_id);

// The light client of the chain `client` reads from, with its trust store.
class Trust {
 public:
  static Result<Trust> Open(const TrustFlags& flags, NodeClient& client);

  node::LightClient& light_client() { return light_client_; }
  // Epoch changes from the node read from.
  node::EpochChangeFetcher fetcher();
  // Writes what the reads proved to the trust store; a store that cannot be written
  // costs the next read more work, not this one its answer: a warning, not an error.
  void Save() const;
  // What a read proved, for people: "block 812 of epoch 2, committed: 3 of 4 validators
  // signed (trusting genesis 1a2b3c4d...)".
  std::string Describe(const node::VerifiedHeader& verified) const;
  // The same as JSON fields.
  Json DescribeJson(const node::VerifiedHeader& verified) const;

 private:
  Trust(node::LightClient light_client, std::string path, NodeClient& client)
      : light_client_(std::move(light_client)), path_(std::move(path)), client_(&client) {}

  node::LightClient light_client_;
  std::string path_;
  NodeClient* client_;
};

// What --no-verify prints beside an answer: that nothing in it was checked.
inline constexpr const char* kNotVerified =
    "NOT VERIFIED (--no-verify): the node's answer as it sent it; nothing proves the validators committed it";

}  // namespace cairn::cli

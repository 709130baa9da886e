// The first ledger model's commands that sign and submit (node/cli/submit.h): transfer,
// mint, create-account, set-role, and the admins' propose-validator and vote, and a
// validator's rotate-key.
#include <cstdio>
#include <functional>

#include "crypto/domain.h"
#include "ledger/governance.h"
#include "ledger/tx_check.h"
#include "node/cli/args.h"
#include "node/cli/client.h"
#include "node/cli/command.h"
#include "node/cli/json_output.h"
#include "node/cli/options.h"
#include "node/cli/submit.h"
#include "node/config.h"
#include "node/token_signer.h"

namespace cairn::cli {

namespace po = boost::program_options;

int RunTransfer(const std::vector<std::string>& args) {
  TxFlags common;
  std::string to, asset = "CAIRN";
  uint64_t amount = 0;
  po::options_description options("transfer options");
  options.add_options()
      ("to", po::value(&to)->required(), "recipient address (or public key)")
      ("amount", po::value(&amount)->required(), "amount in the asset's smallest unit")
      ("asset", po::value(&asset), "asset name (default CAIRN)");
  AddTxFlags(options, &common);
  return SignAndSubmit("usage: cairn transfer --key FILE --to ADDR --amount N [--asset A] [--wait]", options, common,
                       args, [&](v1::TxBody* body) -> Status {
                         CAIRN_ASSIGN_OR_RETURN(Bytes address, ParseAddress(to));
                         body->mutable_transfer()->set_to(address);
                         body->mutable_transfer()->set_asset(asset);
                         body->mutable_transfer()->set_amount(amount);
                         return Status::Ok();
                       });
}

int RunMint(const std::vector<std::string>& args) {
  TxFlags common;
  std::string to, asset;
  uint64_t amount = 0;
  po::options_description options("mint options");
  options.add_options()
      ("to", po::value(&to)->required(), "account to credit (address or public key)")
      ("asset", po::value(&asset)->required(), "asset name: 1 to 16 of A-Z, 0-9")
      ("amount", po::value(&amount)->required(), "amount to create");
  AddTxFlags(options, &common);
  return SignAndSubmit("usage: cairn mint --key FILE --to ADDR --asset A --amount N [--wait]", options, common, args,
                       [&](v1::TxBody* body) -> Status {
                         CAIRN_ASSIGN_OR_RETURN(Bytes address, ParseAddress(to));
                         body->mutable_mint()->set_to(address);
                         body->mutable_mint()->set_asset(asset);
                         body->mutable_mint()->set_amount(amount);
                         return Status::Ok();
                       });
}

int RunCreateAccount(const std::vector<std::string>& args) {
  TxFlags common;
  std::string public_key, role = "user";
  po::options_description options("create-account options");
  options.add_options()
      ("public-key", po::value(&public_key)->required(), "the new account's public key (64 hex)")
      ("role", po::value(&role), "user (default), issuer or admin");
  AddTxFlags(options, &common);
  return SignAndSubmit("usage: cairn create-account --key FILE --public-key HEX [--role R] [--wait]", options, common,
                       args, [&](v1::TxBody* body) -> Status {
                         auto bytes = FromHex(public_key);
                         if (!bytes.ok() || bytes->size() != 32) {
                           return Status::InvalidArgument("--public-key must be 64 hex characters");
                         }
                         CAIRN_ASSIGN_OR_RETURN(v1::Role parsed, ParseRole(role));
                         body->mutable_create_account()->set_public_key(*bytes);
                         body->mutable_create_account()->set_role(parsed);
                         return Status::Ok();
                       });
}

int RunSetRole(const std::vector<std::string>& args) {
  TxFlags common;
  std::string account, role;
  po::options_description options("set-role options");
  options.add_options()
      ("account", po::value(&account)->required(), "the account (address or public key)")
      ("role", po::value(&role)->required(), "user, issuer or admin");
  AddTxFlags(options, &common);
  return SignAndSubmit("usage: cairn set-role --key FILE --account ADDR --role R [--wait]", options, common, args,
                       [&](v1::TxBody* body) -> Status {
                         CAIRN_ASSIGN_OR_RETURN(Bytes address, ParseAddress(account));
                         CAIRN_ASSIGN_OR_RETURN(v1::Role parsed, ParseRole(role));
                         body->mutable_set_role()->set_account(address);
                         body->mutable_set_role()->set_role(parsed);
                         return Status::Ok();
                       });
}

int RunProposeValidator(const std::vector<std::string>& args) {
  TxFlags common;
  std::string add, remove, update, public_key, address;
  po::options_description options("propose-validator options");
  options.add_options()
      ("add", po::value(&add), "add a validator with this name (needs --public-key and --address)")
      ("remove", po::value(&remove), "remove the validator with this name")
      ("update", po::value(&update), "give the validator with this name a new --public-key and/or --address")
      ("public-key", po::value(&public_key), "its consensus public key (64 hex)")
      ("address", po::value(&address), "its peer address, HOST:PORT");
  AddTxFlags(options, &common);
  return SignAndSubmit(
      "usage: cairn propose-validator --key ADMIN_KEY (--add NAME --public-key HEX --address HOST:PORT | --remove NAME |\n"
      "                               --update NAME [--public-key HEX] [--address HOST:PORT]) [--wait]\n"
      "The change applies at the first epoch boundary after enough admins approved it (cairn validators).",
      options, common, args, [&](v1::TxBody* body) -> Status {
        v1::ValidatorChange* change = body->mutable_propose_validator_change()->mutable_change();
        if (!add.empty() + !remove.empty() + !update.empty() != 1) {
          return Status::InvalidArgument("give exactly one of --add, --remove and --update");
        }
        change->set_kind(!add.empty()      ? v1::ValidatorChange::KIND_ADD
                         : !remove.empty() ? v1::ValidatorChange::KIND_REMOVE
                                           : v1::ValidatorChange::KIND_UPDATE);
        change->mutable_validator()->set_name(!add.empty() ? add : !remove.empty() ? remove : update);
        if (!public_key.empty()) {
          auto bytes = FromHex(public_key);
          if (!bytes.ok() || bytes->size() != 32) return Status::InvalidArgument("--public-key must be 64 hex characters");
          change->mutable_validator()->set_public_key(*bytes);
        }
        change->mutable_validator()->set_address(address);
        return ledger::CheckValidatorChange(*change);
      });
}

int RunVote(const std::vector<std::string>& args) {
  TxFlags common;
  uint64_t proposal = 0;
  bool approve = false, reject = false;
  po::options_description options("vote options");
  options.add_options()
      ("proposal", po::value(&proposal)->required(), "the proposal's id (cairn validators lists the open ones)")
      ("approve", po::bool_switch(&approve), "approve it")
      ("reject", po::bool_switch(&reject), "reject it");
  AddTxFlags(options, &common);
  return SignAndSubmit("usage: cairn vote --key ADMIN_KEY --proposal ID (--approve | --reject) [--wait]", options, common,
                       args, [&](v1::TxBody* body) -> Status {
                         if (approve == reject) return Status::InvalidArgument("give exactly one of --approve and --reject");
                         body->mutable_vote_validator_change()->set_proposal_id(proposal);
                         body->mutable_vote_validator_change()->set_approve(approve);
                         return Status::Ok();
                       });
}

namespace {

// What signs a key rotation for one of its two keys: a key file, or the token a node
// config's consensus_token names.
using SignWith = std::function<Result<Bytes>(ByteView)>;
Result<std::pair<crypto::PublicKey, SignWith>> RotationKey(const std::string& key_file, const std::string& token_config,
                                                           const std::string& which) {
  if (key_file.empty() == token_config.empty()) {
    return Status::InvalidArgument("give one of --" + which + "-key FILE and --" + which + "-token NODE_CONFIG");
  }
  if (!key_file.empty()) {
    CAIRN_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::ReadFile(key_file));
    auto shared = std::make_shared<crypto::PrivateKey>(std::move(key));
    return std::pair{shared->public_key(), SignWith([shared](ByteView m) -> Result<Bytes> { return shared->Sign(m); })};
  }
  CAIRN_ASSIGN_OR_RETURN(v1::NodeConfig config, node::LoadNodeConfig(token_config));
  if (!config.has_consensus_token()) return Status::InvalidArgument(token_config + " has no consensus_token");
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<node::TokenSigner> token, node::TokenSigner::Open(config.consensus_token()));
  std::shared_ptr<node::TokenSigner> shared = std::move(token);
  return std::pair{shared->public_key(), SignWith([shared](ByteView m) { return shared->Sign(m); })};
}

}  // namespace

int RunRotateKey(const std::vector<std::string>& args) {
  TxFlags common;
  std::string name, old_key_file, new_key_file, old_token, new_token;
  po::options_description options("rotate-key options");
  options.add_options()
      ("name", po::value(&name)->required(), "the validator's name in the set")
      ("old-key", po::value(&old_key_file), "its current consensus key file (the node key, before a first rotation)")
      ("old-token", po::value(&old_token), "or: the node config whose consensus_token holds its current key")
      ("new-key", po::value(&new_key_file),
       "the new key file; put it next to the node key as KEY_FILE.next, where the node loads it when the rotation takes effect")
      ("new-token", po::value(&new_token),
       "or: the node config whose consensus_token names the new key (made with cairn keygen --pkcs11); the node "
       "signs with the token once the rotation takes effect");
  AddTxFlags(options, &common);
  return SignAndSubmit(
      "usage: cairn rotate-key --key ACCOUNT_KEY --name NAME (--old-key FILE | --old-token CONFIG)\n"
      "                        (--new-key FILE | --new-token CONFIG) [--wait]\n"
      "Both keys sign the rotation; it takes effect at the next epoch boundary, without a restart.",
      options, common, args, [&](v1::TxBody* body) -> Status {
        CAIRN_ASSIGN_OR_RETURN(auto old_key, RotationKey(old_key_file, old_token, "old"));
        CAIRN_ASSIGN_OR_RETURN(auto new_key, RotationKey(new_key_file, new_token, "new"));
        NodeClient client(common.node);
        CAIRN_ASSIGN_OR_RETURN(v1::GetValidatorsResponse set, client.Validators(v1::GetValidatorsRequest()));
        CAIRN_ASSIGN_OR_RETURN(v1::GetStatusResponse status, client.Status());
        const Bytes new_public = Bytes(new_key.first.bytes());
        const Bytes message = ledger::KeyRotationMessage(status.chain_id(), name, set.validators().epoch(), new_public);
        CAIRN_ASSIGN_OR_RETURN(Bytes old_signature, old_key.second(message));
        CAIRN_ASSIGN_OR_RETURN(Bytes new_signature, new_key.second(message));
        v1::RotateValidatorKey* op = body->mutable_rotate_validator_key();
        op->set_name(name);
        op->set_new_public_key(new_public);
        op->set_old_key_signature(std::move(old_signature));
        op->set_new_key_signature(std::move(new_signature));
        return Status::Ok();
      });
}

}  // namespace cairn::cli

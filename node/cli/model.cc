// The business ledger model's commands (README, "The ledger model"): asset, burn,
// signatories, record, grant, revoke, batch, and sign and submit for transactions that
// several key holders sign. The writes go through SignAndSubmit (submit.h); the reads
// are in model_reads.cc.
#include <cstdio>
#include <functional>
#include <map>

#include "ledger/tx_check.h"
#include "node/cli/args.h"
#include "node/cli/client.h"
#include "node/cli/command.h"
#include "node/cli/json_output.h"
#include "node/cli/model_reads.h"
#include "node/cli/operation_spec.h"
#include "node/cli/options.h"
#include "node/cli/submit.h"

namespace cairn::cli {

namespace {

namespace po = boost::program_options;

using Subcommand = std::function<int(const std::vector<std::string>& args)>;

// `cairn NAME SUB ARGS...`: runs SUB, or says which there are.
int Dispatch(const std::string& name, const std::vector<std::string>& args,
             const std::map<std::string, Subcommand>& subcommands) {
  std::string list;
  for (const auto& [sub, run] : subcommands) list += (list.empty() ? "" : " | ") + sub;
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("usage: cairn %s (%s) ... (each with --help)\n", name.c_str(), list.c_str());
    return args.empty() ? 2 : 0;
  }
  auto it = subcommands.find(args[0]);
  if (it == subcommands.end()) return PrintError("cairn " + name + ": no subcommand '" + args[0] + "' (" + list + ")"), 2;
  return it->second(std::vector<std::string>(args.begin() + 1, args.end()));
}

// Submits one operation built from the parsed options.
int SubmitOperation(const std::string& usage, po::options_description& options, TxFlags& flags,
                    const std::vector<std::string>& args, const std::function<Result<v1::Operation>()>& build) {
  return SignAndSubmit(usage, options, flags, args, [&](v1::TxBody* body) -> Status {
    CAIRN_ASSIGN_OR_RETURN(v1::Operation op, build());
    *body->add_operations() = std::move(op);
    return Status::Ok();
  });
}

Result<Bytes> OptionalAddress(const std::string& text, const std::string& flag) {
  if (text.empty()) return Bytes();
  auto address = ParseAddress(text);
  if (!address.ok()) return address.status().Annotate(flag);
  return address;
}

Result<Bytes> PublicKeyArgument(const std::string& text) {
  auto bytes = FromHex(text);
  if (!bytes.ok() || bytes->size() != 32) return Status::InvalidArgument("--public-key must be 64 hex characters");
  return *bytes;
}

int RunAssetRegister(const std::vector<std::string>& args) {
  TxFlags flags;
  std::string name;
  uint32_t precision = 0;
  uint64_t cap = 0;
  std::vector<std::string> issuers;
  po::options_description options("asset register options");
  options.add_options()
      ("name", po::value(&name)->required(), "asset name: 1 to 16 of A-Z, 0-9")
      ("precision", po::value(&precision), "decimal places of its display unit, 0 to 18 (default 0)")
      ("issuer", po::value(&issuers)->required(), "an account that may mint and burn it (repeat for up to 8)")
      ("cap", po::value(&cap), "the most units that may ever exist at once (default: no cap)");
  AddTxFlags(options, &flags);
  return SubmitOperation(
      "usage: cairn asset register --key FILE --name A --issuer ADDR [--issuer ADDR]... [--precision P] [--cap N] [--wait]\n"
      "Admins and issuers register assets; the signer becomes its owner (it may freeze it and grant minting).",
      options, flags, args, [&]() -> Result<v1::Operation> {
        v1::Operation op;
        v1::RegisterAsset* reg = op.mutable_register_asset();
        reg->set_name(name);
        reg->set_precision(precision);
        reg->set_supply_cap(cap);
        for (const std::string& issuer : issuers) {
          CAIRN_ASSIGN_OR_RETURN(Bytes address, ParseAddress(issuer));
          reg->add_issuers(address);
        }
        return op;
      });
}

Subcommand AssetFreezer(bool frozen) {
  return [frozen](const std::vector<std::string>& args) {
    TxFlags flags;
    std::string name;
    po::options_description options(frozen ? "asset freeze options" : "asset thaw options");
    options.add_options()("name", po::value(&name)->required(), "the asset");
    AddTxFlags(options, &flags);
    return SubmitOperation(std::string("usage: cairn asset ") + (frozen ? "freeze" : "thaw") +
                               " --key FILE --name A [--wait]\nAdmins and the asset's owner.",
                           options, flags, args, [&]() -> Result<v1::Operation> {
                             v1::Operation op;
                             op.mutable_set_asset_frozen()->set_asset(name);
                             op.mutable_set_asset_frozen()->set_frozen(frozen);
                             return op;
                           });
  };
}

Subcommand SignatoryChange(bool add) {
  return [add](const std::vector<std::string>& args) {
    TxFlags flags;
    std::string public_key;
    po::options_description options(add ? "signatories add options" : "signatories remove options");
    options.add_options()("public-key", po::value(&public_key)->required(), "the key (64 hex)");
    AddTxFlags(options, &flags);
    return SubmitOperation(std::string("usage: cairn signatories ") + (add ? "add" : "remove") +
                               " --key FILE [--sender ADDR] --public-key HEX [--wait]\n"
                               "Changes the sending account's signatories; it needs the account's quorum.",
                           options, flags, args, [&]() -> Result<v1::Operation> {
                             CAIRN_ASSIGN_OR_RETURN(Bytes key, PublicKeyArgument(public_key));
                             v1::Operation op;
                             if (add) {
                               op.mutable_add_signatory()->set_public_key(key);
                             } else {
                               op.mutable_remove_signatory()->set_public_key(key);
                             }
                             return op;
                           });
  };
}

int RunSignatoriesQuorum(const std::vector<std::string>& args) {
  TxFlags flags;
  uint32_t quorum = 0;
  po::options_description options("signatories quorum options");
  options.add_options()("quorum", po::value(&quorum)->required(), "signatures needed, 1 to the number of signatories");
  AddTxFlags(options, &flags);
  return SubmitOperation("usage: cairn signatories quorum --key FILE [--sender ADDR] --quorum Q [--wait]", options, flags,
                         args, [&]() -> Result<v1::Operation> {
                           v1::Operation op;
                           op.mutable_set_quorum()->set_quorum(quorum);
                           return op;
                         });
}

Subcommand RecordWriter(bool remove) {
  return [remove](const std::vector<std::string>& args) {
    TxFlags flags;
    std::string name, value, account;
    po::options_description options(remove ? "record delete options" : "record set options");
    options.add_options()
        ("name", po::value(&name)->required(), "the record's key: 1 to 64 of A-Z a-z 0-9 . _ - / :")
        ("account", po::value(&account), "whose record (default: the sender's); its owner must have granted write-records");
    if (!remove) options.add_options()("value", po::value(&value)->required(), "the value (at most 4096 bytes)");
    AddTxFlags(options, &flags);
    return SubmitOperation(remove ? "usage: cairn record delete --key FILE --name KEY [--account ADDR] [--wait]"
                                  : "usage: cairn record set --key FILE --name KEY --value TEXT [--account ADDR] [--wait]",
                           options, flags, args, [&]() -> Result<v1::Operation> {
                             if (!remove && value.empty()) {
                               return Status::InvalidArgument("an empty value deletes: say cairn record delete");
                             }
                             CAIRN_ASSIGN_OR_RETURN(Bytes owner, OptionalAddress(account, "--account"));
                             v1::Operation op;
                             op.mutable_set_record()->set_account(owner);
                             op.mutable_set_record()->set_key(name);
                             op.mutable_set_record()->set_value(value);
                             return op;
                           });
  };
}

int RunPermission(const std::vector<std::string>& args, bool grant) {
  TxFlags flags;
  std::string permission, grantee, asset, account;
  po::options_description options(grant ? "grant options" : "revoke options");
  options.add_options()
      ("permission", po::value(&permission)->required(), "mint | write-records | create-accounts")
      ("grantee", po::value(&grantee)->required(), "the account that gets (or loses) it")
      ("asset", po::value(&asset), "mint: the asset")
      ("account", po::value(&account), "write-records: whose records (default: the sender's)");
  AddTxFlags(options, &flags);
  return SubmitOperation(
      std::string("usage: cairn ") + (grant ? "grant" : "revoke") +
          " --key FILE --permission P --grantee ADDR [--asset A] [--account ADDR] [--wait]\n"
          "mint: admins and the asset's owner; write-records: the records' owner; create-accounts: admins.",
      options, flags, args, [&]() -> Result<v1::Operation> {
        CAIRN_ASSIGN_OR_RETURN(v1::Permission parsed, ParsePermission(permission));
        CAIRN_ASSIGN_OR_RETURN(Bytes to, ParseAddress(grantee));
        CAIRN_ASSIGN_OR_RETURN(Bytes owner, OptionalAddress(account, "--account"));
        v1::Operation op;
        auto fill = [&](auto* g) {
          g->set_permission(parsed);
          g->set_grantee(to);
          g->set_asset(asset);
          g->set_account(owner);
        };
        if (grant) {
          fill(op.mutable_grant());
        } else {
          fill(op.mutable_revoke());
        }
        return op;
      });
}

}  // namespace

int RunAsset(const std::vector<std::string>& args) {
  return Dispatch("asset", args,
                  {{"register", RunAssetRegister}, {"freeze", AssetFreezer(true)}, {"thaw", AssetFreezer(false)},
                   {"show", RunAssetShow}});
}

int RunBurn(const std::vector<std::string>& args) {
  TxFlags flags;
  std::string asset;
  uint64_t amount = 0;
  po::options_description options("burn options");
  options.add_options()
      ("asset", po::value(&asset)->required(), "the asset")
      ("amount", po::value(&amount)->required(), "units to destroy from the sender's own balance");
  AddTxFlags(options, &flags);
  return SubmitOperation("usage: cairn burn --key FILE --asset A --amount N [--wait]\nThe asset's issuers only.", options,
                         flags, args, [&]() -> Result<v1::Operation> {
                           v1::Operation op;
                           op.mutable_burn()->set_asset(asset);
                           op.mutable_burn()->set_amount(amount);
                           return op;
                         });
}

int RunSignatories(const std::vector<std::string>& args) {
  return Dispatch("signatories", args,
                  {{"add", SignatoryChange(true)}, {"remove", SignatoryChange(false)}, {"quorum", RunSignatoriesQuorum},
                   {"show", RunSignatoriesShow}});
}

int RunRecord(const std::vector<std::string>& args) {
  return Dispatch("record", args,
                  {{"set", RecordWriter(false)}, {"delete", RecordWriter(true)}, {"get", RunRecordGet},
                   {"history", RunRecordHistory}});
}

int RunGrant(const std::vector<std::string>& args) { return RunPermission(args, true); }
int RunRevoke(const std::vector<std::string>& args) { return RunPermission(args, false); }

int RunBatch(const std::vector<std::string>& args) {
  TxFlags flags;
  std::vector<std::string> specs;
  po::options_description options("batch options");
  options.add_options()("op", po::value(&specs)->required(), "one operation, KIND FIELD=VALUE... (repeat, at most 16)");
  AddTxFlags(options, &flags);
  return SignAndSubmit(
      "usage: cairn batch --key FILE [--sender ADDR] --op 'KIND FIELD=VALUE ...' [--op ...] [--out FILE | --wait]\n"
      "All the operations apply, in order, or none does (the receipt names the one that failed).\n"
      "An operation with from=ADDR is performed by that account, which must sign too: write the\n"
      "transaction with --out, have it signed (cairn sign), then cairn submit. Kinds:\n"
      "  transfer to= asset= amount=        mint to= asset= amount=       burn asset= amount=\n"
      "  create-account public-key= [role=] set-role account= role=\n"
      "  register-asset name= issuers=A,B [precision=] [cap=]   freeze asset=   thaw asset=\n"
      "  add-signatory public-key=          remove-signatory public-key=  set-quorum quorum=\n"
      "  record key= (value= | value-hex=) [account=]            delete-record key= [account=]\n"
      "  grant|revoke permission=(mint|write-records|create-accounts) grantee= [asset=] [account=]",
      options, flags, args, [&](v1::TxBody* body) -> Status {
        for (size_t i = 0; i < specs.size(); ++i) {
          auto op = ParseOperationSpec(specs[i]);
          if (!op.ok()) return op.status().Annotate("--op " + std::to_string(i + 1));
          *body->add_operations() = std::move(*op);
        }
        return Status::Ok();
      });
}

int RunSign(const std::vector<std::string>& args) {
  std::string key_file, tx_file, out;
  std::vector<std::string> combine;
  po::options_description options("sign options");
  options.add_options()
      ("tx", po::value(&tx_file)->required(), "the transaction file (from --out of a command, or cairn sign)")
      ("key", po::value(&key_file), "add this key's signature")
      ("combine", po::value(&combine), "add the signatures of this file (the same transaction signed elsewhere; repeat)")
      ("out", po::value(&out), "write the result here (default: back to --tx)");
  int exit_code = 0;
  if (!ParseOptions("usage: cairn sign --tx FILE (--key KEY | --combine FILE...) [--out FILE]\n"
                    "Adds signatures to a transaction; nothing is sent (cairn submit does).",
                    options, args, &exit_code)) {
    return exit_code;
  }
  if (key_file.empty() && combine.empty()) return PrintError("give --key or --combine"), 2;
  auto tx = ReadTxFile(tx_file);
  if (!tx.ok()) return PrintError(tx.status().message()), 1;
  v1::Transaction result = *tx;
  if (!key_file.empty()) {
    auto key = crypto::PrivateKey::ReadFile(key_file);
    if (!key.ok()) return PrintError(key.status().message()), 1;
    v1::TxBody body;
    if (!body.ParseFromString(result.body())) return PrintError(tx_file + ": the body does not parse"), 1;
    const crypto::PrivateKey* keys[] = {&*key};
    auto combined = ledger::CombineSignatures(result, ledger::SignTransaction(keys, body));
    if (!combined.ok()) return PrintError(combined.status().message()), 1;
    result = std::move(*combined);
  }
  for (const std::string& file : combine) {
    auto other = ReadTxFile(file);
    if (!other.ok()) return PrintError(other.status().message()), 1;
    auto combined = ledger::CombineSignatures(result, *other);
    if (!combined.ok()) return PrintError(combined.status().Annotate(file).message()), 1;
    result = std::move(*combined);
  }
  const std::string target = out.empty() ? tx_file : out;
  if (Status written = WriteTxFile(target, result); !written.ok()) return PrintError(written.message()), 1;
  std::printf("%s: signed by %d keys\n", target.c_str(), result.signatures_size());
  return 0;
}

int RunSubmit(const std::vector<std::string>& args) {
  std::string tx_file;
  NodeFlags node;
  bool wait = false, json = false;
  po::options_description options("submit options");
  options.add_options()
      ("tx", po::value(&tx_file)->required(), "the transaction file")
      ("wait", po::bool_switch(&wait), "wait until it commits and print the receipt")
      ("json", po::bool_switch(&json), "print JSON");
  AddNodeOption(options, &node);
  int exit_code = 0;
  if (!ParseOptions("usage: cairn submit --tx FILE [--wait] [--json]", options, args, &exit_code)) return exit_code;
  auto tx = ReadTxFile(tx_file);
  if (!tx.ok()) return PrintError(tx.status().message()), 1;
  NodeClient client(node);
  return SubmitAndReport(client, *tx, wait, json);
}

}  // namespace cairn::cli

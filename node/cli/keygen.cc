// `cairn keygen --out FILE [--json]`: a new Ed25519 key in a PEM file readable only by
// its owner, and the public key and account address that go with it.
// `cairn keygen --pkcs11 --module M --token LABEL --label KEY --pin-file F [--id HEX]`:
// a new Ed25519 key pair made inside a PKCS#11 token (its private key never leaves it),
// its public key, and the consensus_token section of a node config that signs with it.
// With --existing, the key pair already there (made by the token's own tools) instead.
#include <cstdio>

#include "cairn/v1/config.pb.h"
#include "crypto/domain.h"
#include "crypto/ed25519.h"
#include "ledger/json_file.h"
#include "node/cli/command.h"
#include "node/cli/json_output.h"
#include "node/cli/options.h"
#include "node/pkcs11_token.h"
#include "node/token_signer.h"

namespace cairn::cli {

namespace {

int KeygenInToken(const v1::Pkcs11Config& config, bool existing, bool json) {
  auto address = node::TokenAddressOf(config);
  if (!address.ok()) return PrintError(address.status().message()), 1;
  auto token = node::Pkcs11Token::Open(*address);
  if (!token.ok()) return PrintError(token.status().message()), 1;
  auto id = FromHex(config.key_id());
  if (!id.ok()) return PrintError("--id: " + id.status().message()), 2;
  auto key = existing ? (*token)->FindKey(config.key_label(), {}) : (*token)->GenerateKey(config.key_label(), *id);
  if (!key.ok()) return PrintError(key.status().message()), 1;
  const std::string public_key = key->public_key.hex();
  if (json) {
    PrintJson({{"public_key", public_key}, {"token", config.token_label()}, {"label", config.key_label()}});
  } else {
    v1::NodeConfig snippet;
    *snippet.mutable_consensus_token() = config;
    snippet.mutable_consensus_token()->clear_key_id();  // the config names the key one way
    std::printf("key pair:   '%s' in token '%s'%s\npublic key: %s\n"
                "node config to sign consensus messages with it:\n%s",
                config.key_label().c_str(), config.token_label().c_str(),
                existing ? "" : " (private key sensitive, never extractable)", public_key.c_str(),
                ledger::ToJson(snippet).c_str());
  }
  return 0;
}

}  // namespace

int RunKeygen(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  std::string out;
  bool json = false;
  bool pkcs11 = false;
  bool existing = false;
  v1::Pkcs11Config token;
  std::string module = "/usr/lib/softhsm/libsofthsm2.so", token_label, key_label, key_id, pin_file;
  po::options_description options("keygen options");
  options.add_options()
      ("out", po::value(&out), "key file to create (refuses to overwrite one)")
      ("json", po::bool_switch(&json), "print {\"public_key\": ..., ...}")
      ("pkcs11", po::bool_switch(&pkcs11), "make the key pair inside a PKCS#11 token instead of a file")
      ("module", po::value(&module), "with --pkcs11: the token's PKCS#11 module (default SoftHSM2's)")
      ("token", po::value(&token_label), "with --pkcs11: the token's label")
      ("label", po::value(&key_label), "with --pkcs11: the new key pair's label (refuses one in use)")
      ("id", po::value(&key_id), "with --pkcs11: its CKA_ID in hex (default none)")
      ("pin-file", po::value(&pin_file), "with --pkcs11: a file of mode 0600 holding the user PIN")
      ("existing", po::bool_switch(&existing),
       "with --pkcs11: make nothing; print the key pair already labelled --label (made by the token's own tools)");
  int exit_code = 0;
  if (!ParseOptions("usage: cairn keygen --out FILE [--json]\n"
                    "       cairn keygen --pkcs11 --token LABEL --label KEY --pin-file FILE [--module SO] [--id HEX]\n"
                    "                    [--existing] [--json]",
                    options, args, &exit_code)) {
    return exit_code;
  }
  if (pkcs11) {
    if (!out.empty()) return PrintError("--out is for a key file; a token's key stays in the token"), 2;
    if (token_label.empty() || key_label.empty() || pin_file.empty()) {
      return PrintError("--pkcs11 needs --token, --label and --pin-file"), 2;
    }
    token.set_module(module);
    token.set_token_label(token_label);
    token.set_key_label(key_label);
    token.set_key_id(key_id);
    token.set_pin_file(pin_file);
    return KeygenInToken(token, existing, json);
  }
  if (out.empty()) return PrintError("give --out FILE (or --pkcs11 for a key in a token)"), 2;

  crypto::PrivateKey key = crypto::PrivateKey::Generate();
  Status written = key.WriteFile(out);
  if (!written.ok()) {
    PrintError(written.message());
    return 1;
  }
  std::string public_key = key.public_key().hex();
  std::string address = ToHex(crypto::AddressOf(key.public_key().bytes()));
  if (json) {
    PrintJson({{"public_key", public_key}, {"address", address}});
  } else {
    std::printf("key file:   %s (mode 0600)\npublic key: %s\naddress:    %s\n", out.c_str(),
                public_key.c_str(), address.c_str());
  }
  return 0;
}

}  // namespace cairn::cli

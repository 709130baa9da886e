// `cairn keygen --out FILE [--json]`: a new Ed25519 key in a PEM file readable only by
// its owner, and the public key and account address that go with it.
#include <cstdio>

#include "crypto/domain.h"
#include "crypto/ed25519.h"
#include "node/cli/command.h"
#include "node/cli/json_output.h"
#include "node/cli/options.h"

namespace cairn::cli {

int RunKeygen(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  std::string out;
  bool json = false;
  po::options_description options("keygen options");
  options.add_options()
      ("out", po::value(&out)->required(), "key file to create (refuses to overwrite one)")
      ("json", po::bool_switch(&json), "print {\"public_key\": ..., \"address\": ...}");
  int exit_code = 0;
  if (!ParseOptions("usage: cairn keygen --out FILE [--json]", options, args, &exit_code)) {
    return exit_code;
  }

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

// A SoftHSM2 token store of a test's own: a temporary folder and its softhsm2.conf,
// named by SOFTHSM2_CONF for this process and the nodes it starts, and the control
// folder of the failing module (tests/support/faulty_pkcs11.cc). Removed and unset
// when the test ends.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "node/pkcs11_token.h"

namespace cairn::test {

// Debian's SoftHSM2 module (package softhsm2, scripts/setup.sh).
inline constexpr const char* kSoftHsmModule = "/usr/lib/softhsm/libsofthsm2.so";

class SoftHsm {
 public:
  SoftHsm() {
    char pattern[] = "/tmp/cairn-softhsm-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    std::filesystem::create_directories(dir_ + "/tokens");
    std::filesystem::create_directories(dir_ + "/control");
    std::ofstream(dir_ + "/softhsm2.conf") << "directories.tokendir = " << dir_ << "/tokens\n"
                                           << "objectstore.backend = file\nlog.level = ERROR\n";
    ::setenv("SOFTHSM2_CONF", (dir_ + "/softhsm2.conf").c_str(), 1);
    ::setenv("CAIRN_FAULTY_PKCS11_CONTROL", (dir_ + "/control").c_str(), 1);
  }
  ~SoftHsm() {
    ::unsetenv("SOFTHSM2_CONF");
    ::unsetenv("CAIRN_FAULTY_PKCS11_CONTROL");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  SoftHsm(const SoftHsm&) = delete;
  SoftHsm& operator=(const SoftHsm&) = delete;

  const std::string& dir() const { return dir_; }

  // A new token `label` whose user PIN is `pin`.
  Status MakeToken(const std::string& label, const std::string& pin) {
    return node::Pkcs11Token::InitToken({.module = kSoftHsmModule, .token_label = label, .pin = pin}, "so-" + pin);
  }
  // A PIN file in the store's folder, with `mode`.
  std::string WritePinFile(const std::string& name, const std::string& pin, mode_t mode = 0600) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << pin << "\n";
    ::chmod(path.c_str(), mode);
    return path;
  }
  // What the failing module does with token `label` from now on: "ok", "fail",
  // "corrupt" or "slow MS".
  void SetMode(const std::string& label, const std::string& mode) {
    std::ofstream(dir_ + "/control/" + label) << mode << "\n";
  }

 private:
  std::string dir_;
};

}  // namespace cairn::test

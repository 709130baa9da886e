// One `cairn` subcommand: its name, a one-line summary for `cairn --help`, and its entry
// point, which gets the arguments after the command name and returns the exit code.
#pragma once

#include <string>
#include <vector>

namespace cairn::cli {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

// Prints "cairn: <message>" on stderr: every CLI error is one clear line.
void PrintError(const std::string& message);

int RunKeygen(const std::vector<std::string>& args);
int RunTestnet(const std::vector<std::string>& args);
int RunAudit(const std::vector<std::string>& args);

}  // namespace cairn::cli

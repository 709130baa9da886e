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
int RunInit(const std::vector<std::string>& args);
int RunGenesis(const std::vector<std::string>& args);
int RunAudit(const std::vector<std::string>& args);
int RunStatus(const std::vector<std::string>& args);
int RunAccount(const std::vector<std::string>& args);
int RunTx(const std::vector<std::string>& args);
int RunBlock(const std::vector<std::string>& args);
int RunWatch(const std::vector<std::string>& args);
int RunTransfer(const std::vector<std::string>& args);
int RunMint(const std::vector<std::string>& args);
int RunCreateAccount(const std::vector<std::string>& args);
int RunSetRole(const std::vector<std::string>& args);
int RunAsset(const std::vector<std::string>& args);
int RunBurn(const std::vector<std::string>& args);
int RunSignatories(const std::vector<std::string>& args);
int RunRecord(const std::vector<std::string>& args);
int RunGrant(const std::vector<std::string>& args);
int RunRevoke(const std::vector<std::string>& args);
int RunBatch(const std::vector<std::string>& args);
int RunSign(const std::vector<std::string>& args);
int RunSubmit(const std::vector<std::string>& args);
int RunVerifyProof(const std::vector<std::string>& args);
int RunLoad(const std::vector<std::string>& args);
int RunValidators(const std::vector<std::string>& args);
int RunEpochs(const std::vector<std::string>& args);
int RunProposeValidator(const std::vector<std::string>& args);
int RunVote(const std::vector<std::string>& args);
int RunEvidence(const std::vector<std::string>& args);
int RunRotateKey(const std::vector<std::string>& args);
int RunExport(const std::vector<std::string>& args);
int RunImport(const std::vector<std::string>& args);

}  // namespace cairn::cli

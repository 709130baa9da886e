// Parsing a command's options with Boost.program_options, which reports errors by
// throwing: the exceptions stop here and become one error line and exit code 2.
#pragma once

#include <boost/program_options.hpp>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "node/cli/command.h"

namespace cairn::cli {

// Returns the parsed map, or nullopt after printing help (exit 0, `*exit_code` set) or
// an error (exit 2).
inline std::optional<boost::program_options::variables_map> ParseOptions(
    const std::string& usage, const boost::program_options::options_description& options,
    const std::vector<std::string>& args, int* exit_code) {
  namespace po = boost::program_options;
  po::options_description all(options);
  all.add_options()("help,h", "show this help");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).run(), vm);
    if (vm.count("help")) {
      std::cout << usage << "\n" << all;
      *exit_code = 0;
      return std::nullopt;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    PrintError(std::string(e.what()) + " (see --help)");
    *exit_code = 2;
    return std::nullopt;
  }
  return vm;
}

}  // namespace cairn::cli

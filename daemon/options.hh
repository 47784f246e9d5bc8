// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// The command line, as dnsdist's so existing unit files and scripts keep working.
#include <string>
#include <vector>

namespace ballast::daemon {

struct Options {
  std::string configFile = "conf/ballast.conf";
  std::vector<std::string> locals;  ///< -l: replace the configured binds
  std::vector<std::string> acl;     ///< --acl: added to the ACL
  bool supervised = false;
  bool checkConfig = false;
  bool verbose = false;
  bool client = false;        ///< -c: be the console client
  std::string clientAddress;  ///< -c ADDR (or the first argument after -c); empty: config's
  std::string clientKey;      ///< -k KEY; empty: the config's setKey()
  bool execute = false;       ///< -e CMD given
  std::string command;        ///< -e CMD
};

/// Parses argv. Prints help or version and exits for --help/--version; prints the problem
/// and exits with 1 on a bad command line.
Options parseCommandLine(int argc, char** argv);

}  // namespace ballast::daemon

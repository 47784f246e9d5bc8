// SPDX-License-Identifier: GPL-2.0-only
#include "daemon/options.hh"

#include <fmt/format.h>
#include <getopt.h>

#include <cstdio>
#include <cstdlib>

namespace ballast::daemon {

namespace {

constexpr const char* kHelp = R"(Usage: ballast [OPTION]...
A DNS load balancer with embedded recursive resolvers, configured as dnsdist.

  -C, --config FILE      load the configuration from FILE (default conf/ballast.conf)
  -l, --local ADDR       listen on ADDR (repeatable); replaces the configured addLocal()s
      --acl NETMASK      add NETMASK to the client ACL (repeatable)
      --check-config     check the configuration, print the result and exit
      --supervised       run in the foreground under a supervisor (systemd notify)
  -v, --verbose          log more
      --version          print the version and exit
  -h, --help             print this help and exit
  -c, --client [ADDR]    be the console client of the ballast (or dnsdist) at ADDR, or
                         at the configuration's controlSocket(); commands are read
                         interactively, or one per line from a pipe
  -k, --setkey KEY       console key (base64), instead of the configuration's setKey()
  -e, --execute CMD      run the console command CMD and exit (status 1 if it failed)
)";

enum LongOnly { kAcl = 1000, kCheckConfig, kSupervised, kVersion };

}  // namespace

Options parseCommandLine(int argc, char** argv) {
  static const option longOptions[] = {
      {"config", required_argument, nullptr, 'C'},
      {"local", required_argument, nullptr, 'l'},
      {"acl", required_argument, nullptr, kAcl},
      {"check-config", no_argument, nullptr, kCheckConfig},
      {"supervised", no_argument, nullptr, kSupervised},
      {"verbose", no_argument, nullptr, 'v'},
      {"version", no_argument, nullptr, kVersion},
      {"help", no_argument, nullptr, 'h'},
      {"client", optional_argument, nullptr, 'c'},
      {"setkey", required_argument, nullptr, 'k'},
      {"execute", required_argument, nullptr, 'e'},
      {nullptr, 0, nullptr, 0},
  };
  Options o;
  int c;
  while ((c = getopt_long(argc, argv, "C:l:vhc::k:e:", longOptions, nullptr)) != -1) {
    switch (c) {
      case 'C': o.configFile = optarg; break;
      case 'l': o.locals.emplace_back(optarg); break;
      case kAcl: o.acl.emplace_back(optarg); break;
      case kCheckConfig: o.checkConfig = true; break;
      case kSupervised: o.supervised = true; break;
      case 'v': o.verbose = true; break;
      case kVersion:
        fmt::print("ballast {}\n", BALLAST_VERSION);
        std::exit(0);
      case 'h':
        fmt::print("{}", kHelp);
        std::exit(0);
      case 'c':
        o.client = true;
        if (optarg) o.clientAddress = optarg;
        break;
      case 'k': o.clientKey = optarg; break;
      case 'e':
        o.execute = true;
        o.command = optarg;
        break;
      default:
        fmt::print(stderr, "Try 'ballast --help' for more information.\n");
        std::exit(1);
    }
  }
  // dnsdist's form: `-c 127.0.0.1:5199`, the address as the argument after the options.
  if (o.client && o.clientAddress.empty() && optind < argc) o.clientAddress = argv[optind++];
  if (o.execute) o.client = true;  // -e means the client; -k alone also keys the server
  if (optind < argc) {
    fmt::print(stderr, "ballast: unexpected argument '{}'\nTry 'ballast --help' for more information.\n",
               argv[optind]);
    std::exit(1);
  }
  return o;
}

}  // namespace ballast::daemon

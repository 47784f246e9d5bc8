// SPDX-License-Identifier: GPL-2.0-only
#include "console/client.hh"

#include <editline/readline.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>

namespace ballast::console {

namespace {

constexpr size_t kMaxReply = 256 * 1024 * 1024;

std::runtime_error sysError(const std::string& what) {
  return std::runtime_error(what + ": " + strerror(errno));
}

}  // namespace

ClientConnection::ClientConnection(const core::Address& server, const Key& key, int timeoutMs) {
  fd_ = socket(server.sockaddr_()->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw sysError("socket");
  timeval tv{timeoutMs / 1000, (timeoutMs % 1000) * 1000};
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd_, server.sockaddr_(), server.length()) != 0) {
    int err = errno;
    close(fd_);
    errno = err;
    throw sysError("cannot connect to " + server.toStringWithPort());
  }
  Nonce ours = randomNonce(), theirs;
  if (send(fd_, ours.data(), ours.size(), MSG_NOSIGNAL) != ssize_t(ours.size())) {
    close(fd_);
    throw sysError("cannot send to " + server.toStringWithPort());
  }
  try {
    readExact(theirs.data(), theirs.size());
  } catch (...) {
    close(fd_);
    throw;
  }
  channel_.emplace(key, ours, theirs);
}

ClientConnection::~ClientConnection() {
  if (fd_ >= 0) close(fd_);
}

void ClientConnection::readExact(uint8_t* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = recv(fd_, out + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw sysError("reading from the console");
    if (r == 0)
      throw std::runtime_error(
          "the console closed the connection (is the key right? is this address allowed by "
          "its console ACL?)");
    got += size_t(r);
  }
}

std::string ClientConnection::run(const std::string& command) {
  std::string frame = channel_->seal(command);
  size_t sent = 0;
  while (sent < frame.size()) {
    ssize_t n = send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw sysError("sending to the console");
    sent += size_t(n);
  }
  uint8_t len[4];
  readExact(len, 4);
  size_t n = (size_t(len[0]) << 24) | (size_t(len[1]) << 16) | (size_t(len[2]) << 8) | len[3];
  if (n > kMaxReply) throw std::runtime_error("the console's reply is implausibly large");
  std::vector<uint8_t> cipher(n);
  readExact(cipher.data(), n);
  std::string plain;
  if (!channel_->open(cipher, plain))
    throw std::runtime_error("the console's reply does not decrypt: is the key right?");
  return plain;
}

bool replyFailed(const std::string& reply) {
  return reply.rfind("Error: ", 0) == 0 || reply.find("\nError: ") != std::string::npos;
}

namespace {

void printReply(const std::string& reply) {
  std::fwrite(reply.data(), 1, reply.size(), stdout);
  if (!reply.empty() && reply.back() != '\n') std::fputc('\n', stdout);
  std::fflush(stdout);
}

const std::vector<std::string>* gCompletions = nullptr;  // for libedit's C callbacks

char* completionGenerator(const char* text, int state) {
  static size_t next;
  if (state == 0) next = 0;
  size_t len = strlen(text);
  while (gCompletions && next < gCompletions->size()) {
    const std::string& name = (*gCompletions)[next++];
    if (name.compare(0, len, text) == 0) return strdup((name + "(").c_str());
  }
  return nullptr;
}

char** complete(const char* text, int, int) {
  rl_attempted_completion_over = 1;  // never fall back to file names
  return rl_completion_matches(text, completionGenerator);
}

int interactive(ClientConnection& conn, const ClientOptions& o) {
  gCompletions = &o.completions;
  rl_attempted_completion_function = complete;
  rl_completion_append_character = '\0';
  // Complete the name after '(' or ':' too: print(showS<tab>, getServer(0):setD<tab>.
  static char breaks[] = " \t\n\"\\'`@$><=;|&{(:,";
  rl_completer_word_break_characters = breaks;
  rl_basic_word_break_characters = breaks;  // the one libedit reads
  if (!o.historyFile.empty()) read_history(o.historyFile.c_str());
  int status = 0;
  for (;;) {
    char* raw = readline("> ");
    if (!raw) break;
    std::string line(raw);
    std::free(raw);
    if (line == "quit" || line == "exit") break;
    if (line.empty()) continue;
    add_history(line.c_str());
    if (!o.historyFile.empty()) write_history(o.historyFile.c_str());
    std::string reply = conn.run(line);
    printReply(reply);
    status = replyFailed(reply) ? 1 : 0;
  }
  return status;
}

}  // namespace

int runClient(const ClientOptions& o) {
  try {
    ClientConnection conn(o.server, o.key);
    conn.run("");  // as dnsdist's client: a wrong key shows at once, not at the first command
    if (o.command) {
      std::string reply = conn.run(*o.command);
      printReply(reply);
      return replyFailed(reply) ? 1 : 0;
    }
    if (isatty(STDIN_FILENO)) return interactive(conn, o);
    int status = 0;
    for (std::string line; std::getline(std::cin, line);) {
      if (line.empty()) continue;
      std::string reply = conn.run(line);
      printReply(reply);
      if (replyFailed(reply)) status = 1;
    }
    return status;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ballast: %s\n", e.what());
    return 1;
  }
}

}  // namespace ballast::console

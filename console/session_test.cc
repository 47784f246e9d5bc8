// SPDX-License-Identifier: GPL-2.0-only
// The console protocol without sockets: a client Channel against a ServerSession.
#include "console/session.hh"

#include <doctest.h>

#include "console/crypto.hh"

using namespace ballast::console;

namespace {

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Pair {
  Key key = *parseKey(makeKey());
  Nonce clientNonce = randomNonce();
  Nonce serverNonce = randomNonce();
  std::vector<std::string> ran;
  ServerSession server{key, serverNonce, 1024, [this](const std::string& c, bool&) {
                         ran.push_back(c);
                         return "ran " + c;
                       }};
  Channel client{key, clientNonce, serverNonce};
  std::string out;

  bool handshake() {
    std::string n(reinterpret_cast<const char*>(clientNonce.data()), clientNonce.size());
    bool ok = server.feed(bytes(n), out);
    CHECK(out.size() == kNonceSize);
    out.clear();
    return ok;
  }
  std::string reply() {
    REQUIRE(out.size() >= 4 + kMacSize);
    std::string plain;
    auto cipher =
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(out.data()) + 4, out.size() - 4);
    REQUIRE(client.open(cipher, plain));
    out.clear();
    return plain;
  }
};

}  // namespace

TEST_CASE("keys: base64 of exactly 32 bytes") {
  CHECK(parseKey(makeKey()).has_value());
  CHECK_FALSE(parseKey("").has_value());
  CHECK_FALSE(parseKey("c2hvcnQ=").has_value());
  CHECK_FALSE(parseKey("not base64 at all !!!!!!!!!!!!!!!!!!!!!!!!!").has_value());
  CHECK(makeKey() != makeKey());
}

TEST_CASE("nonces: halves merged, first four bytes count big-endian") {
  Nonce a, b;
  a.fill(1);
  b.fill(2);
  Nonce m = mergeNonce(a, b);
  CHECK(m[0] == 1);
  CHECK(m[11] == 1);
  CHECK(m[12] == 2);
  CHECK(m[23] == 2);
  Nonce n{};
  n[3] = 0xff;
  incrementNonce(n);
  CHECK(n[2] == 1);
  CHECK(n[3] == 0);
}

TEST_CASE("commands run in order, split across reads, and replies decrypt") {
  Pair p;
  CHECK(p.handshake());
  std::string frames = p.client.seal("one");  // two statements: + has no evaluation order
  frames += p.client.seal("two");
  for (char c : frames) CHECK(p.server.feed(bytes(std::string(1, c)), p.out));
  REQUIRE(p.ran.size() == 2);
  CHECK(p.ran[1] == "two");
  // Both replies are in out; open them in turn.
  std::string both = p.out;
  p.out = both.substr(0, both.size() / 2);
  CHECK(p.reply() == "ran one");
  p.out = both.substr(both.size() / 2);
  CHECK(p.reply() == "ran two");
}

TEST_CASE("a replayed, altered, wrongly keyed or oversized message runs nothing") {
  SUBCASE("replayed") {
    Pair p;
    p.handshake();
    std::string f = p.client.seal("once");
    CHECK(p.server.feed(bytes(f), p.out));
    CHECK_FALSE(p.server.feed(bytes(f), p.out));
    CHECK(p.ran.size() == 1);
  }
  SUBCASE("altered") {
    Pair p;
    p.handshake();
    std::string f = p.client.seal("rmServer(0)");
    f[10] ^= 1;
    CHECK_FALSE(p.server.feed(bytes(f), p.out));
    CHECK(p.ran.empty());
  }
  SUBCASE("wrong key") {
    Pair p;
    p.handshake();
    Channel other(*parseKey(makeKey()), p.clientNonce, p.serverNonce);
    CHECK_FALSE(p.server.feed(bytes(other.seal("x")), p.out));
    CHECK(p.ran.empty());
  }
  SUBCASE("too large") {
    Pair p;
    p.handshake();
    std::string big(2000, 'x');
    CHECK_FALSE(p.server.feed(bytes(p.client.seal(big)), p.out));
    CHECK(p.ran.empty());
  }
  SUBCASE("shorter than a tag") {
    Pair p;
    p.handshake();
    CHECK_FALSE(p.server.feed(bytes(std::string("\0\0\0\3abc", 7)), p.out));
  }
}

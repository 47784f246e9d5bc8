// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// dnsdist's regular expressions: POSIX extended, case-insensitive, searched (not anchored)
/// in the subject. regexec on a compiled expression is thread-safe.
#include <regex.h>

#include <stdexcept>
#include <string>

namespace ballast::core::rules {

class Regex {
 public:
  /// Throws std::invalid_argument with regcomp's reason.
  explicit Regex(const std::string& text) : text_(text) {
    int rc = regcomp(&re_, text.c_str(), REG_EXTENDED | REG_ICASE | REG_NOSUB);
    if (rc != 0) {
      char msg[256];
      regerror(rc, &re_, msg, sizeof(msg));
      throw std::invalid_argument("bad regular expression '" + text + "': " + msg);
    }
  }
  ~Regex() { regfree(&re_); }
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  /// `s` must be NUL-terminated (a std::string is).
  bool search(const std::string& s) const { return regexec(&re_, s.c_str(), 0, nullptr, 0) == 0; }
  const std::string& text() const { return text_; }

 private:
  regex_t re_;
  std::string text_;
};

}  // namespace ballast::core::rules

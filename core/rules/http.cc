// SPDX-License-Identifier: GPL-2.0-only
#include "core/rules/http.hh"

#include <fmt/format.h>

#include <memory>
#include <stdexcept>

#include "core/backend.hh"
#include "core/rules/regex.hh"
#include "dns/header.hh"

namespace ballast::core::rules {

namespace {

/// The HTTP request behind the query, null for anything but a DoH query.
const HttpRequest* httpOf(const DQ& dq) {
  return dq.query ? dq.query->http : nullptr;
}

template <typename Fn>
class HttpSelector : public Selector {
 public:
  HttpSelector(std::string d, Fn fn) : d_(std::move(d)), fn_(std::move(fn)) {}
  bool matches(const DQ& dq) const override {
    const HttpRequest* h = httpOf(dq);
    return h && fn_(*h);
  }
  std::string describe() const override { return d_; }

 private:
  std::string d_;
  Fn fn_;
};

template <typename Fn>
SelectorPtr make(std::string d, Fn fn) {
  return std::make_shared<HttpSelector<Fn>>(std::move(d), std::move(fn));
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class HttpStatus : public Action {
 public:
  HttpStatus(int status, std::string body, std::string contentType, ResponseFlags flags)
      : status_(status), body_(std::move(body)), type_(std::move(contentType)), flags_(flags) {}

  Verdict apply(DQ& dq) const override {
    HttpRequest* h = dq.query ? dq.query->http : nullptr;
    if (!h) return Verdict::None;  // as dnsdist: not DoH, the next rules decide
    h->status = status_;
    h->body = body_;
    h->contentType = type_;
    // The query itself becomes the (unsent) DNS response, as dnsdist turns it into one.
    dns::HeaderRef hdr(dq.packet);
    bool rd = hdr.rd();
    hdr.setQr(true);
    hdr.setAa(flags_.aa.value_or(false));
    hdr.setAd(flags_.ad.value_or(false));
    hdr.setRa(flags_.ra.value_or(rd));
    return Verdict::Answer;
  }
  std::string describe() const override {
    return fmt::format("return an HTTP status of {}", status_);
  }

 private:
  int status_;
  std::string body_;
  std::string type_;
  ResponseFlags flags_;
};

}  // namespace

SelectorPtr httpPathRule(std::string path) {
  std::string d = "HTTP path matches " + path;
  return make(std::move(d),
              [path = std::move(path)](const HttpRequest& h) { return h.path == path; });
}

SelectorPtr httpPathRegexRule(const std::string& regex) {
  auto re = std::make_shared<const Regex>(regex);
  return make("HTTP path matches " + regex, [re](const HttpRequest& h) {
    thread_local std::string subject;  // regexec wants a NUL-terminated string
    subject.assign(h.path);
    return re->search(subject);
  });
}

SelectorPtr httpHeaderRule(std::string name, const std::string& regex) {
  if (name.empty()) throw std::invalid_argument("HTTPHeaderRule: the header name is empty");
  name = lower(std::move(name));
  auto re = std::make_shared<const Regex>(regex);
  std::string d = fmt::format("HTTP header {} matches {}", name, regex);
  return make(std::move(d), [name = std::move(name), re](const HttpRequest& h) {
    for (const auto& [k, v] : h.headers)
      if (k == name) return re->search(v);
    return false;
  });
}

ActionPtr httpStatusAction(int status, std::string body, std::string contentType,
                           ResponseFlags flags) {
  if (status < 200 || status > 599)
    throw std::invalid_argument(
        fmt::format("HTTPStatusAction: status {} is not a final HTTP status (200-599)", status));
  if (status >= 300 && status < 400 &&
      body.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
    throw std::invalid_argument("HTTPStatusAction: the redirect URL contains a control character");
  return std::make_shared<HttpStatus>(status, std::move(body), std::move(contentType), flags);
}

}  // namespace ballast::core::rules

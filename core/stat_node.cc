// SPDX-License-Identifier: GPL-2.0-only
#include "core/stat_node.hh"

#include <cctype>
#include <vector>

namespace ballast::core {

StatNodeStats& StatNodeStats::operator+=(const StatNodeStats& o) {
  queries += o.queries;
  noerrors += o.noerrors;
  nxdomains += o.nxdomains;
  servfails += o.servfails;
  drops += o.drops;
  bytes += o.bytes;
  return *this;
}

void StatNode::submit(const dns::Name& name, int rcode, unsigned bytes) {
  auto w = name.wire();
  std::vector<size_t> starts;  // offset of each label, leftmost first
  for (size_t o = 0; o < w.size() && w[o] != 0; o += size_t(w[o]) + 1) starts.push_back(o);
  if (starts.empty()) return;  // the root name has no node of its own, as in dnsdist
  StatNode* node = this;
  for (size_t i = starts.size(); i-- > 0;) {
    size_t o = starts[i];
    std::string key(reinterpret_cast<const char*>(&w[o + 1]), w[o]);
    for (auto& c : key) c = char(std::tolower(static_cast<unsigned char>(c)));
    StatNode& child = node->children_[key];
    if (child.fullname_.empty()) {
      child.fullname_ = dns::Name::fromWire(w.subspan(o)).toString();
      child.labelsCount_ = unsigned(starts.size() - i);
    }
    node = &child;
  }
  StatNodeStats& s = node->self_;
  ++s.queries;
  s.bytes += bytes;
  if (rcode < 0)
    ++s.drops;
  else if (rcode == 0)
    ++s.noerrors;
  else if (rcode == 2)
    ++s.servfails;
  else if (rcode == 3)
    ++s.nxdomains;
}

StatNodeStats StatNode::visit(const Visitor& visitor) const {
  StatNodeStats all = self_;
  for (const auto& [label, child] : children_) all += child.visit(visitor);
  visitor(*this, self_, all);
  return all;
}

}  // namespace ballast::core

// SPDX-License-Identifier: GPL-2.0-only
#pragma once
/// Where configuration code (the Lua bindings) sends its changes: the live runtime, which
/// publishes each change at once, or a staging (core/staging.hh) that publishes them all
/// together on commit or drops them. The caller picks the target; nothing here depends on
/// which thread calls.
#include <functional>
#include <memory>
#include <vector>

#include "core/backend.hh"
#include "core/packet_cache.hh"
#include "core/runtime_config.hh"

namespace ballast::core {

class ConfigTarget {
 public:
  virtual ~ConfigTarget() = default;
  /// Copies the target's snapshot, lets `change` edit it, and keeps the result (published
  /// at once by the runtime, at commit by a staging). If `change` throws, nothing changes.
  virtual void update(const std::function<void(RuntimeConfig&)>& change) = 0;
  /// Adds a server (and to its pools).
  virtual void addServer(std::shared_ptr<Backend> b) = 0;
  /// Takes the server out of its pools. False if it was not there.
  virtual bool removeServer(const std::shared_ptr<Backend>& b) = 0;
  /// Lets `change` edit a server's pools or weight, then rebuilds the pools, so policies
  /// see the change at the next query.
  virtual void changeServer(const std::function<void()>& change) = 0;
  virtual std::vector<std::shared_ptr<Backend>> servers() const = 0;
  /// Keeps a packet cache for the life of the process (see Runtime::keepCache).
  virtual void keepCache(std::shared_ptr<PacketCache> c) = 0;
  /// The snapshot configuration code should read: with the target's own changes.
  virtual std::shared_ptr<const RuntimeConfig> current() const = 0;
};

}  // namespace ballast::core

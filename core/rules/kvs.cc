// SPDX-License-Identifier: GPL-2.0-only
#include "core/rules/kvs.hh"

#include <cdb.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "core/query_context.hh"

namespace ballast::core::rules {

namespace {

/// One open CDB file; cdb_find works on a copy of `db`, so lookups share it without a lock.
struct CdbFile {
  int fd = -1;
  struct cdb db {};
  time_t mtime = 0;
  ~CdbFile() {
    if (fd >= 0) {
      cdb_free(&db);
      close(fd);
    }
  }
};

std::shared_ptr<const CdbFile> openCdb(const std::string& file) {
  auto f = std::make_shared<CdbFile>();
  f->fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (f->fd < 0)
    throw std::runtime_error(fmt::format("cannot open CDB file '{}': {}", file, strerror(errno)));
  struct stat st {};
  if (fstat(f->fd, &st) != 0 || cdb_init(&f->db, f->fd) != 0) {
    close(f->fd);
    f->fd = -1;
    throw std::runtime_error(fmt::format("'{}' is not a CDB file", file));
  }
  f->mtime = st.st_mtime;
  return f;
}

class CdbStore : public KeyValueStore {
 public:
  CdbStore(std::string file, uint32_t refresh)
      : file_(std::move(file)), refresh_(refresh), db_(openCdb(file_)) {
    next_.store(time(nullptr) + refresh_, std::memory_order_relaxed);
  }
  bool getValue(const std::string& key, std::string& value) const override {
    auto f = current();
    struct cdb c = f->db;
    if (cdb_find(&c, key.data(), unsigned(key.size())) <= 0) return false;
    value.resize(cdb_datalen(&c));
    return cdb_read(&c, value.data(), cdb_datalen(&c), cdb_datapos(&c)) == 0;
  }
  bool keyExists(const std::string& key) const override {
    auto f = current();
    struct cdb c = f->db;
    return cdb_find(&c, key.data(), unsigned(key.size())) > 0;
  }
  bool getRangeValue(const std::string&, std::string&) const override { return false; }
  bool reload() override {
    try {
      db_.store(openCdb(file_));
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

 private:
  /// The open file, reopened first when the refresh delay passed and the file changed.
  std::shared_ptr<const CdbFile> current() const {
    if (refresh_ > 0) {
      time_t now = time(nullptr);
      if (now >= next_.load(std::memory_order_relaxed) && refreshing_.try_lock()) {
        next_.store(now + refresh_, std::memory_order_relaxed);
        struct stat st {};
        if (stat(file_.c_str(), &st) == 0 && st.st_mtime != db_.load()->mtime) {
          try {
            db_.store(openCdb(file_));
          } catch (const std::exception&) {
            // keep the old one until the file is readable again
          }
        }
        refreshing_.unlock();
      }
    }
    return db_.load();
  }
  std::string file_;
  uint32_t refresh_;
  mutable std::atomic<std::shared_ptr<const CdbFile>> db_;
  mutable std::atomic<time_t> next_{0};
  mutable std::mutex refreshing_;
};

class LmdbStore : public KeyValueStore {
 public:
  LmdbStore(const std::string& file, const std::string& dbName, bool noLock) {
    int rc = mdb_env_create(&env_);
    if (rc == 0) rc = mdb_env_set_maxdbs(env_, 50);
    unsigned flags = MDB_NOSUBDIR | MDB_RDONLY | MDB_NOTLS | (noLock ? MDB_NOLOCK : 0);
    if (rc == 0) rc = mdb_env_open(env_, file.c_str(), flags, 0600);
    MDB_txn* txn = nullptr;
    if (rc == 0) rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
    if (rc == 0) {
      rc = mdb_dbi_open(txn, dbName.empty() ? nullptr : dbName.c_str(), 0, &dbi_);
      if (rc == 0)
        rc = mdb_txn_commit(txn);
      else
        mdb_txn_abort(txn);
    }
    if (rc != 0) {
      if (env_) mdb_env_close(env_);
      throw std::runtime_error(fmt::format("cannot open LMDB database '{}' of '{}': {}", dbName,
                                           file, mdb_strerror(rc)));
    }
  }
  ~LmdbStore() override { mdb_env_close(env_); }
  bool getValue(const std::string& key, std::string& value) const override {
    return get(key, &value);
  }
  bool keyExists(const std::string& key) const override { return get(key, nullptr); }
  bool getRangeValue(const std::string& key, std::string& value) const override {
    MDB_txn* txn = nullptr;
    if (mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn) != 0) return false;
    MDB_cursor* cur = nullptr;
    bool found = false;
    if (mdb_cursor_open(txn, dbi_, &cur) == 0) {
      MDB_val k{key.size(), const_cast<char*>(key.data())}, v{};
      if (mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) == 0) {
        std::string last(static_cast<const char*>(k.mv_data), k.mv_size);
        std::string data(static_cast<const char*>(v.mv_data), v.mv_size);
        if (last.size() == key.size() && key <= last && data.size() >= key.size() &&
            data.compare(0, key.size(), key) <= 0) {
          value = std::move(data);
          found = true;
        }
      }
      mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    return found;
  }
  bool reload() override { return false; }  // LMDB readers see every commit already

 private:
  bool get(const std::string& key, std::string* value) const {
    MDB_txn* txn = nullptr;
    if (mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn) != 0) return false;
    MDB_val k{key.size(), const_cast<char*>(key.data())}, v{};
    bool found = mdb_get(txn, dbi_, &k, &v) == 0;
    if (found && value) value->assign(static_cast<const char*>(v.mv_data), v.mv_size);
    mdb_txn_abort(txn);
    return found;
  }
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
};

std::string nameText(const dns::Name& lower) {
  std::string s = lower.toString();
  if (s.size() > 1 && s.back() == '.') s.pop_back();
  return s;
}

template <typename Fn>
class FnKey : public LookupKey {
 public:
  FnKey(std::string d, Fn fn) : d_(std::move(d)), fn_(std::move(fn)) {}
  void keys(const DQ& dq, std::vector<std::string>& out) const override { fn_(dq, out); }
  std::string describe() const override { return d_; }

 private:
  std::string d_;
  Fn fn_;
};
template <typename Fn>
LookupKeyPtr makeKey(std::string d, Fn fn) {
  return std::make_shared<FnKey<Fn>>(std::move(d), std::move(fn));
}

template <typename Fn>
class FnSelector : public Selector {
 public:
  FnSelector(std::string d, Fn fn) : d_(std::move(d)), fn_(std::move(fn)) {}
  bool matches(const DQ& dq) const override { return fn_(dq); }
  std::string describe() const override { return d_; }

 private:
  std::string d_;
  Fn fn_;
};

template <typename Fn>
class FnAction : public Action {
 public:
  FnAction(std::string d, Fn fn) : d_(std::move(d)), fn_(std::move(fn)) {}
  Verdict apply(DQ& dq) const override { return fn_(dq); }
  std::string describe() const override { return d_; }

 private:
  std::string d_;
  Fn fn_;
};

/// The first value found for the keys of `dq`.
template <bool Range>
bool lookup(const KeyValueStore& kvs, const LookupKey& key, const DQ& dq, std::string* value) {
  thread_local std::vector<std::string> keys;
  keys.clear();
  key.keys(dq, keys);
  std::string scratch;
  for (const auto& k : keys) {
    if constexpr (Range) {
      if (kvs.getRangeValue(k, value ? *value : scratch)) return true;
    } else {
      if (value ? kvs.getValue(k, *value) : kvs.keyExists(k)) return true;
    }
  }
  return false;
}

template <bool Range>
SelectorPtr lookupRule(KeyValueStorePtr kvs, LookupKeyPtr key) {
  std::string d = fmt::format("{}lookup key-value store based on '{}'", Range ? "range-based " : "",
                              key->describe());
  auto fn = [kvs = std::move(kvs), key = std::move(key)](const DQ& dq) {
    return lookup<Range>(*kvs, *key, dq, nullptr);
  };
  return std::make_shared<FnSelector<decltype(fn)>>(std::move(d), std::move(fn));
}

template <bool Range>
ActionPtr lookupAction(KeyValueStorePtr kvs, LookupKeyPtr key, std::string tag) {
  std::string d =
      fmt::format("{}lookup key-value store based on '{}' and set the result in tag '{}'",
                  Range ? "range-based " : "", key->describe(), tag);
  auto fn = [kvs = std::move(kvs), key = std::move(key), tag = std::move(tag)](DQ& dq) {
    std::string value;
    if (!lookup<Range>(*kvs, *key, dq, &value)) value.clear();
    auto* tags = dq.tags ? dq.tags : (dq.query ? &dq.query->tags : nullptr);
    if (!tags) return Verdict::None;
    for (auto& [k, v] : *tags)
      if (k == tag) {
        v = std::move(value);
        return Verdict::None;
      }
    tags->emplace_back(tag, std::move(value));
    return Verdict::None;
  };
  return std::make_shared<FnAction<decltype(fn)>>(std::move(d), std::move(fn));
}

}  // namespace

KeyValueStorePtr cdbStore(const std::string& file, uint32_t refreshDelay) {
  return std::make_shared<CdbStore>(file, refreshDelay);
}

KeyValueStorePtr lmdbStore(const std::string& file, const std::string& dbName, bool noLock) {
  return std::make_shared<LmdbStore>(file, dbName, noLock);
}

std::string qnameKey(const dns::Name& n, bool wireFormat) {
  dns::Name lower = n.toLower();
  if (!wireFormat) return nameText(lower);
  auto w = lower.wire();
  return std::string(reinterpret_cast<const char*>(w.data()), w.size());
}

std::vector<std::string> suffixKeys(const dns::Name& n, unsigned minLabels, bool wireFormat) {
  std::vector<std::string> out;
  size_t labels = n.labelCount();
  if (labels == 0 || labels < minLabels) return out;
  size_t count = minLabels ? labels - (minLabels - 1) : labels;
  dns::Name lower = n.toLower();  // the span below must not outlive it
  auto w = lower.wire();
  size_t o = 0;
  for (size_t i = 0; i < count && w[o] != 0; ++i) {
    auto suffix = dns::Name::fromWire(w.subspan(o));
    out.push_back(qnameKey(suffix, wireFormat));
    o += 1 + w[o];
  }
  return out;
}

std::string sourceIpKey(const Address& a, uint8_t v4Mask, uint8_t v6Mask, bool includePort) {
  std::string k(reinterpret_cast<const char*>(a.bytes()), a.byteLength());
  int bits = a.isV4() ? v4Mask : v6Mask;
  for (size_t i = 0; i < k.size(); ++i) {
    int keep = std::clamp(bits - int(i) * 8, 0, 8);
    k[i] = char(uint8_t(k[i]) & uint8_t(0xff00 >> keep));
  }
  if (includePort) {
    uint16_t p = a.port();
    k += char(p >> 8);
    k += char(p & 0xff);
  }
  return k;
}

LookupKeyPtr qnameLookupKey(bool wireFormat) {
  return makeKey(wireFormat ? "qname in wire format" : "qname",
                 [wireFormat](const DQ& dq, std::vector<std::string>& out) {
                   out.push_back(qnameKey(dq.qname, wireFormat));
                 });
}

LookupKeyPtr sourceIpLookupKey(uint8_t v4Mask, uint8_t v6Mask, bool includePort) {
  return makeKey(fmt::format("source IP (masked to {} (v4) / {} (v6) bits){}", v4Mask, v6Mask,
                             includePort ? " including the port" : ""),
                 [=](const DQ& dq, std::vector<std::string>& out) {
                   if (dq.remote)
                     out.push_back(sourceIpKey(*dq.remote, v4Mask, v6Mask, includePort));
                 });
}

LookupKeyPtr suffixLookupKey(unsigned minLabels, bool wireFormat) {
  return makeKey(fmt::format("suffix{}", wireFormat ? " in wire format" : ""),
                 [=](const DQ& dq, std::vector<std::string>& out) {
                   for (auto& k : suffixKeys(dq.qname, minLabels, wireFormat))
                     out.push_back(std::move(k));
                 });
}

LookupKeyPtr tagLookupKey(std::string tag) {
  std::string d = "value of the tag named '" + tag + "'";
  return makeKey(std::move(d), [tag = std::move(tag)](const DQ& dq, std::vector<std::string>& out) {
    const auto* tags = dq.tags ? dq.tags : (dq.query ? &dq.query->tags : nullptr);
    if (!tags) return;
    for (const auto& [k, v] : *tags)
      if (k == tag) {
        out.push_back(v);
        return;
      }
  });
}

SelectorPtr kvsLookupRule(KeyValueStorePtr kvs, LookupKeyPtr key) {
  return lookupRule<false>(std::move(kvs), std::move(key));
}
SelectorPtr kvsRangeLookupRule(KeyValueStorePtr kvs, LookupKeyPtr key) {
  return lookupRule<true>(std::move(kvs), std::move(key));
}
ActionPtr kvsLookupAction(KeyValueStorePtr kvs, LookupKeyPtr key, std::string tag) {
  return lookupAction<false>(std::move(kvs), std::move(key), std::move(tag));
}
ActionPtr kvsRangeLookupAction(KeyValueStorePtr kvs, LookupKeyPtr key, std::string tag) {
  return lookupAction<true>(std::move(kvs), std::move(key), std::move(tag));
}

}  // namespace ballast::core::rules

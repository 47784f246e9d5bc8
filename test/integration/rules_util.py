# SPDX-License-Identifier: GPL-2.0-only
"""Helpers shared by the rule and dynamic-block tests."""

import os
import time

import dns.message

from fakedns import make_query

# Wraps whatever maintenance() the config ends with (the harness's) so that it also runs
# the Lua file "commands.lua" in ballast's working directory once, when it appears: the
# tests' way to change rules while ballast runs (the console's job, later). The file is
# renamed before it runs, so a command runs once even if it fails.
RUNTIME_COMMANDS_LUA = """
__rules_user_maintenance = nil
setmetatable(_G, {__newindex = function(t, k, v)
  if k == "maintenance" then
    rawset(t, k, function()
      local f = io.open("commands.lua", "r")
      if f ~= nil then
        f:close()
        os.rename("commands.lua", "commands.done.lua")
        local ok, err = pcall(dofile, "commands.done.lua")
        local out = io.open("commands.result", "w")
        out:write(ok and "ok" or ("error: " .. tostring(err)))
        out:close()
      end
      if __rules_user_maintenance ~= nil then __rules_user_maintenance() end
      v()
    end)
  else
    rawset(t, k, v)
  end
end})
"""


def run_commands(b, lua, timeout=4.0):
    """Has ballast `b` run `lua` from its maintenance(); waits for the result."""
    result = b.workdir / "commands.result"
    if result.exists():
        result.unlink()
    tmp = b.workdir / "commands.tmp"
    tmp.write_text(lua)
    os.rename(tmp, b.workdir / "commands.lua")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result.exists():
            text = result.read_text()
            assert text == "ok", f"runtime commands failed: {text}"
            return
        time.sleep(0.02)
    raise AssertionError(f"runtime commands not run within {timeout}s{b.diagnostics()}")


def ask(c, b, name, rdtype="A", timeout=1.0, **kw):
    """One query through ballast `b` from client `c`: the parsed answer or None."""
    return c.ask(make_query(name, rdtype, **kw), b.listen[0], timeout=timeout)


def ask_message(c, b, msg, timeout=1.0):
    return c.ask(msg, b.listen[0], timeout=timeout)


def ttls(msg):
    return [rrset.ttl for rrset in msg.answer]


def rcode(msg):
    assert msg is not None, "no answer"
    return msg.rcode()


def make(name, rdtype="A", **kw):
    return dns.message.make_query(name, rdtype, **kw)

# SPDX-License-Identifier: GPL-2.0-only
"""Smaller dnsdist 1.7 names (issue 20) through the binary: setDynBlocksPurgeInterval."""

import time

import harness
from rules_util import RUNTIME_COMMANDS_LUA, run_commands


def nmg_size(b):
    return b.fresh_counters()["dyn-block-nmg-size"]


def test_expired_dyn_blocks_purged_on_the_interval(start_ballast, backends):
    b = start_ballast(servers=[backends()], lua=RUNTIME_COMMANDS_LUA)
    a1, a2 = harness.ADDRESSES.next(), harness.ADDRESSES.next()
    # Interval 0: an expired block stays in the table (it matches nothing).
    run_commands(b, f'setDynBlocksPurgeInterval(0)\naddDynBlocks({{"{a1}"}}, "x", 1)\n')
    time.sleep(3.2)
    assert nmg_size(b) == 1
    # Interval 1: gone within a couple of maintenance ticks of expiring.
    run_commands(b, f'setDynBlocksPurgeInterval(1)\nclearDynBlocks()\n'
                    f'addDynBlocks({{"{a2}"}}, "y", 3)\n')
    assert nmg_size(b) == 1
    b.wait_counters(lambda s: s.get("dyn-block-nmg-size") == 0, timeout=6.0,
                    what="the expired block purged")

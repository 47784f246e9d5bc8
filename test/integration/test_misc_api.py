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


def test_top_bandwidth_and_ring_lock_retries(start_ballast, backends, client):
    from rules_util import ask
    b = start_ballast(servers=[backends()], lua=RUNTIME_COMMANDS_LUA + """
setRingBuffersLockRetries(2)
setRingBuffersSize(1000, 4)
""")
    heavy, light = client(harness.ADDRESSES.next()), client(harness.ADDRESSES.next())
    for i in range(4):
        assert ask(heavy, b, f"long-name-to-make-bytes-{i}.heavy.test.") is not None
    assert ask(light, b, "l.test.") is not None
    run_commands(b, 'setRingBuffersLockRetries(0)\nprint("TB-BEGIN")\ntopBandwidth(1)\n'
                    'print("TB-MID")\ntopBandwidth()\nprint("TB-END")\n')
    out = b.stdout().split("TB-BEGIN")[-1]
    top1 = out.split("TB-MID")[0].strip().splitlines()
    assert top1[0].split()[:2] == ["1", heavy.host] and top1[1].split()[1] == "Rest", top1
    rows = {r.split()[1]: int(r.split()[2])
            for r in out.split("TB-MID")[1].split("TB-END")[0].strip().splitlines()}
    # 4 queries and 4 responses of more than 50 bytes each, counted in both rings
    assert rows[heavy.host] > 8 * 50 and rows[heavy.host] > rows[light.host] > 0

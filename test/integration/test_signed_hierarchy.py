# SPDX-License-Identifier: GPL-2.0-only
"""The signed hierarchy of signed_hierarchy.py is produced as described: ldns-verify-zone
accepts the zones meant to be good and rejects the broken ones. Then ballast's own validator
library (through dnssec_zone_check, built beside the binary) must agree with ldns on zones
ldns signed: every signature, the NSEC and NSEC3 chains, wildcard and opt-out proofs. (The
resolver's validation tests will serve these zones with nsd.)"""

import subprocess
from pathlib import Path

import pytest

import harness
import signed_hierarchy as sh

pytestmark = pytest.mark.skipif(not sh.have_tools(), reason="ldnsutils not installed")


@pytest.fixture(scope="module")
def hierarchy(tmp_path_factory):
    return sh.build(tmp_path_factory.mktemp("signed"), "127.0.53.")


def test_good_zones_verify(hierarchy):
    signer = sh.Signer(hierarchy.files["."].parent)
    for zone in (".", "secure.test.", "nsec3.test.", "wrongkey.test.", "missingds.test.",
                 "rollover.test.", "rollover2.test."):
        ok, out = signer.verify(hierarchy.files[zone])
        assert ok, f"{zone}: {out}"


def test_broken_zones_fail(hierarchy):
    signer = sh.Signer(hierarchy.files["."].parent)
    for zone in ("badsig.test.", "expired.test."):
        ok, out = signer.verify(hierarchy.files[zone])
        assert not ok, f"{zone} verified: {out}"


def test_parent_publishes_the_ds_records(hierarchy):
    tld = hierarchy.zones["test."]
    lines = [l.split() for l in tld.splitlines() if not l.startswith(";")]
    ds_owners = {f[0] for f in lines if len(f) > 3 and f[3] == "DS"}
    assert ds_owners == {"secure.test.", "nsec3.test.", "optout.test.", "badsig.test.",
                         "expired.test.", "wrongkey.test.", "rollover.test.",
                         "rollover2.test."}
    # missingds.test.: the DS is gone but the signed NSEC still lists it.
    nsec = [f for f in lines if len(f) > 3 and f[0] == "missingds.test." and f[3] == "NSEC"]
    assert nsec and "DS" in nsec[0][5:]
    # No DS for the unsigned child; its NSEC (NS without DS) proves it.
    nsec = [f for f in lines if len(f) > 3 and f[0] == "insecure.test." and f[3] == "NSEC"]
    assert nsec and "DS" not in nsec[0][5:] and "NS" in nsec[0][5:]


def test_nsec3_and_opt_out(hierarchy):
    nsec3 = [l.split() for l in hierarchy.zones["nsec3.test."].splitlines()
             if "\tNSEC3\t" in l or " NSEC3 " in l]
    assert nsec3 and all(f[4:8] == ["1", "0", "1", "beef"] for f in nsec3)
    optout = [l.split() for l in hierarchy.zones["optout.test."].splitlines()
              if "\tNSEC3\t" in l or " NSEC3 " in l]
    assert optout and all(f[5] == "1" for f in optout)
    # The opt-out span leaves the unsigned delegation without an NSEC3 of its own.
    assert "unsigned.optout.test." in hierarchy.zones["optout.test."]


def test_anchor_matches_the_root_key(hierarchy):
    assert hierarchy.anchor.startswith(". ") and " DS " in hierarchy.anchor
    tag = hierarchy.anchor.split()[-4]
    root = hierarchy.zones["."]
    assert any(l.split()[3:5] == ["DNSKEY", "257"] for l in root.splitlines()
               if len(l.split()) > 4)
    assert tag.isdigit()
    assert hierarchy.expected["badsig.test."] == "bogus"
    assert hierarchy.expected["unsigned.optout.test."] == "insecure"


def zone_check(hierarchy, zone, now=None):
    tool = Path(harness.ballast_bin()).resolve().parents[1] / "backends/resolver/dnssec/dnssec_zone_check"
    assert tool.exists(), f"{tool} missing: build it (ninja -C build)"
    args = [str(tool), zone, str(hierarchy.files[zone])] + ([str(now)] if now else [])
    p = subprocess.run(args, capture_output=True, text=True)
    assert p.returncode in (0, 1), p.stderr
    return p.returncode, [line.split() for line in p.stdout.splitlines()]


@pytest.mark.parametrize("zone", [".", "test.", "secure.test.", "nsec3.test.", "wrongkey.test."])
def test_our_validator_accepts_what_ldns_signed(hierarchy, zone):
    rc, lines = zone_check(hierarchy, zone)
    assert rc == 0, lines
    states = {" ".join(l[1:3]): l[0] for l in lines}
    assert all(l[0] == "secure" for l in lines), lines
    assert any(l[1] == "nxdomain" for l in lines)
    if zone not in (".", "test."):
        assert states["www." + zone + " A"] == "secure"
        assert states["wildcard-proof expanded.wild." + zone] == "secure"


def test_our_validator_rejects_the_broken_zones(hierarchy):
    rc, lines = zone_check(hierarchy, "badsig.test.")
    assert rc == 1
    bogus = [l for l in lines if l[0] == "bogus"]
    assert [l[1:4] for l in bogus] == [["www.badsig.test.", "A", "6"]]
    rc, lines = zone_check(hierarchy, "expired.test.")
    assert rc == 1
    assert {l[3] for l in lines if l[0] == "bogus"} == {"7"}  # Signature Expired
    # Inside the signatures' validity (2019) the same zone is fine.
    rc, lines = zone_check(hierarchy, "expired.test.", now=1560000000)
    assert rc == 0, lines


def test_opt_out_proofs_are_insecure(hierarchy):
    rc, lines = zone_check(hierarchy, "optout.test.")
    assert rc == 0
    states = {" ".join(l[1:3]): l[0] for l in lines}
    assert states["nxdomain no-such-name-42.optout.test."] == "insecure"
    assert states["www.optout.test. A"] == "secure"

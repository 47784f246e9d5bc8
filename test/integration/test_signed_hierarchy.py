# SPDX-License-Identifier: GPL-2.0-only
"""The signed hierarchy of signed_hierarchy.py is produced as described: ldns-verify-zone
accepts the zones meant to be good and rejects the broken ones. (The resolver's validation
tests will serve these zones with nsd; this only checks the material.)"""

import pytest

import signed_hierarchy as sh

pytestmark = pytest.mark.skipif(not sh.have_tools(), reason="ldnsutils not installed")


@pytest.fixture(scope="module")
def hierarchy(tmp_path_factory):
    return sh.build(tmp_path_factory.mktemp("signed"), "127.0.53.")


def test_good_zones_verify(hierarchy):
    signer = sh.Signer(hierarchy.files["."].parent)
    for zone in (".", "secure.test.", "nsec3.test.", "wrongkey.test.", "missingds.test."):
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
                         "expired.test.", "wrongkey.test."}
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

# SPDX-License-Identifier: GPL-2.0-only
"""A DNSSEC-signed fake hierarchy for the validation tests, keys made at test time.

Keys come from ``ldns-keygen`` and zones are signed with ``ldns-signzone`` (Debian's
ldnsutils), in a scratch directory: nothing secret is committed, and every run has fresh
keys. ``build(workdir, b)`` returns a ``Hierarchy``: the signed zone texts (ready for
``fakehierarchy.Nsd``), the root trust anchor (a DS line for ``trustAnchors=``), and what a
validator must conclude for each zone. Addresses follow resolver_world: the root on b+1,
``test.`` on b+2, every other zone on b+3.

  zone                      signed  DS in parent      expected
  .                         NSEC    (trust anchor)    secure
  test.                     NSEC    yes               secure
  secure.test.              NSEC    yes               secure (www A, *.wild TXT, ENT deep)
  nsec3.test.               NSEC3   yes               secure (1 iteration, salt)
  optout.test.              NSEC3   yes               secure, opt-out
  unsigned.optout.test.     no      no (opt-out span) insecure
  insecure.test.            no      no (NSEC proof)   insecure
  badsig.test.              NSEC    yes               bogus: www A signature altered
  expired.test.             NSEC    yes               bogus: signatures expired in 2020
  missingds.test.           NSEC    stripped          bogus: test.'s NSEC says a DS exists
  wrongkey.test.            NSEC    yes, other key    bogus: no DNSKEY matches the DS
  rollover.test.            NSEC    yes, old alg      secure (signed with alg 13 and 15)
  rollover2.test.           NSEC    yes, new alg      secure (signed with alg 13 and 15)
"""

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ALGORITHM = "ECDSAP256SHA256"
SOA = "ns.{zone} hostmaster.{zone} 1 3600 600 86400 30"
TOOLS = ("ldns-keygen", "ldns-signzone", "ldns-key2ds", "ldns-verify-zone")


def have_tools():
    return all(shutil.which(t) for t in TOOLS)


@dataclass
class Key:
    base: str     # K<zone>+<alg>+<tag>, in the work directory
    dnskey: str   # the DNSKEY line
    ds: str       # a SHA-256 DS line


@dataclass
class Hierarchy:
    zones: dict = field(default_factory=dict)     # zone name -> zone text (signed or not)
    anchor: str = ""                              # ". IN DS ..." for the root
    expected: dict = field(default_factory=dict)  # zone name -> secure/insecure/bogus
    files: dict = field(default_factory=dict)     # zone name -> signed file path


class Signer:
    def __init__(self, workdir):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)

    def _run(self, *args):
        return subprocess.run(args, cwd=self.dir, check=True, capture_output=True,
                              text=True).stdout

    def key(self, zone, ksk, algorithm=ALGORITHM):
        base = self._run("ldns-keygen", "-a", algorithm, *(["-k"] if ksk else []),
                         zone).strip()
        dnskey = (self.dir / (base + ".key")).read_text().strip()
        ds = self._run("ldns-key2ds", "-n", "-2", base + ".key").strip()
        return Key(base, dnskey, ds)

    def sign(self, zone, text, keys, nsec3=False, optout=False, inception=None,
             expiration=None):
        name = "root" if zone == "." else zone.rstrip(".")
        src = self.dir / f"{name}.zone"
        out = self.dir / f"{name}.zone.signed"
        src.write_text(text)
        args = ["ldns-signzone", "-f", str(out), "-o", zone]
        if nsec3:
            args += ["-n", "-t", "1", "-s", "beef"] + (["-p"] if optout else [])
        if inception:
            args += ["-i", inception]
        if expiration:
            args += ["-e", expiration]
        self._run(*args, str(src), *[k.base for k in keys])
        return out

    def verify(self, path, anchor=None):
        """ldns-verify-zone's verdict on a signed file: (ok, output)."""
        args = ["ldns-verify-zone", "-V", "1"]
        p = subprocess.run(args + [str(path)], cwd=self.dir, capture_output=True, text=True)
        return p.returncode == 0, p.stdout + p.stderr


def _zone(zone, b, extra=""):
    return (f"$TTL 3600\n{zone} IN SOA {SOA.format(zone=zone)}\n{zone} IN NS ns.{zone}\n"
            f"ns.{zone} IN A {b}3\n{extra}")


def _leaf(zone, b):
    return _zone(zone, b, f"www.{zone} IN A 192.0.2.1\n*.wild.{zone} IN TXT \"wildcard\"\n"
                          f"a.deep.{zone} IN A 192.0.2.2\n")


def _corrupt_signature(text, owner, rtype):
    """Flips one base64 character of the RRSIG covering (owner, rtype)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        f = line.split()
        if len(f) > 5 and f[0] == owner and f[3] == "RRSIG" and f[4] == rtype:
            sig = f[-1]
            c = "A" if sig[10] != "A" else "B"
            lines[i] = line[: line.rfind(sig)] + sig[:10] + c + sig[11:]
            return "\n".join(lines) + "\n"
    raise ValueError(f"no RRSIG {rtype} at {owner}")


def _strip(text, owner, rtype):
    """Removes the records of (owner, rtype) and the RRSIGs covering them."""
    keep = []
    for line in text.splitlines():
        f = line.split()
        if len(f) > 4 and f[0] == owner and (f[3] == rtype or (f[3] == "RRSIG" and f[4] == rtype)):
            continue
        keep.append(line)
    return "\n".join(keep) + "\n"


def build(workdir, b):
    s = Signer(workdir)
    h = Hierarchy()

    def signed(zone, text, keys, expect, **kw):
        path = s.sign(zone, text, keys, **kw)
        h.zones[zone] = path.read_text()
        h.files[zone] = path
        h.expected[zone] = expect

    ds = {}  # child zone -> DS lines the parent publishes
    for zone in ("secure.test.", "badsig.test.", "expired.test.", "missingds.test."):
        ksk, zsk = s.key(zone, True), s.key(zone, False)
        kw = {"inception": "20190101", "expiration": "20200101"} if zone == "expired.test." else {}
        signed(zone, _leaf(zone, b), [ksk, zsk], "bogus" if zone != "secure.test." else "secure",
               **kw)
        ds[zone] = [ksk.ds]
    h.zones["badsig.test."] = _corrupt_signature(h.zones["badsig.test."], "www.badsig.test.", "A")
    h.files["badsig.test."].write_text(h.zones["badsig.test."])

    ksk, zsk = s.key("nsec3.test.", True), s.key("nsec3.test.", False)
    signed("nsec3.test.", _leaf("nsec3.test.", b), [ksk, zsk], "secure", nsec3=True)
    ds["nsec3.test."] = [ksk.ds]

    # optout.test. delegates unsigned.optout.test. without DS, inside an opt-out span.
    ksk, zsk = s.key("optout.test.", True), s.key("optout.test.", False)
    text = _leaf("optout.test.", b) + (
        f"unsigned.optout.test. IN NS ns.unsigned.optout.test.\nns.unsigned.optout.test. IN A {b}3\n")
    signed("optout.test.", text, [ksk, zsk], "secure", nsec3=True, optout=True)
    ds["optout.test."] = [ksk.ds]
    h.zones["unsigned.optout.test."] = _leaf("unsigned.optout.test.", b)
    h.expected["unsigned.optout.test."] = "insecure"

    h.zones["insecure.test."] = _leaf("insecure.test.", b)
    h.expected["insecure.test."] = "insecure"

    # wrongkey.test.: the parent's DS is for a key the zone never publishes.
    ksk, zsk, other = (s.key("wrongkey.test.", True), s.key("wrongkey.test.", False),
                       s.key("wrongkey.test.", True))
    signed("wrongkey.test.", _leaf("wrongkey.test.", b), [ksk, zsk], "bogus")
    ds["wrongkey.test."] = [other.ds]

    # An algorithm rollover's middle stage (RFC 6781 4.1.4): the zone signed with its old
    # (ECDSA P-256) and new (Ed25519) keys; the parent's DS names the old KSK
    # (rollover.test.) or already the new one (rollover2.test.).
    for zone, new_ds in (("rollover.test.", False), ("rollover2.test.", True)):
        old = [s.key(zone, True), s.key(zone, False)]
        new = [s.key(zone, True, "ED25519"), s.key(zone, False, "ED25519")]
        signed(zone, _leaf(zone, b), old + new, "secure")
        ds[zone] = [(new if new_ds else old)[0].ds]

    children = ["secure", "nsec3", "optout", "insecure", "badsig", "expired", "missingds",
                "wrongkey", "rollover", "rollover2"]
    tld = _zone("test.", b, "".join(f"{c}.test. IN NS ns.{c}.test.\nns.{c}.test. IN A {b}3\n"
                                    for c in children))
    tld += "".join(line + "\n" for zone in ds for line in ds[zone])
    ksk, zsk = s.key("test.", True), s.key("test.", False)
    signed("test.", tld, [ksk, zsk], "secure")
    # The DS of missingds.test. goes after signing: its NSEC still lists DS.
    h.zones["test."] = _strip(h.zones["test."], "missingds.test.", "DS")
    h.files["test."].write_text(h.zones["test."])
    test_ds = ksk.ds

    root = (f"$TTL 3600\n. IN SOA {SOA.format(zone='root-servers.net.')}\n"
            f". IN NS a.root-servers.net.\na.root-servers.net. IN A {b}1\n"
            f"test. IN NS ns.test.\nns.test. IN A {b}2\n{test_ds}\n")
    ksk, zsk = s.key(".", True), s.key(".", False)
    signed(".", root, [ksk, zsk], "secure")
    h.anchor = re.sub(r"\s+", " ", ksk.ds)
    return h

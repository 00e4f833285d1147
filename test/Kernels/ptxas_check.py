#!/usr/bin/env python3
"""Extracts the PTX that Halide embeds in CUDA kernel objects and assembles it
with ptxas for each requested architecture.

usage: ptxas_check.py PTXAS ARCHS OBJECT...   (ARCHS like sm_80,sm_90)
Exit 77 (skipped) when ptxas is missing, 1 on any failure."""
import os
import subprocess
import sys
import tempfile


def extract_ptx(data: bytes) -> bytes:
    at = data.find(b".version")
    if at < 0:
        raise ValueError("no embedded PTX (.version not found)")
    start = data.rfind(b"\0", 0, at) + 1
    end = data.find(b"\0", at)
    return data[start:end if end >= 0 else len(data)]


def main() -> int:
    ptxas, archs, objects = sys.argv[1], sys.argv[2].split(","), sys.argv[3:]
    if not os.access(ptxas, os.X_OK):
        print(f"SKIP: ptxas not found at {ptxas} (install the CUDA toolkit)")
        return 77
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for obj in objects:
            name = os.path.basename(obj)
            try:
                with open(obj, "rb") as f:
                    ptx = extract_ptx(f.read())
            except (OSError, ValueError) as e:
                print(f"FAIL {name}: {e}")
                failures += 1
                continue
            src = os.path.join(tmp, name + ".ptx")
            with open(src, "wb") as f:
                f.write(ptx)
            for arch in archs:
                out = os.path.join(tmp, f"{name}.{arch}.cubin")
                r = subprocess.run([ptxas, f"-arch={arch}", src, "-o", out],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    print(f"FAIL {name} {arch}: {r.stderr.strip()}")
                    failures += 1
                else:
                    print(f"ok   {name} {arch}: {os.path.getsize(out)} bytes of SASS")
    print(f"{len(objects) * len(archs) - failures} assembled, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

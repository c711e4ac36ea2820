"""Build pgvector for this machine's CPU into the embedded PostgreSQL (`make install` runs it).

The embedded server's wheel ships a vector.so compiled for a CPU with AVX-512 (`-march=native`
on its build host): on one without it, the first cosine distance of a 384-dimension vector (or
an HNSW vacuum) dies of an illegal instruction and takes the whole server down with it. So the
same pgvector release is compiled here from its source as Debian distributes it, with pgvector's
portable flags (`OPTFLAGS=""`: its distance functions still pick AVX, FMA or F16C at run time),
and replaces the shipped library. The source is the release tarball from the Debian archive that
this machine's apt already uses (or the file or URL in PGVECTOR_SOURCE), checked against its
SHA-256. A marker beside the library holds the built one's digest, so a second run is a
no-op and a reinstalled wheel is built again.

    .venv/bin/python -m studyin.pgvector_build
"""

import hashlib
import importlib.util
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

VERSION = "0.8.2"  # the release the wheel ships (its vector.control); the same SQL files serve
TARBALL = f"pgvector_{VERSION}.orig.tar.gz"
SHA256 = "69f4019389af05dc1c9548deb8628e62878e6e207c03907f2b8af2016472cdaa"
POOL_PATH = f"pool/main/p/pgvector/{TARBALL}"
APT_SOURCES = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
AVX512 = {"avx512f", "avx512dq", "avx512bw", "avx512vl"}  # what the shipped library's code uses


def pginstall() -> Path:
    """The embedded server's installation, found without importing pgserver (which starts
    nothing, but warns about the runtime directory on import)."""
    return Path(importlib.util.find_spec("pgserver").submodule_search_locations[0]) / "pginstall"


def archive_urls(sources: list[Path] = APT_SOURCES) -> list[str]:
    """The tarball's address on each Debian archive of the machine's apt sources (one-line and
    deb822 formats), security archives left out."""
    found = []
    for path in sources:
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError):
            continue
        found += re.findall(r"^\s*deb(?:-src)?\s+(?:\[[^\]]*\]\s+)?(\S+)", text, re.M)
        found += [u for line in re.findall(r"^URIs:(.*)$", text, re.M) for u in line.split()]
    bases = dict.fromkeys(u.rstrip("/") for u in found if u.startswith("http") and "security" not in u)
    return [f"{base}/{POOL_PATH}" for base in bases]


def source_fetch() -> bytes:
    given = os.environ.get("PGVECTOR_SOURCE", "")
    candidates = [given] if given else archive_urls()
    errors = []
    for where in candidates:
        try:
            if "://" in where:
                with urllib.request.urlopen(where, timeout=60) as response:
                    data = response.read()
            else:
                data = Path(where).read_bytes()
        except OSError as error:
            errors.append(f"{where}: {error}")
            continue
        if hashlib.sha256(data).hexdigest() == SHA256:
            return data
        errors.append(f"{where}: not the expected {TARBALL} (SHA-256 differs)")
    raise RuntimeError(
        f"pgvector {VERSION}'s source could not be had"
        + (":\n  " + "\n  ".join(errors) if errors else " (no Debian archive among the apt sources)")
        + f"\nSet PGVECTOR_SOURCE to a path or URL of {TARBALL} (SHA-256 {SHA256})."
    )


def cpu_has_avx512() -> bool:
    try:
        flags = set(re.findall(r"^flags\s*:(.*)$", Path("/proc/cpuinfo").read_text(), re.M)[0].split())
    except (OSError, IndexError):
        return False
    return AVX512 <= flags


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def build(prefix: Path) -> None:
    pg_config = prefix / "bin" / "pg_config"
    library = prefix / "lib" / "postgresql" / "vector.so"
    marker = library.with_name("vector.so.portable")  # the SHA-256 of the library built here
    if marker.exists() and marker.read_text().strip() == _digest(library):
        return
    try:
        data = source_fetch()
    except RuntimeError as error:
        if cpu_has_avx512():  # the shipped library runs here: keep it, and say so
            print(f"{error}\nThis CPU has AVX-512, so the shipped pgvector is kept.", file=sys.stderr)
            return
        sys.exit(f"{error}\nThis CPU lacks AVX-512, which the shipped pgvector needs: it cannot be used.")
    with tempfile.TemporaryDirectory() as work:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(work, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
        source = Path(work) / f"pgvector-{VERSION}"
        # The wheel's headers were configured on a system with <xlocale.h>; glibc has had the
        # same declarations in <locale.h> since 2.26.
        shim = Path(work) / "include"
        shim.mkdir()
        (shim / "xlocale.h").write_text("#include <locale.h>\n")
        subprocess.run(
            ["make", "-s", f"-j{os.cpu_count() or 1}", "OPTFLAGS=", f"PG_CONFIG={pg_config}", f"PG_CPPFLAGS=-I{shim}"],
            cwd=source, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        # A new file renamed over the old: a server running the old one keeps its mapping.
        staged = library.with_name("vector.so.new")
        staged.write_bytes((source / "vector.so").read_bytes())
        staged.chmod(0o755)
        staged.replace(library)
    marker.write_text(_digest(library) + "\n")
    print(f"pgvector {VERSION} built for this CPU")


if __name__ == "__main__":
    build(pginstall())

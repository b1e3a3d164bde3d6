"""Run a program under the system call restrictions of deploy/systemd/mcp-gateway.service, without systemd.

    python systemd_sandbox.py [--drop-in FILE] PROGRAM [ARG...]

systemd enforces SystemCallFilter=, SystemCallErrorNumber=, RestrictAddressFamilies= and MemoryDenyWriteExecute=
with a seccomp filter; this builds the equivalent filter with libseccomp (through ctypes, so nothing to install on
Debian, where systemd depends on libseccomp2) and then execs PROGRAM under it:

- the system calls of the unit's SystemCallFilter= groups are allowed, every other one fails with EPERM;
- socket() only for the families RestrictAddressFamilies= names;
- no memory that is writable and executable at once, and no mprotect() or shmat() that makes memory executable (how
  systemd implements MemoryDenyWriteExecute=).

With --drop-in, the drop-in's lines are read after the unit's, as systemd reads them (an empty value resets the
name). The groups are expanded by `systemd-analyze syscall-filter`, so the list is the installed systemd's. The rest of the
unit (namespaces, read-only file system, the dynamic user) is not reproduced: those need systemd itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import mmap
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "mcp-gateway.service"

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4
SCMP_CMP_MASKED_EQ = 7


def SCMP_ACT_ERRNO(number: int) -> int:  # noqa: N802 (libseccomp's name)
    return 0x00050000 | (number & 0xFFFF)


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


def unit_settings(path: Path = UNIT, *drop_ins: Path) -> dict[str, list[str]]:
    """The unit's `Name=value` lines, then its drop-ins', every value of each name in order (comments and sections
    dropped; an empty value forgets the ones before it)."""
    settings: dict[str, list[str]] = {}
    for file in (path, *drop_ins):
        for line in file.read_text().splitlines():
            line = line.strip()
            if not line or line.startswith(("#", ";", "[")):
                continue
            name, _, value = line.partition("=")
            if not value.strip():
                settings[name.strip()] = [""]
                continue
            settings.setdefault(name.strip(), []).append(value.strip())
    return settings


def syscall_groups() -> dict[str, list[str]]:
    """Every group `systemd-analyze syscall-filter` knows, with its members (system calls and other @groups)."""
    output = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True, check=True).stdout
    groups: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.split()[0], [])
        elif current is not None:
            item = line.strip()
            if item and not item.startswith("#"):
                current.append(item.split()[0])
    return groups


def expand(names: list[str], groups: dict[str, list[str]]) -> set[str]:
    result: set[str] = set()
    pending = list(names)
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name.startswith("@"):
            pending.extend(groups[name])
        else:
            result.add(name)
    return result


def allowed_syscalls(settings: dict[str, list[str]]) -> set[str]:
    """The unit's SystemCallFilter= lines: allow lists add up, `~` lines take away."""
    groups = syscall_groups()
    allowed: set[str] = set()
    for value in settings.get("SystemCallFilter", []):
        if value.startswith("~"):
            allowed -= expand(value[1:].split(), groups)
        else:
            allowed |= expand(value.split(), groups)
    return allowed


def address_families(settings: dict[str, list[str]]) -> list[int]:
    families = []
    for value in settings.get("RestrictAddressFamilies", []):
        for name in value.split():
            families.append(int(getattr(socket, name)))
    return families


def install_filter(settings: dict[str, list[str]]) -> None:
    library = ctypes.util.find_library("seccomp")
    if library is None:
        raise OSError("libseccomp is not installed")
    seccomp = ctypes.CDLL(library, use_errno=True)
    seccomp.seccomp_init.restype = ctypes.c_void_p
    seccomp.seccomp_init.argtypes = [ctypes.c_uint32]
    seccomp.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    seccomp.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(ArgCmp)]
    seccomp.seccomp_load.argtypes = [ctypes.c_void_p]

    error_number = getattr(errno, (settings.get("SystemCallErrorNumber") or ["EPERM"])[-1])
    context = seccomp.seccomp_init(SCMP_ACT_ERRNO(error_number))
    if not context:
        raise OSError("seccomp_init failed")

    def rule(name: str, *conditions: tuple[int, int, int, int]) -> None:
        number = seccomp.seccomp_syscall_resolve_name(name.encode())
        if number < 0:
            return  # not a system call of this architecture (the groups list several)
        array = (ArgCmp * max(1, len(conditions)))(*[ArgCmp(*c) for c in conditions])
        result = seccomp.seccomp_rule_add_array(context, SCMP_ACT_ALLOW, number, len(conditions), array)
        if result < 0:
            raise OSError(-result, f"seccomp_rule_add({name}) failed")

    conditional = set()
    if settings.get("RestrictAddressFamilies"):
        conditional.add("socket")
        for family in address_families(settings):
            rule("socket", (0, SCMP_CMP_EQ, family, 0))
    if (settings.get("MemoryDenyWriteExecute") or ["no"])[-1] in ("yes", "true", "1", "on"):
        write, execute = mmap.PROT_WRITE, mmap.PROT_EXEC
        conditional |= {"mmap", "mmap2", "mprotect", "pkey_mprotect", "shmat"}
        for name in ("mmap", "mmap2"):
            rule(name, (2, SCMP_CMP_MASKED_EQ, execute, 0))  # not executable
            rule(name, (2, SCMP_CMP_MASKED_EQ, write, 0))  # or not writable
        rule("mprotect", (2, SCMP_CMP_MASKED_EQ, execute, 0))
        rule("pkey_mprotect", (2, SCMP_CMP_MASKED_EQ, execute, 0))
        rule("shmat", (2, SCMP_CMP_MASKED_EQ, 0o100000, 0))  # SHM_EXEC
    for name in sorted(allowed_syscalls(settings) - conditional):
        rule(name)
    # libseccomp sets no_new_privs before loading, as NoNewPrivileges= does.
    result = seccomp.seccomp_load(context)
    if result < 0:
        raise OSError(-result, "seccomp_load failed")


def main(argv: list[str]) -> None:
    drop_ins: list[Path] = []
    while argv[:1] == ["--drop-in"] and len(argv) > 1:
        drop_ins.append(Path(argv[1]))
        argv = argv[2:]
    if not argv:
        sys.exit(__doc__)
    settings = unit_settings(UNIT, *drop_ins)
    if not re.search(r"\S", " ".join(settings.get("SystemCallFilter", []))):
        sys.exit(f"{UNIT} has no SystemCallFilter=")
    install_filter(settings)
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])

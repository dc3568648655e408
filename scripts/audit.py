"""Check requirements.lock for known vulnerabilities with pip-audit, against the exceptions in audit-ignore.toml.

Run by `make audit`. pip-audit (pinned below) lives in its own environment, .venv-audit, so that its dependencies
never change the Rasa environment (.venv). The script imports nothing but the standard library (and tomli, the TOML
reader of Python 3.10, when it runs there), and re-runs itself in .venv-audit when no TOML reader is at hand.

Exit status: 0 when every finding is documented in audit-ignore.toml, and also, with a WARNING, when the
vulnerability service cannot be reached (an offline CI is not blocked); 1 when a finding is not documented; 2 when
the audit itself is broken (invalid audit-ignore.toml, pip-audit failing for another reason than the network).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOOL_VENV = ROOT / ".venv-audit"
PIP_AUDIT_PIN = "pip-audit==2.10.1"
REQUIREMENTS = ROOT / "requirements.lock"
IGNORE_FILE = ROOT / "audit-ignore.toml"
PIP_AUDIT_TIMEOUT_SECONDS = 600
REEXEC_MARKER = "PASSERELLE_AUDIT_REEXEC"

EXIT_OK = 0
EXIT_NEW = 1
EXIT_ERROR = 2

# Text that pip or pip-audit print when the network, not the audit, failed (requests/urllib3 exceptions and
# pip-audit's own messages).
NETWORK_ERROR_MARKERS = (
    "ConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "ProxyError",
    "SSLError",
    "NameResolutionError",
    "NewConnectionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Connection refused",
    "Connection reset",
    "timed out",
    "Could not connect to",
    "ServiceError",
)
ENTRY_KEYS = ("package", "version", "id", "reason")


class AuditError(Exception):
    """The audit could not be done; `network` tells whether the network is to blame."""

    def __init__(self, message: str, *, network: bool = False) -> None:
        super().__init__(message)
        self.network = network


class IgnoreFileError(ValueError):
    """audit-ignore.toml is not valid."""


@dataclass(frozen=True)
class Finding:
    """One vulnerability that pip-audit found in one pinned package."""

    package: str
    version: str
    id: str
    fix_versions: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    description: str = ""

    def known_as(self, vuln_id: str) -> bool:
        """Whether `vuln_id` is this finding's id or one of its aliases (PYSEC, GHSA, CVE)."""
        wanted = vuln_id.strip().casefold()
        return any(wanted == known.casefold() for known in (self.id, *self.aliases))


@dataclass(frozen=True)
class IgnoreEntry:
    """A documented vulnerability that cannot be fixed now, from audit-ignore.toml."""

    package: str
    version: str
    id: str
    reason: str


@dataclass(frozen=True)
class AuditReport:
    """pip-audit's JSON report: the packages it audited (name: version), its findings and the packages it skipped."""

    audited: dict[str, str]
    findings: tuple[Finding, ...]
    skipped: dict[str, str]

    @property
    def service_unavailable(self) -> bool:
        """True when pip-audit could audit none of the packages: the vulnerability service did not answer for any."""
        return not self.audited and bool(self.skipped)


@dataclass
class Comparison:
    """Findings sorted against the ignore file."""

    documented: list[tuple[Finding, IgnoreEntry]] = field(default_factory=list)
    new: list[Finding] = field(default_factory=list)
    stale: list[tuple[IgnoreEntry, str]] = field(default_factory=list)
    unchecked: list[IgnoreEntry] = field(default_factory=list)


def canonical_name(name: str) -> str:
    """A package name as PyPI compares them (PEP 503): lower case, runs of `-_.` as one `-`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_report(data: Any) -> AuditReport:
    """Read pip-audit's `--format json` output (a dict with `dependencies` and `fixes`)."""
    if not isinstance(data, dict) or not isinstance(data.get("dependencies"), list):
        raise ValueError("not a pip-audit JSON report: no 'dependencies' list")
    audited: dict[str, str] = {}
    skipped: dict[str, str] = {}
    findings: list[Finding] = []
    for dependency in data["dependencies"]:
        name = canonical_name(str(dependency["name"]))
        if "skip_reason" in dependency:
            skipped[name] = str(dependency["skip_reason"])
            continue
        version = str(dependency["version"])
        audited[name] = version
        for vuln in dependency.get("vulns", []):
            findings.append(
                Finding(
                    package=name,
                    version=version,
                    id=str(vuln["id"]),
                    fix_versions=tuple(str(v) for v in vuln.get("fix_versions", [])),
                    aliases=tuple(str(a) for a in vuln.get("aliases", [])),
                    description=str(vuln.get("description", "")),
                )
            )
    return AuditReport(audited=audited, findings=tuple(findings), skipped=skipped)


def parse_ignore(data: dict[str, Any]) -> list[IgnoreEntry]:
    """Check and read the `[[exception]]` tables of audit-ignore.toml (already parsed from TOML)."""
    unknown = sorted(set(data) - {"exception"})
    if unknown:
        raise IgnoreFileError(f"unknown top-level key(s) {', '.join(unknown)}: only [[exception]] tables are read")
    tables = data.get("exception", [])
    if not isinstance(tables, list):
        raise IgnoreFileError("'exception' must be an array of tables: write each one as [[exception]]")
    entries: list[IgnoreEntry] = []
    seen: set[tuple[str, str]] = set()
    for number, table in enumerate(tables, start=1):
        where = f"[[exception]] number {number}"
        if not isinstance(table, dict):
            raise IgnoreFileError(f"{where} is not a table")
        missing = [key for key in ENTRY_KEYS if not isinstance(table.get(key), str) or not table[key].strip()]
        if missing:
            raise IgnoreFileError(f"{where}: {', '.join(missing)} missing or empty (each entry needs {ENTRY_KEYS})")
        extra = sorted(set(table) - set(ENTRY_KEYS))
        if extra:
            raise IgnoreFileError(f"{where}: unknown key(s) {', '.join(extra)}")
        entry = IgnoreEntry(
            package=canonical_name(table["package"].strip()),
            version=table["version"].strip(),
            id=table["id"].strip(),
            reason=" ".join(table["reason"].split()),
        )
        key = (entry.package, entry.id.casefold())
        if key in seen:
            raise IgnoreFileError(f"{where}: {entry.package} {entry.id} is documented twice")
        seen.add(key)
        entries.append(entry)
    return entries


def toml_reader() -> Any | None:
    """The TOML reader of this interpreter: tomllib (3.11+) or tomli (3.10), None when neither is installed."""
    try:
        if sys.version_info >= (3, 11):
            import tomllib
        else:
            import tomli as tomllib
    except ModuleNotFoundError:
        return None
    return tomllib


def load_ignore_file(path: Path) -> list[IgnoreEntry]:
    """Read and check audit-ignore.toml; a missing file means no exceptions."""
    if not path.exists():
        return []
    reader = toml_reader()
    if reader is None:
        raise IgnoreFileError("no TOML reader: run with Python 3.11+, or a Python 3.10 with tomli installed")
    try:
        data = reader.loads(path.read_text(encoding="utf-8"))
    except reader.TOMLDecodeError as error:
        raise IgnoreFileError(f"{path.name} is not valid TOML: {error}") from error
    return parse_ignore(data)


def compare(report: AuditReport, entries: Iterable[IgnoreEntry]) -> Comparison:
    """Sort the findings into documented and new, and the ignore entries that match nothing into stale or unchecked.

    An entry matches a finding of the same package and pinned version whose id or alias is the entry's id. An entry
    for a package that pip-audit skipped is "unchecked", not stale: nobody knows whether it still applies.
    """
    entries = list(entries)
    result = Comparison()
    used: set[int] = set()
    for finding in report.findings:
        match = next(
            (
                (index, entry)
                for index, entry in enumerate(entries)
                if entry.package == finding.package and entry.version == finding.version and finding.known_as(entry.id)
            ),
            None,
        )
        if match is None:
            result.new.append(finding)
        else:
            used.add(match[0])
            result.documented.append((finding, match[1]))
    for index, entry in enumerate(entries):
        if index in used:
            continue
        if entry.package in report.skipped:
            result.unchecked.append(entry)
        elif entry.package not in report.audited:
            result.stale.append((entry, f"{entry.package} is not in the audited requirements any more"))
        elif report.audited[entry.package] != entry.version:
            pinned = report.audited[entry.package]
            result.stale.append((entry, f"{entry.package} is now pinned at {pinned}, the entry is for {entry.version}"))
        else:
            result.stale.append((entry, f"pip-audit no longer reports {entry.id} for {entry.package} {entry.version}"))
    return result


def looks_like_network_error(text: str) -> bool:
    """Whether pip's or pip-audit's error output says the network (not the audit) failed."""
    return any(marker in text for marker in NETWORK_ERROR_MARKERS)


def format_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A plain-text table with columns padded to their widest cell."""
    lines = [list(header), *(list(row) for row in rows)]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    padded = ("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) for line in lines)
    return "\n".join(line.rstrip() for line in padded)


def findings_table(comparison: Comparison) -> str:
    """The summary table: package, version, id, fixed in, status (documented or NEW)."""
    rows = [(finding, "documented") for finding, _ in comparison.documented]
    rows += [(finding, "NEW") for finding in comparison.new]
    rows.sort(key=lambda row: (row[0].package, row[0].id))
    return format_table(
        ("package", "version", "id", "fixed in", "status"),
        (
            (finding.package, finding.version, finding.id, ", ".join(finding.fix_versions) or "-", status)
            for finding, status in rows
        ),
    )


def last_line(text: str) -> str:
    """The last non-empty line of a command's output (where a traceback names its exception)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def shorten(text: str, width: int) -> str:
    """`text` cut to `width` characters, with an ellipsis when cut."""
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def pip_output(text: str) -> str:
    """The output of pip without the noise of this machine's pip configuration (missing local package folders)."""
    return "\n".join(line for line in text.splitlines() if "is neither a file nor a directory" not in line)


def base_python() -> str:
    """The interpreter behind this one when it runs in a venv (.venv's Python 3.10), so .venv-audit outlives .venv."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidate = Path(sys.base_prefix) / "bin" / version
    return str(candidate) if candidate.exists() else sys.executable


def ensure_tool_venv(venv: Path = TOOL_VENV) -> Path:
    """Create `venv` with the pinned pip-audit unless it is already there; return its pip-audit executable."""
    python = venv / "bin" / "python"
    tool = venv / "bin" / "pip-audit"
    stamp = venv / ".pip-audit-pin"
    if tool.exists() and stamp.is_file() and stamp.read_text().strip() == PIP_AUDIT_PIN:
        working = subprocess.run([str(python), "-c", "import pip_audit"], capture_output=True, check=False)
        if working.returncode == 0:
            return tool
    print(f"audit: installing {PIP_AUDIT_PIN} into {venv.name}/ (its own environment: .venv is not touched)")
    python_for_venv = base_python()
    created = subprocess.run(
        [python_for_venv, "-m", "venv", "--clear", str(venv)], capture_output=True, text=True, check=False
    )
    if created.returncode != 0:
        raise AuditError(f"could not create {venv.name} with {python_for_venv}: {last_line(created.stderr)}")
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", PIP_AUDIT_PIN],
        capture_output=True,
        text=True,
        check=False,
    )
    if installed.returncode != 0:
        output = pip_output(installed.stdout + installed.stderr)
        raise AuditError(
            f"could not install {PIP_AUDIT_PIN}: {last_line(output)}", network=looks_like_network_error(output)
        )
    stamp.write_text(PIP_AUDIT_PIN + "\n")
    return tool


def run_pip_audit(tool: Path, requirements: Path) -> Any:
    """Run pip-audit on the pinned requirements (no resolution, no pip) and return its parsed JSON report."""
    command = [
        str(tool),
        "--requirement",
        str(requirements.resolve()),
        "--no-deps",
        "--disable-pip",
        "--format",
        "json",
        "--aliases",
        "on",
        "--desc",
        "on",
        "--progress-spinner",
        "off",
    ]
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=PIP_AUDIT_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise AuditError(f"pip-audit did not finish in {PIP_AUDIT_TIMEOUT_SECONDS} s", network=True) from error
    # pip-audit exits 1 both when it finds vulnerabilities (the report is on stdout) and when it crashes.
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        raise AuditError(
            f"pip-audit failed (exit {done.returncode}): {last_line(done.stderr)}",
            network=looks_like_network_error(done.stderr),
        ) from None


def warn_unreachable(detail: str) -> int:
    """Say loudly that nothing was checked, and let CI go on."""
    print(f"audit: WARNING: {detail}")
    print(
        "audit: WARNING: the vulnerability service could not be reached: NOTHING WAS CHECKED (exit 0, so that an"
        " offline CI goes on). Run `make audit` again where PyPI's JSON API is reachable."
    )
    return EXIT_OK


def report_result(report: AuditReport, comparison: Comparison, ignore_file: Path) -> int:
    """Print the outcome of an audit that ran, and return the exit status."""
    name = ignore_file.name
    if report.skipped:
        names = sorted(report.skipped)
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        print(f"audit: WARNING: pip-audit could not audit {len(names)} package(s): {shown}")
        print(f"audit: WARNING: for example: {report.skipped[names[0]]}")
    if report.findings:
        print(findings_table(comparison))
    for entry in comparison.unchecked:
        print(f"audit: {name}: {entry.package} {entry.version} {entry.id} not checked (pip-audit skipped the package)")
    for entry, why in comparison.stale:
        print(f"audit: {name}: {entry.package} {entry.version} {entry.id} is stale, remove it ({why})")
    audited = f"{len(report.audited)} package(s) audited"
    if comparison.new:
        print(f"audit: {len(comparison.new)} vulnerability(ies) not documented in {name} ({audited}):")
        for finding in comparison.new:
            aliases = f" ({', '.join(finding.aliases)})" if finding.aliases else ""
            fixed = ", ".join(finding.fix_versions) or "no fixed version yet"
            print(f"  {finding.package} {finding.version} {finding.id}{aliases}, fixed in {fixed}")
            if finding.description:
                print(f"    {shorten(finding.description, 200)}")
        print(
            "audit: upgrade the package in requirements.lock if Rasa 3.6.21's requirements allow it (then `pip check`"
            f" and `make test`), or add an [[exception]] with a reason to {name}."
        )
        return EXIT_NEW
    if comparison.documented:
        print(f"audit: {len(comparison.documented)} known vulnerability(ies), all documented in {name} ({audited})")
    else:
        print(f"audit: no known vulnerabilities ({audited})")
    return EXIT_OK


def reexec_in_tool_venv(argv: Sequence[str]) -> None:
    """Run this script again with .venv-audit's Python (which has tomli): for a bare Python 3.10 without it."""
    if os.environ.get(REEXEC_MARKER):
        raise AuditError(f"{TOOL_VENV.name} has no TOML reader (tomli); delete {TOOL_VENV.name}/ and retry")
    ensure_tool_venv()
    python = str(TOOL_VENV / "bin" / "python")
    os.execve(python, [python, str(Path(__file__).resolve()), *argv], {**os.environ, REEXEC_MARKER: "1"})


def main(argv: Sequence[str] | None = None) -> int:
    """Run pip-audit (or read a saved report), compare with the ignore file, print the result."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requirements", type=Path, default=REQUIREMENTS, help="pinned requirements to audit")
    parser.add_argument("--ignore-file", type=Path, default=IGNORE_FILE, help="documented exceptions (TOML)")
    parser.add_argument("--report", type=Path, help="compare this saved pip-audit JSON report instead of running it")
    args = parser.parse_args(arguments)
    try:
        if toml_reader() is None:
            reexec_in_tool_venv(arguments)
        entries = load_ignore_file(args.ignore_file)
        if args.report is not None:
            data = json.loads(args.report.read_text(encoding="utf-8"))
        else:
            tool = ensure_tool_venv()
            print(f"audit: {PIP_AUDIT_PIN} on {args.requirements.name}, exceptions in {args.ignore_file.name}")
            data = run_pip_audit(tool, args.requirements)
        report = parse_report(data)
    except AuditError as error:
        if error.network:
            return warn_unreachable(str(error))
        print(f"audit: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except (IgnoreFileError, ValueError, OSError, KeyError) as error:
        print(f"audit: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    if report.service_unavailable:
        return warn_unreachable(
            f"pip-audit could audit none of the {len(report.skipped)} packages"
            f" (first: {next(iter(report.skipped.values()))}); a proxy or mirror that does not serve PyPI's"
            " per-release JSON API (/pypi/NAME/VERSION/json) answers like this"
        )
    return report_result(report, compare(report, entries), args.ignore_file)


if __name__ == "__main__":
    sys.exit(main())

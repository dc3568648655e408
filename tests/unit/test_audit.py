"""scripts/audit.py: pip-audit's JSON report against audit-ignore.toml (no network: recorded reports only)."""

from __future__ import annotations

import importlib.util
import json
import stat
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.paths import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "pip_audit"
FINDINGS = FIXTURES / "findings_pypa_advisory_db.json"
UNREACHABLE = FIXTURES / "lock_service_unreachable.json"
# The last line pip-audit 2.10.1 printed when the network failed, recorded on this machine.
DNS_FAILURE = (
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', port=443): Max retries exceeded with"
    " url: /v1/query (Caused by NameResolutionError(\"HTTPSConnection(host='api.osv.dev', port=443): Failed to resolve"
    " 'api.osv.dev' ([Errno -2] Name or service not known)\"))"
)
PROXY_FAILURE = (
    "requests.exceptions.ProxyError: HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded with url:"
    " /pypi/absl-py/1.4.0/json (Caused by ProxyError('Unable to connect to proxy', NewConnectionError("
    "\"HTTPSConnection(host='127.0.0.1', port=9): Failed to establish a new connection: [Errno 111] Connection"
    ' refused")))'
)
NOT_PINNED = (
    "ERROR:pip_audit._cli:requirement requests is not pinned to an exact version: requests>=2 (from RequirementLine("
    "line_number=1, line='requests>=2', filename=PosixPath('/tmp/unpinned.txt')))"
)


def load_audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("passerelle_audit", ROOT / "scripts" / "audit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


audit = load_audit()


def fixture(path: Path) -> Any:
    return json.loads(path.read_text())


def entry(package: str = "aiohttp", version: str = "3.9.1", vuln_id: str = "PYSEC-2024-24") -> Any:
    return audit.IgnoreEntry(package=package, version=version, id=vuln_id, reason="Rasa pins it; not reachable.")


def write_ignore(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "audit-ignore.toml"
    path.write_text(text)
    return path


AIOHTTP_24 = """
[[exception]]
package = "aiohttp"
version = "3.9.1"
id = "PYSEC-2024-24"
reason = "Rasa 3.6.21 requires aiohttp<3.10. Passerelle serves no static files with aiohttp."
"""


# --- pip-audit's report -------------------------------------------------------------------------------------------


def test_a_report_with_findings_is_read_with_ids_aliases_and_fixed_versions() -> None:
    report = audit.parse_report(fixture(FINDINGS))
    assert report.audited == {"aiohttp": "3.9.1", "jinja2": "3.1.2", "rasa-sdk": "3.6.2", "requests": "2.31.0"}
    assert report.skipped == {}
    assert not report.service_unavailable
    assert [(f.package, f.version, f.id) for f in report.findings] == [
        ("aiohttp", "3.9.1", "PYSEC-2024-24"),
        ("aiohttp", "3.9.1", "PYSEC-2024-26"),
    ]
    first = report.findings[0]
    assert first.fix_versions == ("3.9.2",)
    assert set(first.aliases) == {"GHSA-5h86-8mv2-jq9f", "CVE-2024-23334"}
    assert "follow_symlinks" in first.description
    assert first.known_as("cve-2024-23334") and first.known_as("PYSEC-2024-24") and not first.known_as("PYSEC-2024-26")


def test_the_recorded_run_where_pypi_answered_404_for_every_package_counts_as_unreachable() -> None:
    report = audit.parse_report(fixture(UNREACHABLE))
    assert report.audited == {}
    assert report.findings == ()
    assert set(report.skipped) == {"aiohttp", "rasa", "tensorflow"}
    assert report.service_unavailable


def test_a_partly_skipped_report_is_still_audited() -> None:
    data = fixture(FINDINGS)
    data["dependencies"] += fixture(UNREACHABLE)["dependencies"][1:]
    report = audit.parse_report(data)
    assert not report.service_unavailable
    assert set(report.skipped) == {"rasa", "tensorflow"}
    assert len(report.findings) == 2


@pytest.mark.parametrize("data", [[], {"fixes": []}, {"dependencies": "none"}])
def test_something_else_than_a_pip_audit_report_is_refused(data: Any) -> None:
    with pytest.raises(ValueError, match="not a pip-audit JSON report"):
        audit.parse_report(data)


# --- comparison with the ignore file ------------------------------------------------------------------------------


def test_findings_are_documented_by_id_or_by_alias_and_the_others_are_new() -> None:
    report = audit.parse_report(fixture(FINDINGS))
    by_id = entry()
    by_cve = entry(vuln_id="CVE-2024-23829")
    result = audit.compare(report, [by_id, by_cve])
    assert [(f.id, e) for f, e in result.documented] == [("PYSEC-2024-24", by_id), ("PYSEC-2024-26", by_cve)]
    assert result.new == [] and result.stale == [] and result.unchecked == []

    only_one = audit.compare(report, [by_id])
    assert [f.id for f in only_one.new] == ["PYSEC-2024-26"]


def test_an_entry_for_another_pinned_version_is_stale_and_the_finding_new_again() -> None:
    result = audit.compare(audit.parse_report(fixture(FINDINGS)), [entry(version="3.9.0")])
    assert [f.id for f in result.new] == ["PYSEC-2024-24", "PYSEC-2024-26"]
    assert len(result.stale) == 1
    assert "now pinned at 3.9.1" in result.stale[0][1]


def test_entries_matching_no_finding_are_stale_and_those_of_skipped_packages_unchecked() -> None:
    data = fixture(FINDINGS)
    data["dependencies"] += fixture(UNREACHABLE)["dependencies"][1:]
    fixed = entry(package="requests", version="2.31.0", vuln_id="GHSA-9wx4-h78v-vm56")
    removed = entry(package="sanic", version="21.12.2", vuln_id="PYSEC-2022-1")
    skipped = entry(package="tensorflow", version="2.12.0", vuln_id="PYSEC-2023-1")
    result = audit.compare(audit.parse_report(data), [entry(), fixed, removed, skipped])
    assert [e for e, _ in result.stale] == [fixed, removed]
    assert "no longer reports GHSA-9wx4-h78v-vm56" in result.stale[0][1]
    assert "not in the audited requirements" in result.stale[1][1]
    assert result.unchecked == [skipped]


def test_package_names_are_compared_as_pypi_does() -> None:
    assert audit.canonical_name("Rasa_SDK") == audit.canonical_name("rasa.sdk") == "rasa-sdk"
    report = audit.parse_report({"dependencies": [{"name": "rasa-sdk", "version": "3.6.2", "vulns": []}]})
    ignore = audit.parse_ignore(
        {"exception": [{"package": "Rasa_SDK", "version": "3.6.2", "id": "X-1", "reason": "documented"}]}
    )
    assert audit.compare(report, ignore).stale[0][0].package == "rasa-sdk"


# --- the ignore file ----------------------------------------------------------------------------------------------


def test_the_repository_ignore_file_loads_and_each_entry_is_reasoned_and_pinned() -> None:
    entries = audit.load_ignore_file(ROOT / "audit-ignore.toml")
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        name, _, version = line.partition("==")
        pins[audit.canonical_name(name)] = version.strip()
    for item in entries:
        assert len(item.reason) > 20, f"{item.package} {item.id}: write why it cannot be fixed and whether it matters"
        assert pins.get(item.package) == item.version, f"{item.package} {item.id}: not pinned at {item.version}"


def test_an_ignore_file_entry_is_read_with_its_reason_on_one_line(tmp_path: Path) -> None:
    path = write_ignore(tmp_path, AIOHTTP_24.replace('reason = "', 'reason = """\n').replace('."\n', '.\n"""\n'))
    (item,) = audit.load_ignore_file(path)
    assert (item.package, item.version, item.id) == ("aiohttp", "3.9.1", "PYSEC-2024-24")
    assert item.reason == "Rasa 3.6.21 requires aiohttp<3.10. Passerelle serves no static files with aiohttp."


def test_a_missing_ignore_file_means_no_exceptions(tmp_path: Path) -> None:
    assert audit.load_ignore_file(tmp_path / "absent.toml") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (AIOHTTP_24.split("reason")[0] + 'reason = "  "\n', "reason missing or empty"),
        (AIOHTTP_24.replace("reason", "reasons"), "reason missing or empty"),
        (AIOHTTP_24 + 'severity = "low"\n', "unknown key"),
        (AIOHTTP_24 + AIOHTTP_24.replace('"PYSEC-2024-24"', '"pysec-2024-24"'), "documented twice"),
        (AIOHTTP_24.replace("[[exception]]", "[[exceptions]]"), "unknown top-level key"),
        ('[exception]\npackage = "aiohttp"\n', "array of tables"),
        ('version = 3.9.1"', "not valid TOML"),
    ],
)
def test_an_invalid_ignore_file_is_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(audit.IgnoreFileError, match=message):
        audit.load_ignore_file(write_ignore(tmp_path, text))


# --- network failures and pip-audit's exit status ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "network"),
    [
        (DNS_FAILURE, True),
        (PROXY_FAILURE, True),
        ("ConnectionError: Could not connect to PyPI's vulnerability feed", True),
        (NOT_PINNED, False),
        ("ERROR:pip_audit._cli:invalid requirements input: /tmp/nonexistent.txt", False),
    ],
)
def test_network_failures_are_told_from_other_failures(text: str, network: bool) -> None:
    assert audit.looks_like_network_error(text) is network


def fake_pip_audit(tmp_path: Path, stdout: str, stderr: str, status: int) -> Path:
    tool = tmp_path / "pip-audit"
    (tmp_path / "out.txt").write_text(stdout)
    (tmp_path / "err.txt").write_text(stderr)
    tool.write_text(f'#!/bin/sh\ncat "{tmp_path}/out.txt"\ncat "{tmp_path}/err.txt" >&2\nexit {status}\n')
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    return tool


def test_pip_audit_exiting_1_with_a_report_is_a_result(tmp_path: Path) -> None:
    tool = fake_pip_audit(tmp_path, FINDINGS.read_text(), "Found 2 known vulnerabilities in 1 package\n", 1)
    assert audit.run_pip_audit(tool, ROOT / "requirements.lock") == fixture(FINDINGS)


def test_pip_audit_crashing_on_the_network_is_a_network_error(tmp_path: Path) -> None:
    tool = fake_pip_audit(tmp_path, "", f"Traceback (most recent call last):\n{PROXY_FAILURE}\n", 1)
    with pytest.raises(audit.AuditError) as raised:
        audit.run_pip_audit(tool, ROOT / "requirements.lock")
    assert raised.value.network
    assert "ProxyError" in str(raised.value)


def test_pip_audit_failing_otherwise_is_an_error(tmp_path: Path) -> None:
    tool = fake_pip_audit(tmp_path, "", NOT_PINNED + "\n", 1)
    with pytest.raises(audit.AuditError) as raised:
        audit.run_pip_audit(tool, ROOT / "requirements.lock")
    assert not raised.value.network


# --- the whole script on recorded reports -------------------------------------------------------------------------


def run_main(report: Path, ignore: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = audit.main(["--report", str(report), "--ignore-file", str(ignore)])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_undocumented_findings_fail_and_are_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run_main(FINDINGS, write_ignore(tmp_path, AIOHTTP_24), capsys)
    assert status == 1
    lines = out.splitlines()
    assert lines[0].split() == ["package", "version", "id", "fixed", "in", "status"]
    assert lines[1].split() == ["aiohttp", "3.9.1", "PYSEC-2024-24", "3.9.2", "documented"]
    assert lines[2].split() == ["aiohttp", "3.9.1", "PYSEC-2024-26", "3.9.2", "NEW"]
    assert "1 vulnerability(ies) not documented in audit-ignore.toml" in out
    assert "PYSEC-2024-26 (CVE-2024-23829, GHSA-8qpw-xqxj-h4r2), fixed in 3.9.2" in out
    assert "    aiohttp is an asynchronous HTTP client/server framework" in out and "..." in out


def test_documented_findings_pass_and_stale_entries_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = '[[exception]]\npackage = "requests"\nversion = "2.31.0"\nid = "GHSA-9wx4-h78v-vm56"\nreason = "gone"\n'
    both = AIOHTTP_24 + AIOHTTP_24.replace("PYSEC-2024-24", "GHSA-8qpw-xqxj-h4r2") + stale
    status, out = run_main(FINDINGS, write_ignore(tmp_path, both), capsys)
    assert status == 0
    assert out.count("documented") >= 2 and "NEW" not in out
    assert "requests 2.31.0 GHSA-9wx4-h78v-vm56 is stale, remove it" in out
    assert "2 known vulnerability(ies), all documented in audit-ignore.toml (4 package(s) audited)" in out


def test_an_unreachable_service_warns_and_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run_main(UNREACHABLE, write_ignore(tmp_path, AIOHTTP_24), capsys)
    assert status == 0
    assert "WARNING: the vulnerability service could not be reached" in out
    assert "NOTHING WAS CHECKED" in out
    assert "stale" not in out


def test_an_invalid_ignore_file_is_an_error_even_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run_main(UNREACHABLE, write_ignore(tmp_path, AIOHTTP_24 + "oops = 1\n"), capsys)
    assert status == 2
    assert "unknown key(s) oops" in out


def test_long_descriptions_are_cut_with_an_ellipsis() -> None:
    assert audit.shorten("short", 10) == "short"
    assert audit.shorten("a description too long", 10) == "a descr..."


def test_the_table_pads_columns() -> None:
    table = audit.format_table(("a", "bb"), [("ccc", "d"), ("e", "")])
    assert table.splitlines() == ["a    bb", "ccc  d", "e"]

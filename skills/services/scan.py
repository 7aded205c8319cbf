"""The scan before deploy: static rules over a version's SKILL.md and files; no code is run.

Python scripts go through bandit (its AST checks: a shell started with a command built from input,
B602/B605, rated high by bandit only when the command is not a literal; exec and eval, B102/B307);
`# nosec` comments are ignored, since the skill's author writes them. Bandit's low-severity notes
(importing subprocess, asserts) are left out: they fire on every benign script. skillsite's own
rules cover what no library checks, line by line, in every text file:

- remote-code-execution: a download piped into a shell, or code fetched and then exec'd / eval'd;
- shell-from-input: `eval` of a variable in shell, a shell command from a template string in JS;
- credential-read: SSH keys, cloud and git credentials, browser logins; secret-bearing variables;
- obfuscated-payload: long base64 or hex blobs (high in a script, medium in other text);
- write-outside-folder: writes to system folders, the home folder, shell start-up files, cron;
- prompt-injection: "ignore previous instructions" and its kin in SKILL.md and other markdown;
- hidden-unicode: zero-width, bidirectional-override and tag characters anywhere.

A high finding holds the version back from becoming current until staff acknowledge it
(skills.services.registry.skill_version_acknowledge).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bandit.core import config as bandit_config
from bandit.core import manager as bandit_manager

from ..models import Severity
from .bundles import SKILL_MD, BundleFile

SCRIPT_SUFFIXES = {".py", ".sh", ".bash", ".zsh", ".js", ".mjs", ".cjs", ".ts", ".ps1", ".rb", ".pl", ".php"}
MARKDOWN_SUFFIXES = {".md", ".markdown", ".txt", ".mdx"}
EXCERPT_LENGTH = 200
SKILLSITE, BANDIT = "skillsite", "bandit"
# Bandit's tests that match the rules above, and what they mean here.
BANDIT_TESTS = {
    "B102": "exec of code: what does it run?",
    "B307": "eval of code: what does it run?",
    "B602": "a shell started by subprocess; its command is built from input",
    "B605": "a shell started by os.system / popen; its command is built from input",
}
BANDIT_SEVERITY = {"HIGH": Severity.HIGH, "MEDIUM": Severity.MEDIUM}

NETWORK = re.compile(
    r"\b(urlopen|urllib\.request|requests\.(get|post)|httpx\.|fetch\(|curl\b|wget\b|Invoke-WebRequest)"
)
HIDDEN = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]")


@dataclass(frozen=True)
class Rule:
    name: str
    severity: Severity
    applies_to: str  # "scripts", "markdown" or "text" (every text file)
    pattern: re.Pattern
    message: str


def _rule(name: str, severity: Severity, applies_to: str, pattern: str, message: str) -> Rule:
    return Rule(name, severity, applies_to, re.compile(pattern, re.IGNORECASE), message)


HIGH, MEDIUM = Severity.HIGH, Severity.MEDIUM
HOME = r"(~/|\$HOME\b|\$\{HOME\}|expanduser\(|Path\.home\(\)|os\.homedir\(\))"
RULES = [
    _rule("remote-code-execution", HIGH, "text",
          r"\b(curl|wget)\b[^|\n]*\|\s*(sudo\s+)?(ba|z|da|k)?sh\b|\b(ba)?sh\s+<\(\s*(curl|wget)\b"
          r"|\b(iex|Invoke-Expression)\b.*\b(iwr|irm|Invoke-WebRequest|DownloadString)\b"
          r"|\b(exec|eval)\s*\(.*\b(urlopen|requests\.get|httpx\.get|urllib\.request|fetch)\b",
          "downloads code and runs it"),
    _rule("shell-from-input", HIGH, "scripts",
          r"^\s*eval\s+[\"']?\$|\bexec(Sync)?\(\s*`[^`]*\$\{|\bchild_process\b.*\bexec(Sync)?\([^)\"'`]*\+",
          "runs a shell command built from input"),
    _rule("credential-read", HIGH, "scripts",
          r"\.ssh/|\bid_(rsa|dsa|ecdsa|ed25519)\b|\.aws/credentials|\.netrc\b|\.git-credentials|\.gnupg\b"
          r"|\.kube/config|\.docker/config\.json|\.config/gh/hosts|Login Data|\bsecurity\s+find-generic-password",
          "reads credentials or home-folder secrets"),
    _rule("credential-read", MEDIUM, "scripts",
          r"\b(AWS_SECRET_ACCESS_KEY|ANTHROPIC_API_KEY|OPENAI_API_KEY|GITHUB_TOKEN|GH_TOKEN|NPM_TOKEN)\b",
          "reads a secret-bearing environment variable"),
    _rule("obfuscated-payload", HIGH, "scripts",
          r"[A-Za-z0-9+/]{200,}={0,2}|(\\x[0-9a-f]{2}){40,}|\b[0-9a-f]{200,}\b",
          "holds a long encoded blob (base64 or hex): what does it decode to?"),
    _rule("obfuscated-payload", MEDIUM, "markdown",
          r"[A-Za-z0-9+/]{200,}={0,2}|\b[0-9a-f]{200,}\b",
          "holds a long encoded blob (base64 or hex)"),
    _rule("write-outside-folder", HIGH, "scripts",
          r"(>>?|\btee\s+(-a\s+)?|\b(cp|mv|install)\s+(-\S+\s+)*\S+\s+)[\"']?(/(etc|usr|bin|sbin|var|opt|Library|System)/|"
          + HOME + r")"
          r"|\bopen\(\s*(f?[\"'](/(etc|usr|bin|sbin|var|opt)/|~/)|os\.path\.expanduser|Path\.home)[^)]*,\s*[\"'][wax]"
          r"|\.(bashrc|zshrc|bash_profile|profile|zprofile)\b|authorized_keys|\bcrontab\s+-|/etc/cron",
          "writes outside the skill's folder"),
    _rule("prompt-injection", HIGH, "markdown",
          r"\b(ignore|disregard|forget|override)\s+(all\s+|any\s+)?(of\s+)?(the\s+|your\s+|my\s+)?"
          r"(previous|prior|above|earlier|preceding|system|original)\s+(instructions|prompts?|directions|rules|guidelines)"
          r"|\bdo\s+not\s+(tell|inform|alert|mention\s+(this\s+|it\s+)?to)\s+the\s+user\b"
          r"|\byou\s+are\s+now\s+(in\s+)?(developer\s+mode|DAN|jailbroken|unrestricted)\b",
          "prompt-injection phrasing: it tells the agent to set aside its instructions or hide from the user"),
]  # fmt: skip


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    rule: str
    tool: str
    severity: Severity
    message: str
    excerpt: str


def _kind(path: str, text: str, executable: bool) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in SCRIPT_SUFFIXES or executable or text.startswith("#!"):
        return "scripts"
    return "markdown" if suffix in MARKDOWN_SUFFIXES or path == SKILL_MD else "text"


def _excerpt(line: str) -> str:
    return line.strip()[:EXCERPT_LENGTH]


def _hidden_unicode(path: str, number: int, line: str) -> Finding | None:
    # A byte-order mark opening the file is an encoding marker, not hidden text.
    found = sorted({f"U+{ord(c):04X}" for c in HIDDEN.findall(line.removeprefix("\ufeff") if number == 1 else line)})
    if not found:
        return None
    message = f"hidden Unicode characters ({', '.join(found)}): text the reader does not see"
    return Finding(path, number, "hidden-unicode", SKILLSITE, HIGH, message, HIDDEN.sub("?", _excerpt(line)))


def _rule_findings(path: str, text: str, kind: str) -> Iterable[Finding]:
    fetches = kind == "scripts" and NETWORK.search(text) is not None
    for number, line in enumerate(text.splitlines(), start=1):
        if hidden := _hidden_unicode(path, number, line):
            yield hidden
        fired = set()
        for rule in RULES:
            if rule.name in fired or rule.applies_to not in (kind, "text") or not rule.pattern.search(line):
                continue
            fired.add(rule.name)
            yield Finding(path, number, rule.name, SKILLSITE, rule.severity, rule.message, _excerpt(line))
        if fetches and "remote-code-execution" not in fired and re.search(r"\b(exec|eval)\s*\(", line):
            message = "runs code with exec/eval in a script that downloads: fetched code may be run"
            yield Finding(path, number, "remote-code-execution", SKILLSITE, HIGH, message, _excerpt(line))


def _bandit_findings(python: dict[str, str]) -> list[Finding]:
    """Bandit over the Python scripts, written to a temporary folder (bandit reads files)."""
    if not python:
        return []
    with tempfile.TemporaryDirectory(prefix="skillsite-scan-") as folder:
        names = {}
        for number, (path, text) in enumerate(sorted(python.items())):
            name = Path(folder) / f"{number}.py"
            name.write_text(text, encoding="utf-8")
            names[str(name)] = path
        scanner = bandit_manager.BanditManager(bandit_config.BanditConfig(), "file", quiet=True, ignore_nosec=True)
        scanner.discover_files(list(names))
        scanner.run_tests()
        issues = scanner.get_issue_list()
    return [
        Finding(names[issue.fname], max(issue.lineno, 1), issue.test_id, BANDIT, BANDIT_SEVERITY[issue.severity],
                f"{BANDIT_TESTS[issue.test_id]} (bandit: {issue.text})",
                _excerpt(python[names[issue.fname]].splitlines()[max(issue.lineno, 1) - 1]))
        for issue in issues
        if issue.test_id in BANDIT_TESTS and issue.severity in BANDIT_SEVERITY
    ]  # fmt: skip


def _text(file: BundleFile) -> str | None:
    try:
        return file.read().decode("utf-8")
    except UnicodeDecodeError:
        return None  # a binary asset: fonts, images


def scan_version(*, content: str, files: Iterable[BundleFile]) -> list[Finding]:
    """Every finding in SKILL.md and the version's text files, ordered by path, line and rule."""
    findings = list(_rule_findings(SKILL_MD, content, "markdown"))
    python = {}
    for file in files:
        text = _text(file)
        if text is None:
            continue
        kind = _kind(file.path, text, file.executable)
        findings += _rule_findings(file.path, text, kind)
        if file.path.endswith(".py") or (kind == "scripts" and text.startswith("#!") and "python" in text[:80]):
            python[file.path] = text
    findings += _bandit_findings(python)
    return sorted(findings, key=lambda f: (f.path, f.line, f.rule, f.tool))

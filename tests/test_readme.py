"""The README stays current with the code: its settings table names exactly the variables
settings.py reads, and it opens with the commands and the tour, whose screenshots exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
ENV_READ = re.compile(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""")
TABLE_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \|", re.MULTILINE)


def settings_table() -> str:
    return README.split("## Configuration", 1)[1].split("\n## ", 1)[0]


def test_the_settings_table_names_every_variable_settings_reads_and_no_other():
    read = set(ENV_READ.findall((ROOT / "skillsite" / "settings.py").read_text()))
    documented = TABLE_ROW.findall(settings_table())
    assert len(documented) == len(set(documented)), "a variable is listed twice"
    assert read - set(documented) == set(), "read by settings.py but missing from the README"
    assert set(documented) - read == set(), "in the README but not read by settings.py"


def test_the_readme_opens_with_the_two_commands_and_the_tour():
    first_60 = "\n".join(README.splitlines()[:60])
    assert "make run" in first_60 and "make test" in first_60
    assert "## A five-minute tour" in first_60 and "curl " in first_60
    screenshots = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", first_60)
    assert len(screenshots) >= 2
    for path in screenshots:
        assert (ROOT / path).is_file(), path


def test_every_linked_doc_exists():
    for path in re.findall(r"\]\((docs/[^)#]+)\)", README):
        assert (ROOT / path).is_file(), path

"""The README is a front door and the docs/ hold the rest: short, every internal link resolves,
and nothing points outside the repository."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def slug(heading):
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path):
    found, fenced = set(), False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            found.add(slug(line.lstrip("#")))
    return found


def links(path):
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return [m.group(1) for m in re.finditer(r"\]\(([^)\s]+)\)", text)]


def test_the_readme_is_a_front_door():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    assert readme.index("make run") < readme.index("make test")
    for doc in ("customers", "staff", "api", "configuration", "deployment", "architecture", "performance", "security"):
        assert f"(docs/{doc}.md)" in readme


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_every_internal_link_resolves(path):
    for target in links(path):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file, _, anchor = target.partition("#")
        dest = (path.parent / file) if file else path
        assert dest.exists(), f"{path.name}: {target} does not exist"
        if anchor and dest.suffix == ".md":
            assert anchor in anchors(dest), f"{path.name}: no heading for {target}"


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_nothing_points_outside_the_repository(path):
    text = path.read_text()
    for outside in ("/work/", "shared/DESIGN.md", "other engineers"):
        assert outside not in text, f"{path.name} mentions {outside}"


# A comment or docstring sending the reader to a part of a document: docs/<name>.md, "<title>"
# (the title may wrap onto the next comment line).
SECTION_REFERENCE = re.compile(r'(docs/[a-z_]+\.md),\s+(?:see\s+)?"([^"]+)"')


def code_files():
    return [path for folder in ("app", "worker", "bench") for path in sorted((ROOT / folder).rglob("*.py"))]


def test_every_section_the_code_names_exists():
    missing = []
    for path in code_files():
        text = re.sub(r"\n\s*#?\s*", " ", path.read_text())  # wrapped comments and docstrings as one line
        for document, title in SECTION_REFERENCE.findall(text):
            headings_and_paragraphs = (ROOT / document).read_text()
            if f"# {title}" not in headings_and_paragraphs and f"**{title}" not in headings_and_paragraphs:
                missing.append(f"{path.relative_to(ROOT)}: {document}, {title!r}")
    assert not missing, missing

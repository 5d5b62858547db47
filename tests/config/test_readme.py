import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _variables_read_by_settings() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text()
    return set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z_]+)"', source))


def test_the_readme_starts_with_the_two_commands():
    head = (ROOT / "README.md").read_text().splitlines()[:6]

    assert any(line.startswith("make run") for line in head)
    assert any(line.startswith("make test") for line in head)


def test_the_readme_documents_every_environment_variable():
    readme = (ROOT / "README.md").read_text()

    missing = {name for name in _variables_read_by_settings() if f"`{name}`" not in readme}

    assert missing == set()


def test_the_design_lives_in_the_repository():
    """A person who clones the repository has everything: nothing points outside it."""
    readme = (ROOT / "README.md").read_text()
    assert (ROOT / "docs" / "architecture.md").is_file()
    assert "(docs/architecture.md)" in readme
    outside = [
        path.relative_to(ROOT)
        for pattern in ("*.md", "*.py", "*.html", "Makefile", "*.toml", "*.yml")
        for path in ROOT.rglob(pattern)
        if ".venv" not in path.parts
        and path != Path(__file__)
        and "../shared" in path.read_text(errors="ignore")
    ]
    assert outside == []

from pathlib import Path

from domain.returns import TRANSITIONS, mermaid_diagram

DOC = Path(__file__).parents[2] / "docs" / "architecture.md"


def test_lifecycle_diagram_in_docs_matches_transitions_table():
    assert f"```mermaid\n{mermaid_diagram()}```" in DOC.read_text(encoding="utf-8")


def test_diagram_has_one_arrow_per_transition():
    arrows = [
        line for line in mermaid_diagram().splitlines() if "-->" in line and "[*]" not in line
    ]
    assert len(arrows) == len(TRANSITIONS) + 1  # and the all-refused inspection

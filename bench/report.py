"""The result table: rows with the goal beside each figure, the structural checks, and notes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Row:
    goal: str
    measure: str
    ours: str
    target: str
    verdict: str  # "met", "missed", or "reported" when there is nothing to judge yet
    naive: str = "—"
    ratio: str = "—"


@dataclass(frozen=True)
class Check:
    """A structural property of the call pattern: missing one fails the run."""

    name: str
    ok: bool
    detail: str = ""


@dataclass
class Report:
    title: str
    setup: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append(Check(name, bool(ok), detail))

    def markdown(self) -> str:
        out = [f"# {self.title}", ""]
        out += [f"- {line}" for line in self.setup]
        out += ["", "| # | measure | ours | naive | naive ÷ ours | goal | verdict |", "|---|---|---|---|---|---|---|"]
        out += [f"| {r.goal} | {r.measure} | {r.ours} | {r.naive} | {r.ratio} | {r.target} | {r.verdict} |" for r in self.rows]
        passed = sum(c.ok for c in self.checks)
        out += ["", f"## Structural checks ({passed}/{len(self.checks)} passed — a miss fails `make bench`)", ""]
        out += [f"- {'PASS' if c.ok else 'FAIL'} — {c.name}" + (f": {c.detail}" if c.detail else "") for c in self.checks]
        if self.notes:
            out += ["", "## Notes", ""] + [f"- {n}" for n in self.notes]
        return "\n".join(out) + "\n"


def ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"


def times_l(value_ms: float, latency: float) -> str:
    return f"{value_ms / (latency * 1000):.2f} L" if latency else "—"


def ratio(reference: float, ours: float) -> str:
    return f"{reference / ours:,.1f}×" if ours else "—"


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"

"""A show's rundown: its product segments, their lengths, scripted lines or generated pitches, promotions.

Rundowns come from TOML files (one per show, in ``[plugins.show_runner] shows_dir``) and from the API
(``POST /api/v1/shows``, stored in the ``shows`` table). Both are validated by the same strict model:
unknown keys, wrong types ("5" for a number) and impossible timings are errors naming the file, the field
and the reason, never silently fixed::

    name = "spring"
    room = "main"
    locale = "zh-CN"
    loop = true            # start again after the last segment
    idle_fill_s = 20       # say an idle filler after this much silence
    round_gap_s = 10       # quiet time after each full pitch, for viewers' questions
    sales_moment_units = 5      # "N sold in the last minute" once this many units sold in the window (0: never)
    sales_moment_window_s = 60
    sales_moment_gap_s = 180    # at most one such moment this often

    [[segments]]
    sku = "TEA-001"
    minutes = 5
    lines = ["这款高山乌龙茶……"]   # scripted lines (optional); else a pitch from the catalog
    variants = 3                   # generated pitch variants, rotated so it never repeats word for word
    promotion = { at_minute = 3, countdown_s = 60 }   # countdown to the catalog's promo price
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from hub.config import format_validation_error

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Promotion(Strict):
    """A countdown of ``countdown_s`` seconds to the promo price, starting ``at_minute`` into the segment."""

    at_minute: float = Field(ge=0)
    countdown_s: int = Field(ge=5, le=3600)


class Segment(Strict):
    """One product on stage for ``minutes``."""

    sku: str = Field(min_length=1)
    minutes: float = Field(gt=0, le=24 * 60)
    lines: list[str] = Field(default_factory=list, max_length=200)
    variants: int = Field(3, ge=1, le=20)
    promotion: Promotion | None = None

    @field_validator("lines")
    @classmethod
    def _lines(cls, lines: list[str]) -> list[str]:
        if any(not line.strip() for line in lines):
            raise ValueError("a scripted line cannot be empty")
        return lines

    @field_validator("promotion")
    @classmethod
    def _promotion_fits(cls, promo: Promotion | None, info: ValidationInfo) -> Promotion | None:
        minutes = info.data.get("minutes")
        if promo is None or minutes is None:
            return promo
        if promo.at_minute * 60 + promo.countdown_s > minutes * 60 + 1e-6:
            raise ValueError(f"a {promo.countdown_s} s countdown from minute {promo.at_minute:g} ends after "
                             f"the {minutes:g}-minute segment")
        return promo

    @property
    def seconds(self) -> float:
        return self.minutes * 60


class Rundown(Strict):
    """A show: segments in order, optionally looped."""

    name: str = Field(pattern=NAME_PATTERN)
    room: str | None = Field(None, min_length=1)
    locale: str | None = None
    loop: bool = False
    idle_fill_s: float = Field(20.0, ge=3, le=3600)
    round_gap_s: float = Field(10.0, ge=0, le=3600)
    sales_moment_units: int = Field(5, ge=0, le=1_000_000)
    sales_moment_window_s: float = Field(60.0, ge=10, le=3600)
    sales_moment_gap_s: float = Field(180.0, ge=0, le=86400)
    segments: list[Segment] = Field(min_length=1, max_length=500)

    @property
    def seconds(self) -> float:
        """One pass through every segment."""
        return sum(s.seconds for s in self.segments)

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


@dataclass(frozen=True, slots=True)
class ShowProblem:
    """Why a rundown is not valid: where (file or "api"), which field, and the reason."""

    source: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.field}: {self.reason}" if self.field else f"{self.source}: {self.reason}"

    def as_dict(self) -> dict[str, str]:
        return {"source": self.source, "field": self.field, "reason": self.reason}


class RundownError(ValueError):
    """A rundown that does not validate; ``problems`` lists each with its source, field and reason."""

    def __init__(self, problems: list[ShowProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def parse_rundown(data: Any, source: str = "api", *, default_name: str | None = None) -> Rundown:
    """Validate ``data`` (a TOML table or JSON object) as a rundown; raises :class:`RundownError`."""
    if not isinstance(data, dict):
        raise RundownError([ShowProblem(source, "", "a rundown must be a table/object")])
    if default_name is not None and "name" not in data:
        data = {**data, "name": default_name}
    try:
        return Rundown.model_validate(data)
    except ValidationError as exc:
        problems = []
        for line in format_validation_error(exc, ""):
            field, _, reason = line.partition(": ")
            problems.append(ShowProblem(source, field, reason.removeprefix("Value error, ")))
        raise RundownError(problems) from None


def load_rundown_file(path: Path) -> Rundown:
    """Read and validate one TOML rundown; its name defaults to the file's stem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RundownError([ShowProblem(str(path), "", f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise RundownError([ShowProblem(str(path), "", f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at line "
                                                       f"{line}")]) from None
    try:
        data = tomllib.loads(text)
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise RundownError([ShowProblem(str(path), "", "not valid TOML: nested too deeply")]) from None
    except ValueError as exc:  # TOMLDecodeError, or int() refusing an integer of more than 4300 digits
        raise RundownError([ShowProblem(str(path), "", f"not valid TOML: {exc}")]) from None
    return parse_rundown(data, str(path), default_name=path.stem)


def load_shows_dir(folder: Path) -> tuple[dict[str, tuple[Rundown, Path]], list[ShowProblem]]:
    """Every ``*.toml`` rundown in ``folder``: ``({name: (rundown, file)}, problems)``. Bad files and
    duplicate names are problems (the first file in name order keeps the name); the good files still
    load. A missing folder has no shows."""
    shows: dict[str, tuple[Rundown, Path]] = {}
    problems: list[ShowProblem] = []
    if not folder.is_dir():
        return shows, problems
    for path in sorted(folder.glob("*.toml")):
        try:
            rundown = load_rundown_file(path)
        except RundownError as exc:
            problems.extend(exc.problems)
            continue
        if rundown.name in shows:
            first = shows[rundown.name][1]
            problems.append(ShowProblem(str(path), "name", f"show {rundown.name!r} is already defined in "
                                                           f"{first}"))
            continue
        shows[rundown.name] = (rundown, path)
    return shows, problems

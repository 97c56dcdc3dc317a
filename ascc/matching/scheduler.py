"""Scheduling accepted business meetings into time slots and tables (or online rooms). Pure.

The model (the matching issue, point 6): a binary variable x[m, s] for each meeting m and each slot s
both people can make; each meeting at most once; each person in at most one meeting per slot; at most
the tables (in person) or rooms (online, hybrid) of each slot; maximise the summed priority weights.
Meetings already fixed (confirmed, locked) keep their slot and table and use up what they hold.

We solve the LP relaxation with HiGHS. When its optimum is integral it is the proven optimum of the
integer problem as well (the LP is a relaxation); otherwise we round the LP, and when the rounding
reaches the LP optimum (rounded down when all weights are whole numbers) it is proven optimal too; else
we run the integer programme with the time left and keep the better of its answer and the rounding. The
LP optimum is always reported as the upper bound, so every answer says how far from perfect it can at
most be. The model is built with numpy and leaves out the rows that cannot bind (see _Model._matrix). Without the solver a
greedy answers (`greedy`); `first_free_slot` is what peers do (each meeting in the order of acceptance,
the earliest common free slot with a table left), for comparison in bench/matching.

Table k of a slot goes to its k-th meeting (fixed meetings keep theirs); `check` verifies any schedule.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

IN_PERSON = "table"
ONLINE = "room"

# Why a meeting was left out, from the most to the least fundamental.
NO_COMMON_SLOT = "no_common_slot"  # the two are never free at the same time
NO_PLACE = "no_place"  # a slot suits both, but all its tables (rooms) went to other meetings
BUSY = "busy"  # in every common free slot one of the two is in a meeting that weighs more

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Slot:
    id: int
    tables: int  # places for in-person meetings
    rooms: int = 0  # places for online and hybrid meetings


@dataclass(frozen=True)
class Meeting:
    id: int
    people: tuple[int, int]
    weight: float
    slots: frozenset[int]  # slots both people can make (the caller derives them from availability)
    place: str = IN_PERSON  # IN_PERSON needs a table, ONLINE a room
    fixed: tuple[int, int] | None = None  # (slot, place number from 1) of a confirmed or locked meeting


@dataclass
class Schedule:
    placed: dict[int, tuple[int, int]]  # meeting -> (slot, place number from 1)
    left_out: dict[int, str]  # meeting -> reason
    weight: float
    bound: float  # no schedule can reach more weight than this
    proven_optimal: bool
    method: str  # "lp" (integral LP optimum), "mip", "lp+mip", "greedy"
    seconds: float = 0.0
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def quality(self) -> float:
        return 1.0 if self.bound <= 0 else self.weight / self.bound


def capacity(meetings: list[Meeting], slots: list[Slot]) -> dict[str, int]:
    """The capacity picture shown before solving.

    `needed_places` is what the meetings need per slot if they spread perfectly over every slot
    ("5,000 meetings need at least 209 tables in 24 slots"); `busiest` is the most meetings one person
    has, and no schedule can use fewer slots than that.
    """
    per_person: dict[int, int] = defaultdict(int)
    for m in meetings:
        for p in m.people:
            per_person[p] += 1
    in_person = sum(1 for m in meetings if m.place == IN_PERSON)
    online = len(meetings) - in_person
    count = max(len(slots), 1)
    return {
        "meetings": len(meetings),
        "in_person": in_person,
        "online": online,
        "slots": len(slots),
        "tables": sum(s.tables for s in slots),
        "rooms": sum(s.rooms for s in slots),
        "needed_tables": math.ceil(in_person / count),
        "needed_rooms": math.ceil(online / count),
        "max_tables": max((s.tables for s in slots), default=0),
        "max_rooms": max((s.rooms for s in slots), default=0),
        "busiest": max(per_person.values(), default=0),
        "busiest_person": max(per_person, key=lambda p: per_person[p], default=0),
    }


class _Board:
    """Who is busy when and how many places each slot has left, while a schedule is being built."""

    def __init__(self, slots: list[Slot]) -> None:
        self.left = {(s.id, IN_PERSON): s.tables for s in slots}
        self.left.update({(s.id, ONLINE): s.rooms for s in slots})
        self.busy: set[tuple[int, int]] = set()  # (person, slot)

    def fits(self, m: Meeting, slot: int) -> bool:
        a, b = m.people
        return (
            self.left.get((slot, m.place), 0) > 0
            and (a, slot) not in self.busy
            and (b, slot) not in self.busy
        )

    def take(self, m: Meeting, slot: int) -> None:
        self.left[(slot, m.place)] = self.left.get((slot, m.place), 0) - 1
        self.busy.add((m.people[0], slot))
        self.busy.add((m.people[1], slot))


def _start(meetings: list[Meeting], slots: list[Slot]) -> tuple[_Board, dict[int, int], list[Meeting]]:
    """Place the fixed meetings; return the board, their slots and the meetings still open."""
    board = _Board(slots)
    chosen: dict[int, int] = {}
    open_meetings: list[Meeting] = []
    for m in meetings:
        if m.fixed is not None:
            board.take(m, m.fixed[0])
            chosen[m.id] = m.fixed[0]
        else:
            open_meetings.append(m)
    return board, chosen, open_meetings


def _finish(
    meetings: list[Meeting],
    slots: list[Slot],
    chosen: dict[int, int],
    bound: float,
    proven: bool,
    method: str,
    started: float,
) -> Schedule:
    """Number the places of each slot and name why each left-out meeting is out."""
    placed: dict[int, tuple[int, int]] = {}
    used: dict[tuple[int, str], set[int]] = defaultdict(set)
    for m in meetings:
        if m.fixed is not None:
            placed[m.id] = m.fixed
            used[(m.fixed[0], m.place)].add(m.fixed[1])
    for m in sorted((m for m in meetings if m.fixed is None and m.id in chosen), key=lambda m: m.id):
        slot = chosen[m.id]
        taken = used[(slot, m.place)]
        number = 1
        while number in taken:
            number += 1
        taken.add(number)
        placed[m.id] = (slot, number)
    board = _Board(slots)
    by_id = {m.id: m for m in meetings}
    for meeting_id, (slot, _) in placed.items():
        board.take(by_id[meeting_id], slot)
    left_out = {m.id: _reason(m, board) for m in meetings if m.id not in placed}
    weight = sum(by_id[i].weight for i in placed)
    if not left_out:
        proven = True  # everything placed: nothing can weigh more
    return Schedule(
        placed=placed,
        left_out=left_out,
        weight=weight,
        bound=max(bound, weight),
        proven_optimal=proven,
        method=method,
        seconds=time.perf_counter() - started,
    )


def _reason(m: Meeting, board: _Board) -> str:
    if not m.slots:
        return NO_COMMON_SLOT
    a, b = m.people
    free = [s for s in m.slots if (a, s) not in board.busy and (b, s) not in board.busy]
    return NO_PLACE if free else BUSY


def _order(meetings: Iterable[Meeting]) -> list[Meeting]:
    # Heaviest first; among equals, the one with the fewest possible slots, so it is not crowded out.
    return sorted(meetings, key=lambda m: (-m.weight, len(m.slots), m.id))


def greedy(meetings: list[Meeting], slots: list[Slot], started: float | None = None) -> Schedule:
    """Without a solver: heaviest and least flexible meetings first, each in its first slot that fits."""
    started = time.perf_counter() if started is None else started
    board, chosen, open_meetings = _start(meetings, slots)
    order = {s.id: i for i, s in enumerate(slots)}
    for m in _order(open_meetings):
        for slot in sorted(m.slots, key=order.__getitem__):
            if board.fits(m, slot):
                board.take(m, slot)
                chosen[m.id] = slot
                break
    bound = sum(m.weight for m in meetings)
    return _finish(meetings, slots, chosen, bound, bound == 0, "greedy", started)


def first_free_slot(meetings: list[Meeting], slots: list[Slot]) -> Schedule:
    """What peers do: meetings in order of acceptance, each in the earliest common free slot with a place."""
    started = time.perf_counter()
    board, chosen, open_meetings = _start(meetings, slots)
    order = {s.id: i for i, s in enumerate(slots)}
    for m in open_meetings:
        for slot in sorted(m.slots, key=order.__getitem__):
            if board.fits(m, slot):
                board.take(m, slot)
                chosen[m.id] = slot
                break
    return _finish(meetings, slots, chosen, sum(m.weight for m in meetings), False, "first-free", started)


def schedule(
    meetings: list[Meeting],
    slots: list[Slot],
    time_limit: float = 60.0,
    progress: Progress | None = None,
) -> Schedule:
    """The best schedule: maximal total weight, proven when the solver can prove it (see the module)."""
    started = time.perf_counter()
    report = progress or (lambda fraction, stage: None)
    try:
        import highspy  # noqa: F401  (imported here: only this function needs the solver)
    except ImportError:  # pragma: no cover - the fallback is tested through greedy()
        return greedy(meetings, slots, started)
    _check_input(meetings, slots)
    board, chosen, open_meetings = _start(meetings, slots)
    fixed_weight = sum(m.weight for m in meetings if m.fixed is not None)
    columns = [(m, s) for m in open_meetings for s in sorted(m.slots) if board.fits(m, s)]
    if not columns:
        return _finish(meetings, slots, chosen, fixed_weight, True, "lp", started)
    report(0.1, "model")
    lp = _Model(columns, board)
    values, bound = lp.solve(integer=False, time_limit=max(time_limit - 1, 1.0))
    report(0.5, "relaxation")
    if values is None:  # the LP did not finish in time
        result = greedy(meetings, slots, started)
        return result
    if all(v < 1e-6 or v > 1 - 1e-6 for v in values):
        for (m, s), v in zip(columns, values, strict=True):
            if v > 0.5:
                chosen[m.id] = s
        report(1.0, "done")
        return _finish(meetings, slots, chosen, fixed_weight + bound, True, "lp", started)
    # Fractional: round the LP (most-wanted placements first), then let the integer programme improve it.
    rounded = dict(chosen)
    _round(columns, values, board, rounded, open_meetings)
    rounded_weight = sum(m.weight for m in meetings if m.id in rounded)
    if all(float(m.weight).is_integer() for m in meetings):
        bound = math.floor(bound + 1e-6)  # whole weights: no schedule weighs a fraction more
    # The rounding reaches the bound: proven optimal without the integer programme.
    if rounded_weight >= fixed_weight + bound - 1e-6:
        report(1.0, "done")
        return _finish(meetings, slots, rounded, fixed_weight + bound, True, "lp+round", started)
    report(0.6, "integer")
    left = time_limit - (time.perf_counter() - started)
    best, method, proven = rounded, "lp+round", False
    if left > 0.5:
        mip = _Model(columns, board)
        mip_values, mip_bound = mip.solve(integer=True, time_limit=left, start=rounded)
        if mip_values is not None:
            mip_chosen = dict(chosen)
            for (m, s), v in zip(columns, mip_values, strict=True):
                if v > 0.5:
                    mip_chosen[m.id] = s
            mip_weight = sum(m.weight for m in meetings if m.id in mip_chosen)
            if mip_weight >= rounded_weight:
                best, method = mip_chosen, "mip"
            proven = mip.proven and mip_weight >= fixed_weight + mip_bound - 1e-6
            bound = min(bound, mip_bound)
    report(1.0, "done")
    return _finish(meetings, slots, best, fixed_weight + bound, proven, method, started)


def _check_input(meetings: list[Meeting], slots: list[Slot]) -> None:
    ids = [m.id for m in meetings]
    if len(set(ids)) != len(ids):
        raise ValueError("meeting ids repeat")
    known = {s.id for s in slots}
    for m in meetings:
        if m.people[0] == m.people[1]:
            raise ValueError(f"meeting {m.id} has the same person twice")
        if not m.slots <= known:
            raise ValueError(f"meeting {m.id} names an unknown slot")


def _round(
    columns: list[tuple[Meeting, int]],
    values: list[float],
    start: _Board,
    chosen: dict[int, int],
    open_meetings: list[Meeting],
) -> None:
    board = _Board([])
    board.left = dict(start.left)
    board.busy = set(start.busy)
    for index in sorted(range(len(columns)), key=lambda i: (-values[i], -columns[i][0].weight)):
        m, s = columns[index]
        if values[index] < 1e-6:
            break
        if m.id not in chosen and board.fits(m, s):
            board.take(m, s)
            chosen[m.id] = s
    for m in _order(open_meetings):  # then whatever still fits anywhere
        if m.id in chosen:
            continue
        for s in sorted(m.slots):
            if board.fits(m, s):
                board.take(m, s)
                chosen[m.id] = s
                break


class _Model:
    """The LP (or integer programme) over the given (meeting, slot) columns, built in one pass for HiGHS."""

    def __init__(self, columns: list[tuple[Meeting, int]], board: _Board) -> None:
        self.columns = columns
        self.board = board
        self.proven = False

    def _matrix(self, np: Any) -> tuple[Any, Any, Any]:
        """The constraint matrix by columns, built with numpy, without the rows that cannot bind.

        Rows: one per meeting (at most once), per person and slot (one meeting at a time), per slot and
        kind of place (tables or rooms left). Every coefficient is 1 and every column at most 1, so a row
        with no more entries than its limit always holds and is left out (an optimal answer is the same).
        """
        n = len(self.columns)
        slot_ids = sorted({s for _, s in self.columns})
        slot_of = {s: i for i, s in enumerate(slot_ids)}
        meeting = np.fromiter((m.id for m, _ in self.columns), dtype=np.int64, count=n)
        slot = np.fromiter((slot_of[s] for _, s in self.columns), dtype=np.int64, count=n)
        first = np.fromiter((m.people[0] for m, _ in self.columns), dtype=np.int64, count=n)
        second = np.fromiter((m.people[1] for m, _ in self.columns), dtype=np.int64, count=n)
        online = np.fromiter((m.place != IN_PERSON for m, _ in self.columns), dtype=np.int64, count=n)
        places = np.array(
            [[self.board.left.get((s, kind), 0) for kind in (IN_PERSON, ONLINE)] for s in slot_ids],
            dtype=np.double,
        ).reshape(-1)
        meeting_ids, meeting_row = np.unique(meeting, return_inverse=True)
        meeting_count = meeting_ids.size
        people, person = np.unique(np.concatenate((first, second)), return_inverse=True)
        per_person = meeting_count + person * len(slot_ids) + np.concatenate((slot, slot))
        per_place = meeting_count + people.size * len(slot_ids) + slot * 2 + online
        # Rows by number: the meetings', then each person's in each slot, then each slot's two kinds of place.
        limit = np.concatenate((np.ones(meeting_count + people.size * len(slot_ids)), places))
        key = np.stack((meeting_row, per_person[:n], per_person[n:], per_place), axis=1).reshape(-1)
        count = np.bincount(key, minlength=len(limit))
        binding = count > limit
        row = np.cumsum(binding) - 1  # the new number of each row kept
        keep = binding[key]
        kept_per_column = keep.reshape(n, 4).sum(axis=1)
        starts = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(kept_per_column, out=starts[1:])
        return starts, row[key[keep]].astype(np.int32), limit[binding]

    def solve(
        self, integer: bool, time_limit: float, start: dict[int, int] | None = None
    ) -> tuple[list[float] | None, float]:
        import highspy
        import numpy as np

        n = len(self.columns)
        starts, indices, upper = self._matrix(np)
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = len(upper)
        lp.col_cost_ = np.array([m.weight for m, _ in self.columns], dtype=np.double)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.ones(n)
        lp.row_lower_ = np.zeros(len(upper))
        lp.row_upper_ = upper
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = starts
        lp.a_matrix_.index_ = indices
        lp.a_matrix_.value_ = np.ones(len(indices))
        if integer:
            lp.integrality_ = [highspy.HighsVarType.kInteger] * n
        h = highspy.Highs()
        h.silent()
        h.setOptionValue("time_limit", float(time_limit))
        h.setOptionValue("threads", 1)
        if not integer:
            # Without the rows that cannot bind, HiGHS's presolve of the LP costs more than it saves:
            # 0.8 s instead of 1.5 s of CPU for bench/matching's tight case (issue #26).
            h.setOptionValue("presolve", "off")
        h.passModel(lp)
        if integer and start is not None:
            solution = highspy.HighsSolution()
            solution.col_value = [1.0 if start.get(m.id) == s else 0.0 for m, s in self.columns]
            h.setSolution(solution)
        h.run()
        status = h.getModelStatus()
        info = h.getInfo()
        if integer:
            self.proven = status == highspy.HighsModelStatus.kOptimal
            if info.primal_solution_status == 0:  # no feasible solution
                return None, float("inf")
            return list(h.getSolution().col_value), float(info.mip_dual_bound)
        if status != highspy.HighsModelStatus.kOptimal:
            return None, float("inf")
        return list(h.getSolution().col_value), float(info.objective_function_value)


def check(meetings: list[Meeting], slots: list[Slot], result: Schedule) -> list[str]:
    """Every rule a schedule must keep; an empty list means it keeps them all."""
    problems: list[str] = []
    by_id = {m.id: m for m in meetings}
    by_slot = {s.id: s for s in slots}
    seen_people: set[tuple[int, int]] = set()
    seen_places: set[tuple[int, str, int]] = set()
    for meeting_id, (slot, number) in result.placed.items():
        m = by_id.get(meeting_id)
        if m is None:
            problems.append(f"meeting {meeting_id} is not one of the meetings")
            continue
        if m.fixed is not None and m.fixed != (slot, number):
            problems.append(f"meeting {m.id} was fixed at {m.fixed} but moved to {(slot, number)}")
        if m.fixed is None and slot not in m.slots:
            problems.append(f"meeting {m.id} is in slot {slot}, which one of its people cannot make")
        places = by_slot[slot].tables if m.place == IN_PERSON else by_slot[slot].rooms
        if m.fixed is None and not 1 <= number <= places:
            problems.append(f"meeting {m.id} has place {number} of {places} in slot {slot}")
        if (slot, m.place, number) in seen_places:
            problems.append(f"place {number} of slot {slot} holds two meetings")
        seen_places.add((slot, m.place, number))
        for person in m.people:
            if (person, slot) in seen_people:
                problems.append(f"person {person} has two meetings in slot {slot}")
            seen_people.add((person, slot))
    for m in meetings:
        if m.fixed is not None and m.id not in result.placed:
            problems.append(f"fixed meeting {m.id} was dropped")
        if m.id not in result.placed and m.id not in result.left_out:
            problems.append(f"meeting {m.id} is neither placed nor left out")
    weight = sum(by_id[i].weight for i in result.placed if i in by_id)
    if abs(weight - result.weight) > 1e-6:
        problems.append(f"weight {result.weight} is not the sum of the placed meetings ({weight})")
    if result.weight > result.bound + 1e-6:
        problems.append(f"weight {result.weight} is above the bound {result.bound}")
    return problems

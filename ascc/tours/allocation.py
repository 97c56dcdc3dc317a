"""Allocating a preference ballot: rank-weighted, seat- and cap-respecting, delegations kept together. Pure.

People rank the courses of a tour. We solve one small integer programme (HiGHS) that
- gives each person at most one course, never more people than seats, at most `city_cap` people of one
  city in a course, and with `keep_groups` places a delegation as one unit (a delegation that fits
  nowhere whole is then placed member by member in the seats left);
- maximizes the sum of rank weights: a first choice is worth about four second choices, and every
  placement is worth something, so no seat stays empty while someone who ranked it is left out
  (unless the city cap forbids it);
- breaks ties by a lottery drawn from the published seed: anyone can re-run it and get the same result.

Plain first come, first served (each person in arrival order takes their best course with a free seat)
is `first_come_first_served`, for comparison in bench/tours_allocation.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field

MAX_RANK = 8


@dataclass(frozen=True)
class Applicant:
    id: int
    ranking: tuple[int, ...]  # course ids, most wanted first
    city: str | None = None
    group: str | None = None  # delegation key


@dataclass
class Result:
    assigned: dict[int, int | None]  # applicant -> course (None: left out)
    lottery: list[int]  # applicant ids in lottery order (the tie-break)
    seed: str
    optimal: bool = True
    stats: dict[str, float] = field(default_factory=dict)


def weight(rank: int) -> int:
    """Worth of giving someone their `rank`-th choice (1 = first)."""
    return 100 + 4 ** (MAX_RANK - min(rank, MAX_RANK))


def lottery(applicants: list[Applicant], seed: str) -> list[int]:
    order = sorted(a.id for a in applicants)
    random.Random(int(hashlib.sha256(seed.encode()).hexdigest(), 16)).shuffle(order)
    return order


def allocate(
    applicants: list[Applicant],
    seats: dict[int, int],
    seed: str,
    city_cap: int | None = None,
    keep_groups: bool = True,
) -> Result:
    """Delegations first as whole units; members of a delegation that fits nowhere whole are then placed alone."""
    order = lottery(applicants, seed)
    position = {applicant_id: n for n, applicant_id in enumerate(order)}
    groups: dict[str, list[Applicant]] = defaultdict(list)
    for a in applicants:
        if keep_groups and a.group:
            groups[a.group].append(a)
    units = [[a] for a in applicants if not (keep_groups and a.group and len(groups[a.group]) > 1)]
    units += [members for members in groups.values() if len(members) > 1]
    assigned, optimal = _solve(units, dict(seats), city_cap, position, {})
    alone = [
        [m] for members in groups.values() if len(members) > 1 for m in members if assigned.get(m.id) is None
    ]
    if alone:
        left, used = _remaining(applicants, seats, assigned)
        more, optimal_too = _solve(alone, left, city_cap, position, used)
        assigned.update({k: v for k, v in more.items() if v is not None})
        optimal = optimal and optimal_too
    final = {a.id: assigned.get(a.id) for a in applicants}
    result = Result(final, order, seed, optimal=optimal)
    result.stats = summary(applicants, final)
    return result


def _remaining(
    applicants: list[Applicant], seats: dict[int, int], assigned: dict[int, int | None]
) -> tuple[dict[int, int], dict[tuple[str, int], int]]:
    left = dict(seats)
    used: dict[tuple[str, int], int] = defaultdict(int)
    for a in applicants:
        course = assigned.get(a.id)
        if course is not None:
            left[course] -= 1
            if a.city:
                used[(a.city, course)] += 1
    return left, used


def _solve(
    units: list[list[Applicant]],
    seats: dict[int, int],
    city_cap: int | None,
    position: dict[int, int],
    cap_used: dict[tuple[str, int], int],
) -> tuple[dict[int, int | None], bool]:
    """One integer programme: each unit (a person or a whole delegation) gets at most one course."""
    import highspy  # imported here: only the allocation needs the solver

    count = max(len(position), 1)
    columns: list[tuple[int, int]] = []  # (unit index, course)
    costs: list[float] = []
    by_unit: dict[int, list[int]] = defaultdict(list)
    by_course: dict[int, list[tuple[int, int]]] = defaultdict(list)
    by_city_course: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for index, members in enumerate(units):
        ranked = [c for c in dict.fromkeys(c for m in members for c in m.ranking[:MAX_RANK]) if c in seats]
        for course in ranked:
            value = 0.0
            for m in members:
                if course in m.ranking[:MAX_RANK]:
                    value += weight(m.ranking.index(course) + 1)
                # Earlier in the lottery: a hair more worth, so equal claims are settled by the published draw.
                value += (count - position[m.id]) / (count * 1000)
            column = len(columns)
            columns.append((index, course))
            costs.append(value)
            by_unit[index].append(column)
            by_course[course].append((column, len(members)))
            cities: dict[str, int] = defaultdict(int)
            for m in members:
                if m.city:
                    cities[m.city] += 1
            for city, people in cities.items():
                by_city_course[(city, course)].append((column, people))
    assigned: dict[int, int | None] = {m.id: None for members in units for m in members}
    if not columns:
        return assigned, True
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", 60.0)
    # HiGHS sizes one thread pool per process at its first run and refuses other sizes afterwards: the
    # matching scheduler asks for 1, so this must too (else a scheduler run after an allocation, in the same
    # worker, failed and fell back to the greedy answer).
    h.setOptionValue("threads", 1)
    for value in costs:
        h.addCol(value, 0.0, 1.0, 0, [], [])
    h.changeColsIntegrality(
        len(columns),
        list(range(len(columns))),
        # highspy's stub asks for a uint8 ndarray; the binding converts this list of HighsVarType as well
        [highspy.HighsVarType.kInteger] * len(columns),  # type: ignore[arg-type]
    )
    for cols in by_unit.values():
        h.addRow(0.0, 1.0, len(cols), cols, [1.0] * len(cols))
    for course, entries in by_course.items():
        h.addRow(
            0.0,
            float(max(seats[course], 0)),
            len(entries),
            [c for c, _ in entries],
            [float(n) for _, n in entries],
        )
    if city_cap is not None:
        for key, entries in by_city_course.items():
            room = city_cap - cap_used.get(key, 0)
            if sum(n for _, n in entries) > room:
                h.addRow(
                    0.0,
                    float(max(room, 0)),
                    len(entries),
                    [c for c, _ in entries],
                    [float(n) for _, n in entries],
                )
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.run()
    values = h.getSolution().col_value
    for column, (index, course) in enumerate(columns):
        if values[column] > 0.5:
            for m in units[index]:
                assigned[m.id] = course
    return assigned, h.getModelStatus() == highspy.HighsModelStatus.kOptimal


def first_come_first_served(applicants: list[Applicant], seats: dict[int, int], seed: str) -> Result:
    """People arrive in lottery order; each takes their best-ranked course that still has a seat."""
    order = lottery(applicants, seed)
    by_id = {a.id: a for a in applicants}
    left = dict(seats)
    assigned: dict[int, int | None] = {}
    for applicant_id in order:
        choice = next((c for c in by_id[applicant_id].ranking if left.get(c, 0) > 0), None)
        if choice is not None:
            left[choice] -= 1
        assigned[applicant_id] = choice
    result = Result(assigned, order, seed)
    result.stats = summary(applicants, assigned)
    return result


def summary(applicants: list[Applicant], assigned: dict[int, int | None]) -> dict[str, float]:
    total = max(len(applicants), 1)
    first = sum(1 for a in applicants if a.ranking and assigned.get(a.id) == a.ranking[0])
    placed = sum(1 for a in applicants if assigned.get(a.id) is not None)
    return {
        "people": len(applicants),
        "first_choice": first / total,
        "any_choice": placed / total,
        "none": 1 - placed / total,
    }


def empty_seats_with_someone_left_out(
    applicants: list[Applicant], seats: dict[int, int], assigned: dict[int, int | None]
) -> int:
    """Seats left empty in a course that a left-out person ranked (what the allocation must never do)."""
    taken: dict[int, int] = defaultdict(int)
    for course in assigned.values():
        if course is not None:
            taken[course] += 1
    wanted = {c for a in applicants if assigned.get(a.id) is None for c in a.ranking}
    return sum(seats[c] - taken[c] for c in wanted if c in seats and taken[c] < seats[c])

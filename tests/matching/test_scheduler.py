"""The meeting scheduler: always valid, optimal against brute force, fixed meetings kept, reasons named."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from ascc.matching.scheduler import (
    BUSY,
    IN_PERSON,
    NO_COMMON_SLOT,
    NO_PLACE,
    ONLINE,
    Meeting,
    Slot,
    capacity,
    check,
    first_free_slot,
    greedy,
    schedule,
)


def _brute_force(meetings: list[Meeting], slots: list[Slot]) -> float:
    """The best total weight by trying every assignment (tiny instances only)."""
    best = 0.0
    options = [
        [m.fixed[0]] if m.fixed else [None, *sorted(m.slots)]  # a fixed meeting stays where it is
        for m in meetings
    ]
    places = {(s.id, IN_PERSON): s.tables for s in slots} | {(s.id, ONLINE): s.rooms for s in slots}
    for choice in itertools.product(*options):
        used: dict[tuple[int, str], int] = {}
        busy: set[tuple[int, int]] = set()
        ok = True
        for m, slot in zip(meetings, choice, strict=True):
            if slot is None:
                continue
            key = (slot, m.place)
            used[key] = used.get(key, 0) + 1
            for p in m.people:
                ok = ok and (p, slot) not in busy
                busy.add((p, slot))
            ok = ok and used[key] <= places[key]
            if not ok:
                break
        if ok:
            best = max(best, sum(m.weight for m, s in zip(meetings, choice, strict=True) if s is not None))
    return best


@st.composite
def small_instances(draw: st.DrawFn) -> tuple[list[Meeting], list[Slot]]:
    slot_count = draw(st.integers(1, 3))
    slots = [Slot(s, draw(st.integers(0, 2)), draw(st.integers(0, 1))) for s in range(slot_count)]
    people = draw(st.integers(2, 5))
    meetings: list[Meeting] = []
    busy: set[tuple[int, int]] = set()
    used: dict[tuple[int, str], set[int]] = {}
    for index in range(draw(st.integers(0, 6))):
        a, b = draw(st.lists(st.integers(0, people - 1), min_size=2, max_size=2, unique=True))
        allowed = frozenset(draw(st.sets(st.sampled_from(range(slot_count)))))
        place = draw(st.sampled_from((IN_PERSON, IN_PERSON, ONLINE)))
        weight = float(draw(st.sampled_from((1, 3))))
        fixed = None
        if allowed and draw(st.integers(0, 4)) == 0:  # now and then a locked meeting, placed validly
            slot = min(allowed)
            taken = used.setdefault((slot, place), set())
            limit = slots[slot].tables if place == IN_PERSON else slots[slot].rooms
            if (a, slot) not in busy and (b, slot) not in busy and len(taken) < limit:
                fixed = (slot, len(taken) + 1)
                taken.add(len(taken) + 1)
                busy |= {(a, slot), (b, slot)}
        meetings.append(Meeting(index + 1, (a, b), weight, allowed, place, fixed))
    return meetings, slots


@settings(max_examples=150, deadline=None)
@given(small_instances())
def test_schedule_is_valid_and_as_good_as_brute_force(instance: tuple[list[Meeting], list[Slot]]) -> None:
    meetings, slots = instance
    result = schedule(meetings, slots, time_limit=10)
    assert check(meetings, slots, result) == []
    best = _brute_force(meetings, slots)
    assert result.weight == best
    assert result.proven_optimal
    assert result.bound >= best - 1e-6
    for fallback in (greedy(meetings, slots), first_free_slot(meetings, slots)):
        assert check(meetings, slots, fallback) == []
        assert fallback.weight <= best


def test_odd_cycle_where_the_relaxation_is_fractional_is_still_solved_exactly() -> None:
    # Three people who all want to meet each other, one slot: the LP takes half of each meeting (1.5);
    # only one meeting can happen, and the integer programme proves it.
    slots = [Slot(1, tables=3)]
    meetings = [
        Meeting(1, (1, 2), 1.0, frozenset({1})),
        Meeting(2, (2, 3), 1.0, frozenset({1})),
        Meeting(3, (1, 3), 1.0, frozenset({1})),
    ]
    result = schedule(meetings, slots)
    assert check(meetings, slots, result) == []
    assert len(result.placed) == 1 and result.weight == 1.0
    assert result.proven_optimal and result.bound == 1.0
    assert set(result.left_out.values()) == {BUSY}


def test_must_meet_wins_over_two_nice_to_meet_ones_and_tables_are_numbered_per_slot() -> None:
    slots = [Slot(10, tables=2), Slot(11, tables=2)]
    meetings = [
        Meeting(1, (1, 2), 3.0, frozenset({10})),  # must meet
        Meeting(2, (1, 3), 1.0, frozenset({10})),
        Meeting(3, (4, 5), 1.0, frozenset({10, 11})),
        Meeting(4, (6, 7), 1.0, frozenset({10, 11})),
        Meeting(5, (8, 9), 1.0, frozenset({10})),
    ]
    result = schedule(meetings, slots)
    assert check(meetings, slots, result) == []
    assert result.placed[1][0] == 10
    assert 2 in result.left_out
    assert {number for slot, number in result.placed.values() if slot == 10} == {1, 2}
    assert len(result.placed) == 4 and result.proven_optimal


def test_fixed_meetings_keep_slot_and_table_and_hold_their_people() -> None:
    slots = [Slot(1, tables=2), Slot(2, tables=1)]
    meetings = [
        Meeting(1, (1, 2), 1.0, frozenset({1, 2}), fixed=(1, 2)),  # locked on table 2 of slot 1
        Meeting(2, (1, 3), 3.0, frozenset({1})),  # person 1 is already in meeting 1 then
        Meeting(3, (4, 5), 1.0, frozenset({1})),
    ]
    result = schedule(meetings, slots)
    assert check(meetings, slots, result) == []
    assert result.placed[1] == (1, 2)
    assert result.placed[3] == (1, 1)  # the free table of that slot
    assert result.left_out == {2: BUSY}


def test_reasons_for_meetings_left_out() -> None:
    slots = [Slot(1, tables=1, rooms=0)]
    meetings = [
        Meeting(1, (1, 2), 1.0, frozenset()),  # never free together
        Meeting(2, (3, 4), 1.0, frozenset({1})),
        Meeting(3, (5, 6), 1.0, frozenset({1})),  # the one table went to meeting 2
        Meeting(4, (7, 8), 1.0, frozenset({1}), place=ONLINE),  # no online room at all
    ]
    result = schedule(meetings, slots)
    assert check(meetings, slots, result) == []
    assert result.left_out[1] == NO_COMMON_SLOT
    assert {result.left_out.get(2), result.left_out.get(3)} == {None, NO_PLACE}
    assert result.left_out[4] == NO_PLACE


def test_capacity_picture_names_the_tables_needed_and_the_busiest_person() -> None:
    slots = [Slot(s, tables=200) for s in range(24)]
    meetings = [Meeting(i, (i % 50, 1000 + i), 1.0, frozenset({0})) for i in range(5000)]
    picture = capacity(meetings, slots)
    assert picture["needed_tables"] == 209  # 5,000 meetings in 24 slots
    assert picture["busiest"] == 100
    assert picture["tables"] == 4800


def test_checker_catches_every_broken_rule() -> None:
    slots = [Slot(1, tables=1)]
    meetings = [Meeting(1, (1, 2), 1.0, frozenset({1})), Meeting(2, (1, 3), 1.0, frozenset({1}))]
    result = schedule(meetings, slots)
    result.placed = {1: (1, 1), 2: (1, 1)}
    result.left_out = {}
    result.weight = 2.0
    problems = " ".join(check(meetings, slots, result))
    assert "two meetings in slot 1" in problems and "holds two meetings" in problems
    assert "above the bound" in problems


def test_larger_random_instance_is_proven_optimal_and_beats_first_free_slot() -> None:
    rng = random.Random(7)
    slots = [Slot(s, tables=8) for s in range(8)]
    free = {p: frozenset(s for s in range(8) if rng.random() < 0.8) for p in range(120)}
    meetings = []
    for index in range(300):
        a, b = rng.randrange(40), rng.randrange(40, 120)
        meetings.append(Meeting(index, (a, b), rng.choice((1.0, 3.0)), free[a] & free[b]))
    meetings = list({m.people: m for m in meetings}.values())
    best = schedule(meetings, slots)
    naive = first_free_slot(meetings, slots)
    assert check(meetings, slots, best) == [] and check(meetings, slots, naive) == []
    assert best.proven_optimal and best.weight >= naive.weight
    assert best.quality == 1.0


def test_a_tour_allocation_run_first_in_the_same_worker_leaves_the_scheduler_its_proof() -> None:
    """HiGHS sizes one thread pool per process: the tours' allocation and the scheduler must ask for the same
    size, or the scheduler, run after an allocation in one worker, fails and falls back to the greedy answer.
    A fresh process, since this test process may have run either already."""
    import subprocess
    import sys

    program = (
        "from ascc.tours.allocation import Applicant, allocate\n"
        "from ascc.matching.scheduler import Meeting, Slot, schedule\n"
        "allocate([Applicant(1, (10,), 'Cebu', None)], {10: 1}, 'seed', city_cap=None, keep_groups=False)\n"
        "result = schedule([Meeting(1, (1, 2), 1.0, frozenset({1})), Meeting(2, (2, 3), 1.0, frozenset({1})),"
        " Meeting(3, (1, 3), 1.0, frozenset({1}))], [Slot(1, tables=3)])\n"
        "print(result.method, result.proven_optimal)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.splitlines()[-1].split()[-1] == "True"  # proven optimal (HiGHS prints a banner before)

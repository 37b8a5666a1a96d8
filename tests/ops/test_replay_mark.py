"""The replay mark kept in the vfp-dlq-replay group's commits (pure logic)."""

from vfp_ops.dead_letters import ReplayMark, dlq_topic_name, original_topic_of


def test_a_contiguous_replay_moves_the_mark() -> None:
    mark = ReplayMark(next_offset=3)
    mark.add(3)
    assert (mark.next_offset, mark.also) == (4, set())


def test_a_replay_above_the_mark_is_remembered_until_the_gap_closes() -> None:
    mark = ReplayMark(next_offset=0)
    mark.add(2)
    assert mark.replayed(2) and not mark.replayed(1) and mark.next_offset == 0
    assert mark.pending_between(0, 4) == 3
    mark.add(0)
    mark.add(1)
    assert (mark.next_offset, mark.also) == (3, set())


def test_the_mark_survives_a_round_trip_through_commit_metadata() -> None:
    mark = ReplayMark(next_offset=5, also={9, 7})
    again = ReplayMark.from_commit(mark.next_offset, mark.metadata())
    assert again == mark
    assert ReplayMark.from_commit(-1, "") == ReplayMark(0, set())


def test_advancing_forgets_what_lies_below() -> None:
    mark = ReplayMark(next_offset=1, also={4, 12})
    mark.advance_to(10)
    assert (mark.next_offset, mark.also) == (10, {12})


def test_pending_counts_only_offsets_still_in_the_topic() -> None:
    mark = ReplayMark(next_offset=2, also={5})
    assert mark.pending_between(beginning=4, end=8) == 3  # 4, 6, 7


def test_metadata_stays_under_kafkas_limit() -> None:
    mark = ReplayMark(next_offset=0, also=set(range(10, 5000, 2)))
    assert len(mark.metadata()) <= 3500
    assert ReplayMark.from_commit(0, mark.metadata()).also <= mark.also


def test_topic_names() -> None:
    assert dlq_topic_name("feedback.x.v1") == "feedback.x.v1.dlq"
    assert dlq_topic_name("feedback.x.v1.dlq") == "feedback.x.v1.dlq"
    assert original_topic_of("feedback.x.v1.dlq") == "feedback.x.v1"

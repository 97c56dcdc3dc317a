"""The pure parts: signed links, what a stream address is, the attendance chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ascc.online import charts, links, providers

SECRET = "a test secret"
NOW = 1_700_000_000.0


def test_signed_link_opens_for_its_lifetime_only() -> None:
    token = links.sign(SECRET, "stream", 12, 34, NOW)
    assert links.verify(SECRET, token, NOW + 599) == links.Claim("stream", 12, 34, int(NOW) + 600)
    with pytest.raises(links.LinkRefused) as expired:
        links.verify(SECRET, token, NOW + 600)
    assert expired.value.reason == "expired"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda t: t.replace("stream.12.", "stream.13."), "forged"),  # another stream
        (lambda t: t.replace(".34.", ".35."), "forged"),  # another person
        (lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), "forged"),
        (lambda t: t.split(".", 1)[1], "malformed"),
        (lambda t: "<script>.1.2.3.x", "malformed"),
    ],
)
def test_signed_link_changed_in_any_way_is_refused(change, reason: str) -> None:
    token = links.sign(SECRET, "stream", 12, 34, NOW)
    with pytest.raises(links.LinkRefused) as refused:
        links.verify(SECRET, change(token), NOW)
    assert refused.value.reason == reason


def test_signed_link_of_another_server_secret_is_forged() -> None:
    with pytest.raises(links.LinkRefused):
        links.verify("another secret", links.sign(SECRET, "room", 1, 2, NOW), NOW)


@pytest.mark.parametrize(
    ("url", "provider", "player"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "youtube",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&rel=0",
        ),
        (
            "https://youtu.be/dQw4w9WgXcQ",
            "youtube",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&rel=0",
        ),
        (
            "https://www.youtube.com/live/abcDEF12345",
            "youtube",
            "https://www.youtube-nocookie.com/embed/abcDEF12345?autoplay=1&rel=0",
        ),
        ("https://vimeo.com/123456", "vimeo", "https://player.vimeo.com/video/123456?autoplay=1"),
        ("https://vimeo.com/event/42", "vimeo", "https://vimeo.com/event/42/embed"),
        ("https://cdn.example.org/live/ja.m3u8", "hls", "https://cdn.example.org/live/ja.m3u8"),
        ("https://us02web.zoom.us/j/123?pwd=x", "external", "https://us02web.zoom.us/j/123?pwd=x"),
    ],
)
def test_stream_addresses_are_recognised_and_played(url: str, provider: str, player: str) -> None:
    assert providers.classify(url) == provider
    assert providers.player_url(provider, url) == player


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://www.youtube.com/watch?v=dQw4w9WgXcQ", "error.url_invalid"),
        ("javascript:alert(1)", "error.url_invalid"),
        ("https://www.youtube.com/watch?v=<script>", "error.stream_youtube_invalid"),
        ("https://vimeo.com/channels", "error.stream_vimeo_invalid"),
        ("https://example.org/a b.m3u8", "error.url_invalid"),
        ("https://cdn.example.com:99999/live.m3u8", "error.url_invalid"),  # no such port
        ("https://user:secret@cdn.example.com/live.m3u8", "error.url_invalid"),
    ],
)
def test_bad_stream_addresses_are_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(providers.BadStreamUrl) as bad:
        providers.classify(url)
    assert bad.value.reason == reason


def test_attendance_chart_draws_viewers_per_minute_and_door_arrivals() -> None:
    start = datetime(2023, 11, 14, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo
    online = {start + timedelta(minutes=m): 3 + (m == 5) for m in range(0, 30)}
    arrivals = [start - timedelta(minutes=5), start + timedelta(minutes=1, seconds=30)]
    svg = charts.attendance_svg(
        start, start + timedelta(hours=1), "Asia/Tokyo", online, arrivals, ("Online <", "Door")
    )
    assert 'data-peak="4"' in svg and 'data-total="2"' in svg
    assert ">10:00<" in svg and ">11:00<" in svg  # ticks in the edition's zone
    assert "Online &lt;" in svg and "Online <" not in svg

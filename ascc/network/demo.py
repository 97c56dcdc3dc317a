"""The demo's year-round network: a dozen of the seeded 2023 participants chose, when they registered, to
stay in the network, so a new user finds a populated directory (in English, Japanese and Vietnamese).

Written as data (the choice and its date as the registration form records them); twice changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ascc.accounts import services as accounts
from ascc.network.models import NetworkChoice, NetworkMember

JOINED = datetime(2023, 10, 2, 1, 0, tzinfo=UTC)  # registration opened; each member joined a few days apart

MEMBERS = (
    (
        "delegate@example.org",
        "Septage treatment and waste segregation for Cebu's barangays",
        "Septage and sludge dewatering where there is no sewer; barangay-level segregation; JCM financing.",
        "Asia/Manila",
    ),
    (
        "exhibitor@example.org",
        "横浜の上下水道・廃棄物・エネルギーのノウハウを YUSA を通じて",
        "Public-private partnerships for water and waste; decarbonisation projects with partner cities.",
        "Asia/Tokyo",
    ),
    (
        "online@example.org",
        "Quản lý chất thải rắn và nước thải đô thị cho Đà Nẵng",
        "Phân loại rác tại nguồn, xử lý nước thải, hợp tác với các thành phố Nhật Bản.",
        "Asia/Ho_Chi_Minh",
    ),
    (
        "t.morimoto@yokohama.example.org",
        "脱炭素先行地域の取組とアジア都市との連携",
        "再生可能エネルギーの地域間連携、都市間協力によるJCMプロジェクト。",
        "Asia/Tokyo",
    ),
    (
        "vinh.lq@danang.example.org",
        "Xử lý nước thải và chống ngập cho Đà Nẵng",
        "Thoát nước đô thị, chống ngập, quan trắc chất lượng nước sông Hàn.",
        "Asia/Ho_Chi_Minh",
    ),
    (
        "pornthip.s@bangkok.example.org",
        "PM2.5 monitoring and clean air policy for Bangkok",
        "Low-cost air sensors, electric buses, city-to-city learning on air quality.",
        "Asia/Bangkok",
    ),
    (
        "nhnam@adb.example.org",
        "ADB financing for urban water and sanitation in Viet Nam",
        "Project preparation, PPP structuring, climate finance for secondary cities.",
        "Asia/Manila",
    ),
    (
        "quy.dinh@minato-water.example.org",
        "Công nghệ xử lý nước cấp cho các đô thị Việt Nam",
        "Membrane filtration, non-revenue water reduction, O&M training.",
        "Asia/Tokyo",
    ),
    (
        "mizuno@greenharbour.example.org",
        "市民参加による港湾の環境再生",
        "海洋プラスチック削減、干潟の再生、子ども向けの環境学習。",
        "Asia/Tokyo",
    ),
    (
        "enkhjargal.b@ulaanbaatar.example.org",
        "District heating and air pollution reduction in Ulaanbaatar",
        "Ger-area heating, insulation programmes, cleaner stoves.",
        "Asia/Ulaanbaatar",
    ),
    (
        "analiza.montecillo@visc.example.org",
        "Research on resilient, low-carbon Visayas cities",
        "Voluntary local reviews, flood resilience, data for city planning.",
        "Asia/Manila",
    ),
    (
        "jihye.kim@citynet.example.org",
        "City-to-city cooperation across Asia and the Pacific",
        "Capacity building, knowledge exchange, SDG localisation.",
        "Asia/Seoul",
    ),
)


async def load_network(session: AsyncSession) -> int:
    """Make the listed seeded participants members; returns how many were added."""
    added = 0
    for n, (email, headline, interests, zone) in enumerate(MEMBERS):
        user = await accounts.find_by_email(session, email)
        if user is None:
            continue
        if await session.scalar(select(NetworkMember.id).where(NetworkMember.user_id == user.id)):
            continue
        joined = JOINED + timedelta(days=3 * n, hours=n)
        session.add(
            NetworkMember(
                user_id=user.id, joined_at=joined, headline=headline, interests=interests, timezone=zone
            )
        )
        session.add(NetworkChoice(user_id=user.id, action="join", via="registration", chosen_at=joined))
        added += 1
    await session.flush()
    return added

"""First start: an organisation, its admin, and (optionally) a demo directory to try things with."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pushtask.models import Group, Organization, Recipient, new_id
from pushtask.services.users import create_user

DEMO_GROUPS: list[tuple[str, str, int]] = [
    # (name, channel, members) — what a school, a community and a shop would run.
    ("三年级二班家长群", "wecom_appchat", 46),
    ("三年级一班家长群", "wecom_appchat", 44),
    ("四年级三班家长群", "wecom_appchat", 48),
    ("五年级一班家长群", "wecom_appchat", 45),
    ("六年级毕业班家长群", "wecom_appchat", 51),
    ("周末英语兴趣班", "wecom_appchat", 28),
    ("少儿编程周六班", "wecom_appchat", 22),
    ("钢琴启蒙课家长群", "wecom_appchat", 19),
    ("教研组通知群", "wecom_robot", 15),
    ("校车接送信息群", "wecom_robot", 63),
    ("阳光花园业主群", "bot_bridge", 412),
    ("阳光花园二期业主群", "bot_bridge", 387),
    ("翠湖社区志愿者群", "bot_bridge", 96),
    ("翠湖社区老年活动群", "bot_bridge", 134),
    ("社区团购1号群", "bot_bridge", 468),
    ("社区团购2号群", "bot_bridge", 455),
    ("跑步爱好者俱乐部", "bot_bridge", 203),
    ("读书会·每月一书", "bot_bridge", 88),
    ("宝妈育儿交流群", "bot_bridge", 376),
    ("小区宠物友好群", "bot_bridge", 141),
    ("鲜果铺VIP会员群", "wecom_robot", 298),
    ("鲜果铺新品尝鲜群", "wecom_robot", 176),
    ("烘焙工坊会员群", "wecom_robot", 212),
    ("咖啡馆常客群", "wecom_robot", 94),
    ("门店店长工作群", "wecom_appchat", 12),
    ("客服值班群", "wecom_appchat", 9),
    ("双十一活动预热群", "bot_bridge", 480),
    ("直播间粉丝福利群", "bot_bridge", 495),
    ("企业微信客户群A", "wecom_appchat", 150),
    ("企业微信客户群B", "wecom_appchat", 132),
]

# WeCom customer groups (客户群) with their owners, who confirm each mass send. The chat ids are the
# sandbox's default customer groups, so `pushtask serve` can push to them out of the box.
DEMO_CUSTOMER_GROUPS: list[tuple[str, str, str, str, int]] = [
    # (name, chat id, owner userid, owner name, members)
    ("三年级1班家长群", "wrSandboxCustGroup0000000000001", "zhangsan", "张三", 45),
    ("三年级1班兴趣班", "wrSandboxCustGroup0000000000002", "zhangsan", "张三", 18),
    ("阳光小区业主群", "wrSandboxCustGroup0000000000003", "lisi", "李四", 230),
]

DEMO_RECIPIENTS: list[tuple[str, str, str]] = [
    # (name, WeChat ID, channel)
    ("张老师", "zhang_laoshi", "wecom"),
    ("李老师", "li_laoshi", "wecom"),
    ("王经理", "wang_manager", "miniprogram"),
    ("陈店长", "chen_dianzhang", "miniprogram"),
    ("赵社工", "zhao_shegong", "wecom"),
]


@dataclass(frozen=True)
class BootstrapResult:
    created: bool
    admin_wechat_id: str = "admin"
    generated_password: str | None = None


def _demo_ref(channel: str, index: int) -> str:
    """Return a channel reference shaped like the real one (chatid, robot key, room id)."""
    if channel == "wecom_appchat":
        return f"wrDemoChat{index:04d}"
    if channel == "wecom_robot":
        return f"{new_id()}"
    return f"{20000000000 + index * 7919}@chatroom"


def seed_demo_directory(session: Session, org_id: str, now: datetime) -> None:
    """Add the demo groups and reviewers to an organisation."""
    for index, (name, channel, members) in enumerate(DEMO_GROUPS, start=1):
        session.add(
            Group(
                id=new_id(),
                org_id=org_id,
                name=name,
                channel=channel,
                channel_ref=_demo_ref(channel, index),
                member_count=members,
                created_at=now,
                updated_at=now,
            )
        )
    for name, chat_id, owner, owner_name, members in DEMO_CUSTOMER_GROUPS:
        session.add(
            Group(
                id=new_id(),
                org_id=org_id,
                name=name,
                channel="wecom_customer_group",
                channel_ref=chat_id,
                member_count=members,
                owner_userid=owner,
                owner_name=owner_name,
                created_at=now,
                updated_at=now,
            )
        )
    for index, (name, wechat_id, channel) in enumerate(DEMO_RECIPIENTS, start=1):
        user_ref = wechat_id if channel == "wecom" else f"oDemo{index:02d}{new_id().replace('-', '')[:22]}"
        session.add(
            Recipient(
                id=new_id(),
                org_id=org_id,
                name=name,
                wechat_id=wechat_id,
                channel=channel,
                channel_user_id=user_ref,
                created_at=now,
                updated_at=now,
            )
        )


def ensure_initial_data(
    session: Session,
    now: datetime,
    *,
    admin_password: str | None,
    demo_data: bool,
    timezone: str,
    approval_required: bool = True,
) -> BootstrapResult:
    """On an empty database, create the first organisation and its admin (and demo data)."""
    if session.scalar(select(func.count()).select_from(Organization)):
        return BootstrapResult(created=False)
    org = Organization(
        id=new_id(), name="我的组织", timezone=timezone, approval_required=approval_required, created_at=now
    )
    session.add(org)
    session.flush()
    password = admin_password or secrets.token_urlsafe(12)
    create_user(session, org.id, "admin", "管理员", password, "admin", now)
    if demo_data:
        seed_demo_directory(session, org.id, now)
    return BootstrapResult(created=True, generated_password=None if admin_password else password)

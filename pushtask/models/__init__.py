"""SQLAlchemy models, one module per aggregate; importing this registers them all."""

from pushtask.models.audit import AuditEntry
from pushtask.models.base import Base, new_id
from pushtask.models.directory import GROUP_CHANNELS, RECIPIENT_CHANNELS, Group, GroupTag, Recipient
from pushtask.models.identity import WeChatBinding
from pushtask.models.link import CLICK_KINDS, LINK_KINDS, LinkClick, LinkDaily, LinkVisitor, TrackedLink
from pushtask.models.media import MediaItem
from pushtask.models.notification import (
    NOTIFICATION_STATES,
    NOTIFICATION_TYPES,
    Feedback,
    InboxItem,
    Maintenance,
    Notification,
    NotificationSettings,
    PushSummary,
)
from pushtask.models.org import ROLES, Organization, RevokedToken, User
from pushtask.models.preview import (
    DECISION_PATHS,
    PREVIEW_STATUSES,
    CallbackReceipt,
    Preview,
    PreviewDecision,
    PreviewRecipient,
    Subscription,
)
from pushtask.models.push import DELIVERY_STATES, FINAL_STATES, PUSH_STATUSES, Confirmation, Delivery, Push, WorkerBeat
from pushtask.models.task import PREVIEW_STATES, PRIORITIES, STATUSES, Task, TaskGroup, TaskLog, TaskRecipient
from pushtask.models.template import Template

__all__ = [
    "CLICK_KINDS",
    "DECISION_PATHS",
    "DELIVERY_STATES",
    "FINAL_STATES",
    "GROUP_CHANNELS",
    "LINK_KINDS",
    "NOTIFICATION_STATES",
    "NOTIFICATION_TYPES",
    "PREVIEW_STATES",
    "PREVIEW_STATUSES",
    "PRIORITIES",
    "PUSH_STATUSES",
    "RECIPIENT_CHANNELS",
    "ROLES",
    "STATUSES",
    "AuditEntry",
    "Base",
    "CallbackReceipt",
    "Confirmation",
    "Delivery",
    "Feedback",
    "Group",
    "GroupTag",
    "InboxItem",
    "LinkClick",
    "LinkDaily",
    "LinkVisitor",
    "Maintenance",
    "MediaItem",
    "Notification",
    "NotificationSettings",
    "Organization",
    "Preview",
    "PreviewDecision",
    "PreviewRecipient",
    "Push",
    "PushSummary",
    "Recipient",
    "RevokedToken",
    "Subscription",
    "Task",
    "TaskGroup",
    "TaskLog",
    "TaskRecipient",
    "Template",
    "TrackedLink",
    "User",
    "WeChatBinding",
    "WorkerBeat",
    "new_id",
]

"""SQLAlchemy models, one module per aggregate; importing this registers them all."""

from pushtask.models.base import Base, new_id
from pushtask.models.directory import GROUP_CHANNELS, RECIPIENT_CHANNELS, Group, Recipient
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
from pushtask.models.push import DELIVERY_STATES, PUSH_STATUSES, Delivery, Push, WorkerBeat
from pushtask.models.task import PREVIEW_STATES, PRIORITIES, STATUSES, Task, TaskGroup, TaskLog, TaskRecipient
from pushtask.models.template import Template

__all__ = [
    "DELIVERY_STATES",
    "GROUP_CHANNELS",
    "NOTIFICATION_STATES",
    "NOTIFICATION_TYPES",
    "PREVIEW_STATES",
    "PRIORITIES",
    "PUSH_STATUSES",
    "RECIPIENT_CHANNELS",
    "ROLES",
    "STATUSES",
    "Base",
    "Delivery",
    "Feedback",
    "Group",
    "InboxItem",
    "Maintenance",
    "Notification",
    "NotificationSettings",
    "Organization",
    "Push",
    "PushSummary",
    "Recipient",
    "RevokedToken",
    "Task",
    "TaskGroup",
    "TaskLog",
    "TaskRecipient",
    "Template",
    "User",
    "WorkerBeat",
    "new_id",
]

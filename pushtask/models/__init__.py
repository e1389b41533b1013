"""SQLAlchemy models, one module per aggregate; importing this registers them all."""

from pushtask.models.base import Base, new_id
from pushtask.models.directory import GROUP_CHANNELS, RECIPIENT_CHANNELS, Group, Recipient
from pushtask.models.org import ROLES, Organization, RevokedToken, User
from pushtask.models.task import PREVIEW_STATES, PRIORITIES, STATUSES, Task, TaskGroup, TaskLog, TaskRecipient
from pushtask.models.template import Template

__all__ = [
    "GROUP_CHANNELS",
    "PREVIEW_STATES",
    "PRIORITIES",
    "RECIPIENT_CHANNELS",
    "ROLES",
    "STATUSES",
    "Base",
    "Group",
    "Organization",
    "Recipient",
    "RevokedToken",
    "Task",
    "TaskGroup",
    "TaskLog",
    "TaskRecipient",
    "Template",
    "User",
    "new_id",
]

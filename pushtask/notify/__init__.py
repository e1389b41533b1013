"""Notifications (reminders, results, previews, alerts), feedback and its report, retention.

Events write outbox rows in their own transaction (`outbox.enqueue`); the worker delivers them
(`delivery.Notifier`) by WeCom app message or mini-program subscribe message, falling back to the
admin's inbox, so a notice is never silently dropped.
"""

"""Notifications: messages to one account (status changes, reminders, escalations)."""

"""Proactive services: rules that invite eligible people to apply when data arrives."""

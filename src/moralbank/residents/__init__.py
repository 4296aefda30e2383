"""Residents, households, enrolment and consent."""

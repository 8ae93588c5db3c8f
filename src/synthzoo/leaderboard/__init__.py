"""Leaderboard: result records to tables and the static leaderboard page."""

"""Scheduled work (APScheduler on the app's event loop): each job one service call."""

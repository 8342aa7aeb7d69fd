"""Reads about campaigns, returned as plain rows and already limited to what the viewer may see.

Counts come from grouped SQL (a fixed number of queries per page, whatever the audience size).
"""

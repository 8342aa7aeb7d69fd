"""gunicorn settings for measuring: one sync worker, never recycled, no access log."""

import os

bind = os.environ["BENCH_BIND"]
workers = 1
threads = 1  # a sync worker: one request at a time, so CPU time per request is exact
worker_class = "sync"
max_requests = 0  # the worker's CPU counters must span the whole run
timeout = 300
graceful_timeout = 5
accesslog = None
errorlog = "-"
loglevel = "warning"
preload_app = False

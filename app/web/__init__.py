"""Web plumbing shared by every feature.

Error pages, problem documents, security headers, links, CSV downloads and throttling.
"""

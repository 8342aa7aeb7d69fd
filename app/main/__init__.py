"""Home pages per role, and health checks for load balancers."""

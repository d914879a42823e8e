"""Probe-style reliability tests: each is bounded (a few seconds) and uses real files, processes and sockets."""

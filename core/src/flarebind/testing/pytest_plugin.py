"""flarebind's pytest plugin (pytest11 entry point). Fixtures are added by the runtime work (issue 6)."""

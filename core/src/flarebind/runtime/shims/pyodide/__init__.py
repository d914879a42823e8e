"""flarebind's stand-in for the parts of ``pyodide`` Python Worker code uses (served only inside the runner)."""

__version__ = "0.28.2"

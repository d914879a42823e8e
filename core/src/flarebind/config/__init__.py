"""Reading wrangler configuration (``wrangler.json``, ``wrangler.jsonc``, ``wrangler.toml``)."""

from flarebind.config.diagnostics import ConfigError, Diagnostic, Report
from flarebind.config.model import BindingEntry, Config
from flarebind.config.read import load_config, read_config

__all__ = ["BindingEntry", "Config", "ConfigError", "Diagnostic", "Report", "load_config", "read_config"]

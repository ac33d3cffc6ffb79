"""newsarchive: scraped Chinese newspaper articles -> archival editions."""

# The one place the version is set: pyproject.toml reads it (dynamic version), so asking
# for it costs no importlib.metadata (~50-100 ms at every start).
__version__ = "0.1.0"

TOOL_NAME = "newsarchive"

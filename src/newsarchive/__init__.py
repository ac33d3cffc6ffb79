"""newsarchive: scraped Chinese newspaper articles -> archival editions."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newsarchive")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

TOOL_NAME = "newsarchive"

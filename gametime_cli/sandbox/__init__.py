"""A small GameTime-like club site on loopback, for the tests, the demo and the benchmark.

It implements what gametime-site.md records (log in, the day's JSON, the book URL and
its hold, the form with its reCAPTCHA stand-in, the save, cancelling) and lets a test
shift its clock, slow it down or make saves fail. Standard library only.
"""

from gametime_cli.sandbox.server import SandboxSite
from gametime_cli.sandbox.state import SandboxConfig, SandboxUser

__all__ = ["SandboxConfig", "SandboxSite", "SandboxUser"]

"""A WeChat/WeCom emulator speaking the real wire protocol, with a control API and a web view."""

from pushtask.sandbox.server import SandboxHandle, create_sandbox_app, main, start_in_thread
from pushtask.sandbox.state import SandboxState

__all__ = ["SandboxHandle", "SandboxState", "create_sandbox_app", "main", "start_in_thread"]

"""PushTask: scheduled message pushes to WeChat groups, previewed and confirmed in WeChat."""

__version__ = "0.1.0"

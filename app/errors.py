"""The few named exceptions the project raises. Messages are Chinese: they reach users as they are."""


class KBQAError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(KBQAError):
    """A setting (KBQA_* variable, CLI flag) is missing or malformed."""


class LoadError(KBQAError):
    """A file could not be turned into a document; the message says why and how to fix it."""


class IndexStateError(KBQAError):
    """The index is missing, built with another embedding function, or otherwise unusable."""


class LLMError(KBQAError):
    """The configured model endpoint failed (timeout, auth, rate limit, bad stream)."""

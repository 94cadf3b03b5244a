"""Terminal output of the management commands."""


class CommandStream:
    """A management command's stdout as a file for rich, which adds its own line endings."""

    def __init__(self, wrapper):
        self._wrapper = wrapper

    def write(self, text: str) -> int:
        self._wrapper.write(text, ending="")
        return len(text)

    def flush(self) -> None:
        self._wrapper.flush()

    def isatty(self) -> bool:
        return self._wrapper.isatty()

class AssistantError(Exception):
    """A request the assistant refuses, with a message a shopper can read."""

    def __init__(self, message: str, *, code: str = "assistant_error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

"""Exceptions the profiles app raises to its callers."""


class SegmentRuleInvalid(ValueError):
    """A segment rule that cannot be evaluated: an unknown field or operator, a
    value of the wrong type, no condition at all. `message` says which."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

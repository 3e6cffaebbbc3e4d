"""Exceptions the marketing services raise; `message` is for the operator."""


class MarketingError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ExperimentInvalid(MarketingError):
    """Weights that do not sum to one, no control, a slot already under test, ..."""

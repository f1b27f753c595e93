"""Why an import cannot start: the one exception family callers (the CLI) need to catch."""


class RedcapError(ValueError):
    """An import or export that cannot be done at all; the message says why, for a person."""


class DictionaryError(RedcapError):
    """The file cannot be read as a REDCap data dictionary."""


class OutputFolderError(RedcapError):
    """The output folder holds definition files the import would not replace."""

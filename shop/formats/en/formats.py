"""English pages keep British dates and numbers (the shop is a UK retailer):
LANGUAGE_CODE is "en" so English URLs stay unprefixed, and this module gives
"en" Django's en_GB formats (FORMAT_MODULE_PATH in settings)."""

from django.conf.locale.en_GB.formats import *  # noqa: F403

"""JSON bodies. DRF's parser turns a ValueError into 400 but lets a RecursionError (a deeply
nested document such as 100k "[") through as a 500; this one answers 400 for both."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the document is nested too deeply.") from exc

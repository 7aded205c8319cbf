"""Content negotiation for the whole API: `?format=` names a renderer of the view, or it is refused.

DRF answers an unknown `?format=` with 404 and ignores an empty one; both are a client's mistake
in a query parameter, so both are a 400 naming the formats the view offers.
"""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation

UNKNOWN_FORMAT = "must be one of {formats}"


class StrictFormatNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        # A format suffix in the path (`/api/x/1.json`) that names no renderer stays DRF's 404.
        parameter = self.settings.URL_FORMAT_OVERRIDE
        if not format_suffix and parameter in request.query_params:
            offered = [renderer.format for renderer in renderers]
            if request.query_params[parameter] not in offered:
                raise serializers.ValidationError({parameter: [UNKNOWN_FORMAT.format(formats=", ".join(offered))]})
        return super().select_renderer(request, renderers, format_suffix)

"""The engine as an HTTP service (``payments serve``): a face of :mod:`payments`, like ``cli``.

Routes authenticate the caller, take what its token allows, call the application layer and
shape its answer; no business rule, no SQL and no model lives here. See :mod:`api.app`.
"""

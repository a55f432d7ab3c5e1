"""Views of the order API: one module per resource."""

"""The REST API of the order management system (see docs/API.md). Views parse, authorize,
call a service or selector, and shape the answer; the rules live in orders.services."""

"""The admin API on the action server: bearer-token auth, JSON in and out, OpenAPI generated from the routes."""

"""The inline gateway: mitmproxy addon, route table, request extraction, responses."""

"""Topic rules of the IoT rules engine (stored and echoed; not executed)."""

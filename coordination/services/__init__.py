"""Every state change, one module per concern; what they share (RuleError, log_event) is in base.py."""

"""Brevo Loyalty: an optional second source of member balances, set up by an owner in Settings."""

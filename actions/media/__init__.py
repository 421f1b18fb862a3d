"""Media the assistant makes: QR confirmations."""
